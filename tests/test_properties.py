"""Properties of the normalisation, id and redaction functions over generated inputs."""

import ipaddress
import re
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from cxtext.ingest.records import feedback_id, normalize_text
from cxtext.ingest.redact import iban_ok, luhn_ok, redact_text

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
digit_soup = st.text(alphabet="0123456789 -+().@:/abcdefGBDE_", max_size=60)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_normalize_is_idempotent_and_clean(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert "\r" not in once and "\x00" not in once


@settings(max_examples=300, deadline=None)
@given(st.one_of(texts, digit_soup))
def test_redaction_is_idempotent_and_never_grows_digits(text):
    once = redact_text(text)
    assert redact_text(once) == once
    assert sum(c.isdigit() for c in once) <= sum(c.isdigit() for c in text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=15, max_size=15), st.sampled_from([" ", "-", ""]))
def test_every_luhn_valid_card_is_redacted(digits, separator):
    check = next(d for d in range(10) if luhn_ok("".join(map(str, digits + [d]))))
    number = "".join(map(str, digits + [check]))
    written = separator.join(number[i : i + 4] for i in range(0, 16, 4))
    assert redact_text(f"card {written} please") == "card [CARD] please"


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_feedback_ids_are_stable_hex_and_distinct(source, record_id, other_id):
    a = feedback_id(source, record_id)
    assert re.fullmatch(r"[0-9a-f]{24}", a) and a == feedback_id(source, record_id)
    if other_id != record_id:
        assert feedback_id(source, other_id) != a
    assert feedback_id(source, None, created_at=datetime(2026, 1, 1), text=record_id) != a


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=11, max_size=30),
    st.booleans(),
)
def test_every_valid_iban_is_redacted(country, bban, grouped):
    check = next(f"{d:02d}" for d in range(100) if iban_ok(f"{country}{d:02d}{bban}"))
    iban = f"{country}{check}{bban}"
    written = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if grouped else iban
    assert redact_text(f"pay to {written}, thanks") == "pay to [IBAN], thanks"


@settings(max_examples=300, deadline=None)
@given(st.ip_addresses())
def test_every_ip_address_is_redacted(address):
    shown = str(address)
    if isinstance(address, ipaddress.IPv6Address) and len([g for g in re.split(r"[:.]", shown) if g]) < 2:
        return  # "::" and "::1"-like addresses name no one and are left
    assert redact_text(f"logged from {shown} today") == "logged from [IP] today"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 99), min_size=2, max_size=3), st.integers(0, 23), st.integers(0, 59))
def test_versions_and_times_survive(version, hour, minute):
    text = f"version {'.'.join(map(str, version))} crashed at {hour:02d}:{minute:02d}:{minute:02d}"
    assert redact_text(text) == text
