"""PII redaction, applied to every text before it is stored.

Small pure functions over precompiled patterns. Each redactor replaces a match with a typed
placeholder (``[EMAIL]``, ``[IBAN]``, ``[CARD]``, ``[IP]``, ``[PHONE]``, ``[HANDLE]``) so that the
text keeps its shape for sentiment and theme tagging. Checksums and validation keep look-alikes:
card numbers are Luhn-checked and IBANs mod-97-checked (order and tracking numbers survive), IP
addresses must have valid octets or groups (versions like 2.10.3 and times like 10:00:00 survive).
Customer keys are not redacted but hashed with a salt (:func:`hash_customer_key`).
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import re
import unicodedata

from cxtext.config import HandlePolicy

EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")

# Country code, two check digits, then 11-30 capitals or digits: compact, or in groups of four
# (the last one shorter). Written in capitals, as banks print them: "was meant to" is no IBAN.
IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)\b")

# 13-19 digits, optionally in groups separated by single spaces or dashes.
CARD_RE = re.compile(r"(?<![\d+-])\d(?:[ -]?\d){12,18}(?![\d-])")

IPV4_RE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
# Hex groups around colons, with an optional dotted IPv4 tail; ipaddress decides what is valid.
IPV6_RE = re.compile(r"(?<![\w:])(?:[0-9A-F]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-F]{1,4})?(?![\w:]|\.\d)", re.IGNORECASE)

# Phone numbers in the common written forms: international (+CC, 00CC or "(+CC)", optional
# "(area)"), "(area) number", national with a trunk 0 and separators, and North American
# 555-010-4477. Bare digit runs (order numbers) and dates are not phones; _phone checks the digit count.
PHONE_RE = re.compile(
    r"""(?<![\w+])(?:
        (?:\+|00|\(\+)[1-9]\d{0,3}\)?(?:[ .-]?\(\d{1,5}\))?(?:[ ./-]?\d{1,5}){2,6}
      | \(\d{2,5}\)[ .-]?\d{2,5}(?:[ .-]\d{2,5}){0,3}
      | 0\d{1,4}(?:[ ./-]\d{2,8}){1,4}
      | \d{3}[ .-]\d{3}[ .-]\d{4}
    )(?!\w)""",
    re.VERBOSE,
)
DATE_START_RE = re.compile(r"^(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./-]\d{1,2}[./-]\d{1,2})")

# A social handle: @ and up to 30 word characters or inner dots (@jane.doe), not inside a word or
# an e-mail address, nor right after a placeholder's "]" (so that a second pass finds nothing new:
# "@a@b" gives "[HANDLE]@b").
DIGIT_RE = re.compile(r"\d")

HANDLE_RE = re.compile(r"(?<![\w@\]])@\w(?:[\w.]{0,28}\w)?(?!\w)")

# US social security number, written with separators (a bare 9-digit run reads like an order
# number); _ssn drops the numbers the SSA never issues (area 000, 666, 900-999; group 00; serial 0000).
SSN_RE = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])")
# UK National Insurance number: two prefix letters (D, F, I, Q, U, V never; O not second), six
# digits, optionally in pairs, and a suffix A-D; in capitals, as HMRC prints it.
NINO_RE = re.compile(r"\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?[A-D]\b")
_NINO_PREFIXES_NEVER = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")


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


def iban_ok(compact: str) -> bool:
    """True when *compact* (no spaces) passes the IBAN check: mod 97 of the rearranged number is 1."""
    if not 15 <= len(compact) <= 34 or not compact.isalnum() or not compact.isascii():
        return False
    rearranged = (compact[4:] + compact[:4]).upper()
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _iban(match: re.Match) -> str:
    """The longest run of the match's groups that is a valid IBAN (a short word in capitals
    written right after it may have been taken for its last group), redacted."""
    chunks = match.group().split(" ")
    for end in range(len(chunks), 0, -1):
        if iban_ok("".join(chunks[:end])):
            return " ".join(["[IBAN]", *chunks[end:]])
    return match.group()


def _card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[CARD]" if 13 <= len(digits) <= 19 and luhn_ok(digits) else match.group()


def _ipv4(match: re.Match) -> str:
    octets = match.group().split(".")
    if all(o == "0" or (not o.startswith("0") and int(o) <= 255) for o in octets):
        return "[IP]"
    return match.group()


def _ipv6(match: re.Match) -> str:
    candidate = match.group()
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return candidate
    groups = [g for g in re.split(r"[:.]", candidate) if g]
    return "[IP]" if len(groups) >= 2 else candidate  # not "::" or "::1"


def _phone(match: re.Match) -> str:
    candidate = match.group()
    digits = sum(ch.isdigit() for ch in candidate)
    if not 8 <= digits <= 15 or DATE_START_RE.match(candidate):
        return candidate
    return "[PHONE]"


def _ssn(match: re.Match) -> str:
    area, _, group, serial = match.groups()
    if area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000":
        return match.group()
    return "[SSN]"


def _nino(match: re.Match) -> str:
    return match.group() if match.group(1) in _NINO_PREFIXES_NEVER else "[NINO]"


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """What one character reads as: format characters (zero-width space and joiners, soft hyphen,
    word joiner, BOM) are nothing, every space a space, every dash a hyphen, the rest its NFKC
    form (fullwidth and small forms, superscripts, ligatures)."""
    category = unicodedata.category(ch)
    if category == "Cf":
        return ""
    if category == "Zs":
        return " "
    if category == "Pd":
        return "-"
    return unicodedata.normalize("NFKC", ch)


def fold(text: str) -> str:
    """*text* as the patterns see it (see :func:`_fold_char`)."""
    return "".join(_fold_char(ch) for ch in text) if _needs_folding(text) else text


def _needs_folding(text: str) -> bool:
    return not text.isascii() and any(_fold_char(ch) != ch for ch in set(_NON_ASCII_RE.findall(text)))


def redact_text(text: str, handles: HandlePolicy = HandlePolicy()) -> str:
    """Replace e-mails, IBANs, card numbers, IP addresses, SSNs, NI numbers, phone numbers and
    (per *handles*) social handles in *text*, however their characters are written (see
    :func:`fold`). A text the folding changes is matched folded, and only the redacted spans take
    the folded form's place: the rest keeps its original characters."""
    if not text:
        return text
    if not _needs_folding(text):
        return _redact(text, None, handles)[0]
    folded: list[str] = []
    origin: list[int] = []  # for each folded character, the index of the character it came from
    for i, ch in enumerate(text):
        f = _fold_char(ch)
        folded.append(f)
        origin.extend([i] * len(f))
    redacted, origin = _redact("".join(folded), origin, handles)
    return _unfold(text, redacted, origin) if any(o < 0 for o in origin) else text


