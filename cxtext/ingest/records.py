"""From a raw record to the canonical feedback row: map, validate, normalise, redact, identify.

Pure functions. :func:`to_canonical` returns either a row (a dict with the feedback table's
columns) or a :class:`Rejection` naming the reason and the field.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from cxtext.config import LimitsConfig, SourceSpec
from cxtext.ingest.redact import HandlePolicy, hash_customer_key, redact_text, redact_value

#: Range of each score field: (low, high).
SCORE_RANGES = {"rating": (1, 5), "nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
TEXT_FIELDS = ("product", "channel", "touchpoint", "region")
#: Records dated this far in the future are rejected (clock skew between systems is allowed).
FUTURE_TOLERANCE = timedelta(days=1)
#: Whatever earliest_created_at says: day arithmetic in any time zone must stay within datetime's range.
_EARLIEST_REPRESENTABLE = date(1, 1, 3)

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_END_RE = re.compile(r"\r\n?")
_INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp"}
_DIGITS_RE = re.compile(r"^[+-]?\d+(?:\.0+)?$")
#: Fields that hold text; a JSON object or array there is a mapping mistake, not text.
_TEXT_VALUED = ("source_record_id", "text", "title", *TEXT_FIELDS, "customer_key")
#: json.dumps(..., sort_keys=True, default=str) and the same without ASCII escapes, built once:
#: json.dumps with options makes a new encoder for every call. No circularity check (its
#: bookkeeping costs on every record): a row or a parsed record cannot contain itself.
_HASHED_JSON = json.JSONEncoder(sort_keys=True, default=str, check_circular=False)
_EXTRA_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str, check_circular=False)


@dataclass(frozen=True)
class Rejection:
    reason: str
    detail: str


def normalize_text(value: str) -> str:
    """NFC, Unix line ends, no control characters, no surrounding whitespace."""
    value = unicodedata.normalize("NFC", value)
    if "\r" in value:
        value = _LINE_END_RE.sub("\n", value)
    if not value.isprintable():  # a printable text has no control character
        value = _CONTROL_RE.sub("", value)
    return value.strip()


def has_visible_characters(text: str) -> bool:
    """False for text made only of spaces and invisible format characters (zero-width space...)."""
    return any(unicodedata.category(ch) not in _INVISIBLE for ch in text)


def feedback_id(source: str, source_record_id: str | None, *, created_at: datetime | None = None, text: str = "") -> str:
    """Deterministic id: the source and its record id, or the content when there is no id."""
    if source_record_id is not None:
        key = f"id\x1f{source}\x1f{source_record_id}"
    else:
        key = f"content\x1f{source}\x1f{created_at.isoformat() if created_at else ''}\x1f{text}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def lookup(data: dict, column: str):
    """A column by name, or by dotted path into nested objects (``user.handle``)."""
    if column in data:
        return data[column]
    value = data
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _without(data: dict, columns: list[str]) -> dict:
    """*data* minus the mapped columns (dotted paths remove nested keys), empty objects pruned.
    Only the objects on a removed path are copied (a deep copy of every record was a sixth of
    ingest's time); *data* is left as read."""
    rest = dict(data)
    for column in columns:
        if column in rest:
            del rest[column]
            continue
        parts = column.split(".")
        node = rest
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                break
            node[part] = node = dict(child)
        else:
            node.pop(parts[-1], None)
    return {k: v for k, v in rest.items() if v not in ({}, None, "")}


def _too_long(data: dict, columns: dict[str, str], limit: int) -> tuple[str, int] | None:
    """The first field other than the text longer than *limit* characters (as read; an object or
    array as JSON), with its length; mapped fields and extra columns alike."""
    text_columns = {columns["text"], columns["text"].split(".")[0]}  # a nested text: its object
    for name, value in data.items():
        if type(value) is str:  # nearly every value (a CSV's all): its length, without the rest
            if len(value) > limit and name not in text_columns:
                return name, len(value)
            continue
        if name in text_columns or value is None:
            continue
        size = (
            len(value)
            if isinstance(value, (str, bytes))
            else len(json.dumps(value, default=str))
            if isinstance(value, (dict, list))
            else len(str(value))
        )
        if size > limit:
            return name, size
    return None


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


#: strptime directives the fast path of :func:`parse_time` reads: (regex, datetime field).
_FIXED_DIRECTIVES = {
    "%Y": (r"([0-9]{4})", "year"),
    "%m": (r"([0-9]{2})", "month"),
    "%d": (r"([0-9]{2})", "day"),
    "%H": (r"([0-9]{2})", "hour"),
    "%M": (r"([0-9]{2})", "minute"),
    "%S": (r"([0-9]{2})", "second"),
}
_DIRECTIVE_RE = re.compile(r"%.")


@functools.lru_cache(maxsize=64)
def _fixed_format(fmt: str) -> tuple[re.Pattern, tuple[str, ...]] | None:
    """A strict regex for a strptime format made only of %Y, %m, %d, %H, %M, %S (each once, all
    digits at full width) and literal characters other than digits, '%' and whitespace but a
    space (matched as one space; strptime takes any run of whitespace for it), with the fields its
    groups give; None for any other format. A text it matches reads the same through strptime
    (which costs a fifth of ingest's time): its values are what strptime's looser patterns take
    from it, and an out-of-range one raises ValueError either way."""
    directives = _DIRECTIVE_RE.findall(fmt)
    literals = _DIRECTIVE_RE.split(fmt)
    if (
        not directives
        or any(d not in _FIXED_DIRECTIVES for d in directives)
        or len(set(directives)) != len(directives)
        or not {"%Y", "%m", "%d"} <= set(directives)
        or any((ch.isspace() and ch != " ") or ch == "%" or ch.isdigit() for part in literals for ch in part)
    ):
        return None
    pattern = re.escape(literals[0]) + "".join(
        _FIXED_DIRECTIVES[d][0] + re.escape(literal) for d, literal in zip(directives, literals[1:])
    )
    return re.compile(pattern + r"\Z"), tuple(_FIXED_DIRECTIVES[d][1] for d in directives)


def _strptime(text: str, fmt: str) -> datetime:
    """datetime.strptime(text, fmt), without its cost where :func:`_fixed_format` reads the text."""
    fixed = _fixed_format(fmt)
    match = fixed[0].match(text) if fixed else None
    if match is None:
        return datetime.strptime(text, fmt)
    return datetime(**{field: int(value) for field, value in zip(fixed[1], match.groups())})


def parse_time(value, fmt: str, tz: str) -> datetime:
    """Parse a timestamp and return it as naive UTC. Naive inputs are in the source's zone *tz*.

    *fmt* is ``iso`` (dates, datetimes, offsets, ``Z``), ``epoch_s``, ``epoch_ms`` or a strptime
    format. Raises ValueError with a readable message.
    """
    if isinstance(value, datetime):
        parsed = value
    elif fmt in ("epoch_s", "epoch_ms"):
        seconds = float(value) / (1000 if fmt == "epoch_ms" else 1)
        parsed = datetime.fromtimestamp(seconds, tz=UTC)
    else:
        text = str(value).strip()
        if fmt == "iso":
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            parsed = datetime.fromisoformat(text)
        else:
            parsed = _strptime(text, fmt)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.astimezone(UTC).replace(tzinfo=None)


def parse_score(field: str, value) -> int | None:
    """An integer score within its range, or None when blank. Raises ValueError(reason, detail)."""
    if _blank(value):
        return None
    text = str(value).strip()
    if len(text) <= 15 and text.isascii() and text.isdigit():  # the usual score: int() reads it as int(float()) does
        number = int(text)
    elif isinstance(value, bool) or not _DIGITS_RE.match(text):
        try:
            float(text)
        except ValueError:
            raise ValueError("bad_number", f"{field} must be a whole number, got {text!r}") from None
        raise ValueError(
            "out_of_range",
            f"{field} must be a whole number {SCORE_RANGES[field][0]}-{SCORE_RANGES[field][1]}, got {text}",
        )
    else:
        number = int(float(text))
    low, high = SCORE_RANGES[field]
    if not low <= number <= high:
        raise ValueError("out_of_range", f"{field} must be {low}-{high}, got {number}")
    return number


@functools.lru_cache(maxsize=4096)
def _short_field(value: str, handles: HandlePolicy) -> str | None:
    """A product, channel, touchpoint or region as stored: normalised, redacted, cut to 200
    characters. Cached: these fields take few distinct values, and redacting each of them again
    for every record was a tenth of ingest's time."""
    return redact_text(normalize_text(value), handles)[:200] or None


def _detail(text: str, handles: HandlePolicy) -> str:
    """A reject's detail quotes the bad value: redacted first, then cut (a cut address would
    no longer be recognised)."""
    text = redact_text(text, handles)
    return text if len(text) <= 160 else text[:160] + "…"


def to_canonical(
    data: dict,
    spec: SourceSpec,
    *,
    salt: str,
    max_text_chars: int,
    now: datetime,
    handles: HandlePolicy = HandlePolicy(),
    limits: LimitsConfig = LimitsConfig(),
) -> dict | Rejection:
    """Map one raw record onto the feedback row, or say why it is rejected."""
    cols = spec.columns
    values = {field: lookup(data, column) for field, column in cols.items()}  # each looked up once
    for field in _TEXT_VALUED:
        value = values.get(field)
        if isinstance(value, (dict, list)):
            return Rejection(
                "not_text", f"{cols[field]} holds a JSON {'object' if isinstance(value, dict) else 'array'}, not text"
            )
    too_long = _too_long(data, cols, limits.max_field_chars)
    if too_long:
        return Rejection(
            "field_too_long",
            _detail(
                f"{too_long[0]} has {too_long[1]:,} characters, more than max_field_chars={limits.max_field_chars:,}",
                handles,
            ),
        )

    raw_id = values.get("source_record_id")
    if "source_record_id" in cols and _blank(raw_id):
        return Rejection("missing_source_record_id", f"{cols['source_record_id']} is empty")
    source_record_id = str(raw_id).strip() if raw_id is not None else None

    text_value = values["text"]
    if _blank(text_value):
        return Rejection("missing_text", f"{cols['text']} is empty")
    text = normalize_text(str(text_value))
    if not has_visible_characters(text):
        return Rejection("missing_text", f"{cols['text']} has no visible characters")
    if len(text) > max_text_chars:
        return Rejection(
            "text_too_long", f"{cols['text']} has {len(text):,} characters, more than max_text_chars={max_text_chars:,}"
        )

    time_value = values["created_at"]
    if _blank(time_value):
        return Rejection("missing_created_at", f"{cols['created_at']} is empty")
    try:
        created_at = parse_time(time_value, spec.created_at_format, spec.timezone)
    except (ValueError, TypeError, OverflowError, OSError):
        return Rejection(
            "bad_created_at",
            _detail(f"{cols['created_at']}={str(time_value)!r} does not match format {spec.created_at_format!r}", handles),
        )
    if created_at > now + FUTURE_TOLERANCE:
        return Rejection("future_created_at", f"{cols['created_at']}={created_at:%Y-%m-%d %H:%M} UTC is in the future")
    if created_at.date() < max(limits.earliest_created_at, _EARLIEST_REPRESENTABLE):
        return Rejection(
            "implausible_created_at",
            f"{cols['created_at']}={created_at:%Y-%m-%d} is before earliest_created_at={limits.earliest_created_at}",
        )

    row: dict = {
        "kind": spec.kind,
        "source": spec.name,
        "source_record_id": source_record_id,  # an id, not free text: never rewritten
        "created_at": created_at,
        "text": redact_text(text, handles),
    }
    for field in SCORE_RANGES:
        value = values.get(field)
        try:
            row[field] = None if value is None else parse_score(field, value)
        except ValueError as exc:
            return Rejection(exc.args[0], _detail(exc.args[1], handles))
    title = values.get("title")
    row["title"] = redact_text(normalize_text(str(title)), handles) or None if not _blank(title) else None
    for field in TEXT_FIELDS:
        value = values.get(field)  # mostly unmapped (None) or a short field seen before
        row[field] = None if value is None or _blank(value) else _short_field(str(value), handles)
    key = values.get("customer_key")
    row["customer_key"] = hash_customer_key(str(key), salt) if not _blank(key) else None
    extra = _without(data, list(cols.values())) if spec.keep_extra else {}
    row["extra"] = _EXTRA_JSON.encode(redact_value(extra, handles)) if extra else None

    row["feedback_id"] = feedback_id(spec.name, row["source_record_id"], created_at=created_at, text=row["text"])
    row["text_hash"] = sha256(row["text"])
    row["record_hash"] = sha256(_HASHED_JSON.encode(row))
    return row
