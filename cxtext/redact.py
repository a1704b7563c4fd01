"""PII redaction, applied to every text before it is stored.

Small pure functions over precompiled patterns. Each redactor replaces a match with a typed
placeholder (``[EMAIL]``, ``[PHONE]``, ``[CARD]``) so that the text keeps its shape for sentiment
and theme tagging. Card numbers are Luhn-checked, so order and tracking numbers survive.
Customer keys are not redacted but hashed with a salt (:func:`hash_customer_key`).
"""

from __future__ import annotations

import hashlib
import hmac
import re

EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")

# 13-19 digits, optionally in groups separated by single spaces or dashes.
CARD_RE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")

# Phone numbers in the common written forms: international (+CC or 00CC, optional "(area)"),
# "(area) number", national with a trunk 0 and separators, and North American 555-010-4477.
# Bare digit runs (order numbers) and dates are not phones; _phone checks the digit count.
PHONE_RE = re.compile(
    r"""(?<![\w+])(?:
        (?:\+|00)[1-9]\d{0,3}(?:[ .-]?\(\d{1,5}\))?(?:[ .-]?\d{1,5}){2,6}
      | \(\d{2,5}\)[ .-]?\d{2,5}(?:[ .-]\d{2,5}){0,3}
      | 0\d{1,4}(?:[ .-]\d{2,8}){1,4}
      | \d{3}[ .-]\d{3}[ .-]\d{4}
    )(?!\w)""",
    re.VERBOSE,
)
DATE_START_RE = re.compile(r"^(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./-]\d{1,2}[./-]\d{1,2})")


def luhn_ok(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum (payment card numbers do)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[CARD]" if 13 <= len(digits) <= 19 and luhn_ok(digits) else match.group()


def _phone(match: re.Match) -> str:
    candidate = match.group()
    digits = sum(ch.isdigit() for ch in candidate)
    if not 8 <= digits <= 15 or DATE_START_RE.match(candidate):
        return candidate
    return "[PHONE]"


def redact_text(text: str) -> str:
    """Replace emails, card numbers and phone numbers in *text*. Cards go first: their digit
    groups would otherwise be taken for a phone number."""
    if not text:
        return text
    text = EMAIL_RE.sub("[EMAIL]", text)
    text = CARD_RE.sub(_card, text)
    return PHONE_RE.sub(_phone, text)


def redact_value(value):
    """Redact every string inside a JSON-like value (dicts, lists, scalars)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    return value


def hash_customer_key(key: str, salt: str) -> str:
    """Keyed hash of a customer key: stable for joins and erasure, useless without the salt."""
    normalized = key.strip().lower()
    return hmac.new(salt.encode(), normalized.encode(), hashlib.sha256).hexdigest()[:32]