def _unfold(text: str, redacted: str, origin: list[int]) -> str:
    """The original text with the redacted spans in place: runs of *redacted* that came from the
    text (origin >= 0) are copied from it, placeholders (origin ~k: they replaced characters up to
    k) from *redacted*. Invisible characters inside a redacted span go with it."""
    out: list[str] = []
    done, i, n = 0, 0, len(redacted)  # text[:done] is written out or redacted
    while i < n:
        j = i
        if origin[i] < 0:
            while j < n and origin[j] < 0:
                j += 1
            out.append(redacted[i:j])
            done = max(done, max(~o for o in origin[i:j]) + 1)
        else:
            while j < n and origin[j] >= 0:
                j += 1
            out.append(text[done : origin[j - 1] + 1])
            done = origin[j - 1] + 1
        i = j
    out.append(text[done:])
    return "".join(out)


def _sub(pattern: re.Pattern, replace, text: str, origin: list[int] | None) -> tuple[str, list[int] | None]:
    """pattern.sub(replace, text), carrying *origin* along when there is one (see _unfold)."""
    if origin is None:
        return pattern.sub(replace, text), None
    pieces: list[str] = []
    moved: list[int] = []
    last = 0
    for match in pattern.finditer(text):
        new = replace if isinstance(replace, str) else replace(match)
        if new == match.group():
            continue
        start, end = match.span()
        pieces += [text[last:start], new]
        consumed = max(o if o >= 0 else ~o for o in origin[start:end])
        moved += origin[last:start] + [~consumed] * len(new)
        last = end
    return "".join(pieces) + text[last:], moved + origin[last:]


