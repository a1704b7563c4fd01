import pytest

from cxtext.ingest.redact import HandlePolicy, hash_customer_key, iban_ok, luhn_ok, redact_text, redact_value

BRAND = HandlePolicy.of(True, ["@VoltaShop"])


@pytest.mark.parametrize(
    "text, expected",
    [
        # e-mail
        ("write to jane.doe@example.com please", "write to [EMAIL] please"),
        ("J.O'Neil+cx@mail.example.co.uk.", "J.O'[EMAIL]."),
        # phones, international and national forms
        ("call me on +44 20 7946 0958 today", "call me on [PHONE] today"),
        ("US: +1 (555) 010-4477", "US: [PHONE]"),
        ("Berlin 0049 30 1234567", "Berlin [PHONE]"),
        ("ring 020 7946 0958", "ring [PHONE]"),
        ("mobile 07700 900123", "mobile [PHONE]"),
        ("(555) 010 4477 anytime", "[PHONE] anytime"),
        ("555-010-4477", "[PHONE]"),
        ("+447700900123", "[PHONE]"),
        ("+33 1 23 45 67 89", "[PHONE]"),
        ("(+44) 20 7946 0958", "[PHONE]"),
        ("+49 30/1234567", "[PHONE]"),
        ("+4915112345678", "[PHONE]"),
        ("+81-3-1234-5678 or +91 98765 43210", "[PHONE] or [PHONE]"),
        # payment cards: Luhn-valid numbers only
        ("card 4111 1111 1111 1111 was charged", "card [CARD] was charged"),
        ("card 4111-1111-1111-1111", "card [CARD]"),
        ("amex 378282246310005", "amex [CARD]"),
        # IBANs: mod-97-checked, compact or grouped, even when a word follows
        ("IBAN GB29 NWBK 6016 1331 9268 19 thanks", "IBAN [IBAN] thanks"),
        ("to DE89370400440532013000.", "to [IBAN]."),
        ("FR14 2004 1010 0505 0001 3M02 606 OK", "[IBAN] OK"),
        # IP addresses with valid octets / groups
        ("from 192.168.1.23 and 203.0.113.77,", "from [IP] and [IP],"),
        ("2001:db8:85a3::8a2e:370:7334 / fe80::1ff:fe23:4567:890a", "[IP] / [IP]"),
        ("mapped ::ffff:192.0.2.1", "mapped [IP]"),
        # handles: the brand's own stay (BRAND keeps @VoltaShop), e-mails are not handles
        ("@VoltaShop ask @jane_doe88", "@VoltaShop ask [HANDLE]"),
        ("RT @sofia1980: same", "RT [HANDLE]: same"),
        ("ask @jane.doe.", "ask [HANDLE]."),
        ("@alice@mastodon.social", "@[EMAIL]"),
        # what must survive
        ("order 1234567812345678 never came", "order 1234567812345678 never came"),
        ("ref 0123456789012", "ref 0123456789012"),
        ("delivered 2026-07-06 10:00", "delivered 2026-07-06 10:00"),
        ("on 06.07.2026 at 10:00", "on 06.07.2026 at 10:00"),
        ("waited 45 minutes, 3 times, paid £1 299.00", "waited 45 minutes, 3 times, paid £1 299.00"),
        ("version 2.10.3 crashes", "version 2.10.3 crashes"),
        ("build 10.0.19041.1, v1.2.3.4, 256.1.1.1, 1.2.3.4.5", "build 10.0.19041.1, v1.2.3.4, 256.1.1.1, 1.2.3.4.5"),
        (
            "at 10:00:00, score 3:2, std::vector, 00:1A:2B:3C:4D:5E",
            "at 10:00:00, score 3:2, std::vector, 00:1A:2B:3C:4D:5E",
        ),
        ("code AB12CDEF3456789XYZ, parcel 1Z999AA10123456784", "code AB12CDEF3456789XYZ, parcel 1Z999AA10123456784"),
        ("Order #VS754988 was meant to arrive", "Order #VS754988 was meant to arrive"),
        ("@VoltaShop #fail", "@VoltaShop #fail"),
        ("", ""),
    ],
)
def test_redact_text(text, expected):
    assert redact_text(text, BRAND) == expected


def test_handles_are_redacted_by_default_and_can_be_left():
    assert redact_text("@VoltaShop and @Jane_D") == "[HANDLE] and [HANDLE]"
    assert redact_text("@voltashop and @Jane_D", BRAND) == "@voltashop and [HANDLE]"
    assert redact_text("@Jane_D, jane@example.com", HandlePolicy(redact=False)) == "@Jane_D, [EMAIL]"


@pytest.mark.parametrize(
    "iban, ok",
    [
        ("GB29NWBK60161331926819", True),
        ("GB28NWBK60161331926819", False),
        ("DE89370400440532013000", True),
        ("GB29NWBK6016", False),
    ],
)
def test_iban_checksum(iban, ok):
    assert iban_ok(iban) is ok


@pytest.mark.parametrize(
    "digits, ok",
    [
        ("4111111111111111", True),
        ("378282246310005", True),
        ("1234567812345678", False),
        ("79927398713", True),
        ("79927398710", False),
    ],
)
def test_luhn(digits, ok):
    assert luhn_ok(digits) is ok


