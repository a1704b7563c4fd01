import pytest

from cxtext.redact import hash_customer_key, luhn_ok, redact_text, redact_value


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
        # payment cards: Luhn-valid numbers only
        ("card 4111 1111 1111 1111 was charged", "card [CARD] was charged"),
        ("card 4111-1111-1111-1111", "card [CARD]"),
        ("amex 378282246310005", "amex [CARD]"),
        # what must survive
        ("order 1234567812345678 never came", "order 1234567812345678 never came"),
        ("ref 0123456789012", "ref 0123456789012"),
        ("delivered 2026-07-06 10:00", "delivered 2026-07-06 10:00"),
        ("on 06.07.2026 at 10:00", "on 06.07.2026 at 10:00"),
        ("waited 45 minutes, 3 times, paid £1 299.00", "waited 45 minutes, 3 times, paid £1 299.00"),
        ("version 2.10.3 crashes", "version 2.10.3 crashes"),
        ("@VoltaShop #fail", "@VoltaShop #fail"),
        ("", ""),
    ],
)
def test_redact_text(text, expected):
    assert redact_text(text) == expected


@pytest.mark.parametrize("digits, ok", [("4111111111111111", True), ("378282246310005", True), ("1234567812345678", False), ("79927398713", True), ("79927398710", False)])
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