def _redact(text: str, origin: list[int] | None, handles: HandlePolicy) -> tuple[str, list[int] | None]:
    """The patterns in order. E-mails go first (their domain could look like a handle's tail),
    IBANs and cards before SSNs and phones (their digit groups would be taken for a phone number),
    IPv6 before IPv4 (its dotted tail)."""
    # Most texts hold no '@' and many no digit: a pattern that needs one is not tried (the same
    # result, a quarter of ingest's time saved).
    if "@" in text:
        text, origin = _sub(EMAIL_RE, "[EMAIL]", text, origin)
    # Nor is one whose digits the text has too few of (a placeholder holds none, so the count
    # before the first pattern bounds it for every later one): most texts with digits have a few.
    # No digit pattern but IPv6's matches fewer than 7 characters (an IPv4 address), IBAN's fewer than 15.
    digits = len(DIGIT_RE.findall(text)) if len(text) >= 7 else 0
    if digits:
        if digits >= 2 and len(text) >= 15:
            text, origin = _sub(IBAN_RE, _iban, text, origin)
        if digits >= 13:
            text, origin = _sub(CARD_RE, _card, text, origin)
        if text.count(":") >= 2:
            text, origin = _sub(IPV6_RE, _ipv6, text, origin)
        if digits >= 4:
            text, origin = _sub(IPV4_RE, _ipv4, text, origin)
        if digits >= 9:
            text, origin = _sub(SSN_RE, _ssn, text, origin)
        if digits >= 6:
            text, origin = _sub(NINO_RE, _nino, text, origin)
        if digits >= 8:  # _phone keeps a match of fewer
            text, origin = _sub(PHONE_RE, _phone, text, origin)
    elif text.count(":") >= 2:  # an IPv6 address may be all letters ("fe80::abcd")
        text, origin = _sub(IPV6_RE, _ipv6, text, origin)
    if handles.redact and "@" in text:
        text, origin = _sub(HANDLE_RE, lambda m: m.group() if m.group().lower() in handles.keep else "[HANDLE]", text, origin)
    return text, origin


def redact_value(value, handles: HandlePolicy = HandlePolicy()):
    """Redact every value inside a JSON-like value (dicts, lists, scalars). A number, bytes or any
    other scalar that reads as personal data (a card number stored as a JSON number or a Parquet
    integer) becomes its redacted text; one that does not stays as it is."""
    if isinstance(value, str):
        return redact_text(value, handles)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return redact_text(bytes(value).decode("utf-8", "backslashreplace"), handles)
    if value is not None and not isinstance(value, (bool, dict, list, tuple)):
        text = str(value)
        redacted = redact_text(text, handles)
        return value if redacted == text else redacted
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, dict):  # keys too: an e-mail can be a key ({"votes": {"jane@example.com": 1}})
        out: dict = {}
        for key, item in value.items():
            safe = (_redact_key(key, handles) if len(key) <= 100 else redact_text(key, handles)) if isinstance(key, str) else key
            while safe in out:  # two keys redacted alike keep both values
                safe = f"{safe}'"
            out[safe] = redact_value(item, handles)
        return out
    if isinstance(value, list):
        return [redact_value(v, handles) for v in value]
    return value


@functools.lru_cache(maxsize=4096)
def _redact_key(key: str, handles: HandlePolicy) -> str:
    """A JSON object's (short) key, redacted: cached, as a source's records repeat a few keys."""
    return redact_text(key, handles)


def hash_customer_key(key: str, salt: str) -> str:
    """Keyed hash of a customer key: stable for joins and erasure, useless without the salt."""
    mac = _keyed(salt).copy()
    mac.update(key.strip().lower().encode())
    return mac.hexdigest()[:32]


@functools.lru_cache(maxsize=16)
def _keyed(salt: str) -> hmac.HMAC:
    """HMAC-SHA256 keyed with *salt*, set up once: a record's key hash copies it (hmac.digest sets
    the key up on every call: about 2.0 against 1.5 us a key here)."""
    return hmac.new(salt.encode(), digestmod="sha256")