def test_redact_value_walks_json():
    value = {"a": "x@example.org", "b": [1, "+44 20 7946 0958"], "c": {"d": None}}
    assert redact_value(value) == {"a": "[EMAIL]", "b": [1, "[PHONE]"], "c": {"d": None}}


def test_customer_key_hash_is_salted_stable_and_case_blind():
    a = hash_customer_key("Jane@Example.com ", "s1")
    assert a == hash_customer_key("jane@example.com", "s1")
    assert a != hash_customer_key("jane@example.com", "s2")
    assert "jane" not in a and len(a) == 32


def test_keys_of_json_objects_are_redacted_and_keep_every_value():
    redacted = redact_value({"votes": {"jane.doe@example.com": 1, "john@example.org": 2, "plain": 3}})
    assert "@" not in str(redacted)
    assert sorted(redacted["votes"].values()) == [1, 2, 3] and redacted["votes"]["plain"] == 3


NBSP, NNBSP, THIN, ZWSP, ZWJ, WJ, SHY = "\u00a0", "\u202f", "\u2009", "\u200b", "\u200d", "\u2060", "\u00ad"


@pytest.mark.parametrize(
    "text, expected",
    [
        # card, phone and e-mail with no-break, narrow and thin spaces, zero-width characters, fullwidth signs
        (f"card 4111{NBSP}1111{NBSP}1111{NBSP}1111 ok", "card [CARD] ok"),
        (f"card 4111{NNBSP}1111{NNBSP}1111{NNBSP}1111", "card [CARD]"),
        (f"card 4111{ZWSP}1111{ZWJ}1111{WJ}1111{SHY}", f"card [CARD]{SHY}"),  # invisible after it: kept
        ("card ４１１１ １１１１ １１１１ １１１１", "card [CARD]"),
        ("card 4111\u20111111\u20131111\u20141111", "card [CARD]"),
        (f"call +44{THIN}20{THIN}7946{THIN}0958", "call [PHONE]"),
        (f"call +44{NBSP}20{NBSP}7946{NBSP}0958.", "call [PHONE]."),
        ("call ＋４４ ２０ ７９４６ ０９５８", "call [PHONE]"),
        (f"call +44{ZWSP}20{ZWJ}7946{ZWSP}0958", "call [PHONE]"),
        ("mail jane＠example．com now", "mail [EMAIL] now"),
        (f"mail jane{ZWSP}@example.com", "mail [EMAIL]"),
        ("mail jane﹫example.com", "mail [EMAIL]"),
        (f"IBAN GB29{NBSP}NWBK{NBSP}6016{NBSP}1331{NBSP}9268{NBSP}19", "IBAN [IBAN]"),
        # handles wherever they start
        ("thanks.@jane_doe88", "thanks.[HANDLE]"),
        ("(@jane_doe88)", "([HANDLE])"),
        ("hi ＠jane_doe88", "hi [HANDLE]"),
        # national identifiers
        ("SSN 123-45-6789 on file", "SSN [SSN] on file"),
        (f"SSN 123{NBSP}45{NBSP}6789", "SSN [SSN]"),
        ("NI number AB 12 34 56 C, or AB123456C", "NI number [NINO], or [NINO]"),
        # the rest of a folded text keeps its characters
        ("“caf\u00e9” … ４１１１ １１１１ １１１１ １１１１ …", "“caf\u00e9” … [CARD] …"),
        (f"price 1{NNBSP}299,00{NBSP}€ — fine", f"price 1{NNBSP}299,00{NBSP}€ — fine"),
    ],
)
def test_written_differently_still_redacted(text, expected):
    assert redact_text(text, BRAND) == expected


@pytest.mark.parametrize(
    "text",
    [
        "SSN-like 666-12-3456, 912-34-5678, 123-00-4567, 123-45-0000",
        "order 123-45-67890",
        "part 123-45-6789-B",
        "ticket 1234-56-7890",
        "NI-like GB123456A, QQ123456C, AB123456E, ab123456c",
        "flight BA 12 34 56 7",
        "１２３４５６７８１２３４５６７８",
        "ｖｅｒｓｉｏｎ ２.１０.３",
    ],
)
def test_look_alikes_of_the_new_kinds_stay(text):
    assert redact_text(text, BRAND) == text


def test_numbers_bytes_and_other_scalars_are_redacted_when_they_read_as_pii():
    value = {
        "card": 4111111111111111,
        "phone": b"+44 20 7946 0958",
        "order": 1234567812345678,
        "price": 12.5,
        "ok": True,
        "nested": [378282246310005, "x"],
    }
    assert redact_value(value) == {
        "card": "[CARD]",
        "phone": "[PHONE]",
        "order": 1234567812345678,
        "price": 12.5,
        "ok": True,
        "nested": ["[CARD]", "x"],
    }


def test_redaction_is_idempotent_on_folded_text():
    once = redact_text(f"jane{ZWSP}@example.com 4111{NBSP}1111 1111 1111 @bob")
    assert redact_text(once) == once
