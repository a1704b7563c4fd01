"""What erasure needs from ingest: keys to find a reject by, and tombstones that keep erased records out.

A reject's raw text is PII-redacted, so a customer key inside it cannot be matched later; each reject
is stored with the keyed hash of its customer key (or, when the record could not be parsed, the keyed
hashes of the words of its raw text) and its record id. An erased record leaves a tombstone: salted
hashes of its (source, record id) and of its (source, raw content), never the key. Every later ingest
or archive re-read passes over a record whose id or content is tombstoned (cxtext.ingest.load), so an
erased record never comes back, while the same customer's new records load normally.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re

from cxtext.config import SourceSpec
from cxtext.ingest.readers import RawRecord
from cxtext.ingest.records import lookup
from cxtext.ingest.redact import hash_customer_key

#: At most this many word hashes are kept for an unparsable reject (a key is near the start).
MAX_WORD_KEYS = 256
_WORD_RE = re.compile(r"[^\s,;:|\"'{}\[\]()=]+")
_LINE_ENDS_RE = re.compile(r"\r\n?")


def _keyed(salt: str, *parts: str) -> str:
    return hmac.new(salt.encode(), "\x1f".join(parts).encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def id_hash(source: str, record_id: str, salt: str) -> str:
    """The tombstone of a (source, record id)."""
    return _keyed(salt, "id", source, str(record_id).strip())


def content_hash(source: str, raw: str, salt: str) -> str:
    """The tombstone of a record's raw content (line ends and surrounding space aside)."""
    return _keyed(salt, "raw", source, _LINE_ENDS_RE.sub("\n", raw).strip())


def raw_words(raw: str, delimiter: str = ",") -> list[str]:
    """The fields of an unparsable record (CSV-split, else words), where its customer key may be."""
    try:
        fields = next(csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter), [])
    except csv.Error:
        fields = []
    words = [f for f in fields if f.strip()] + _WORD_RE.findall(raw)
    return list(dict.fromkeys(w.strip() for w in words if w.strip()))[:MAX_WORD_KEYS]


def reject_keys(record: RawRecord, spec: SourceSpec, salt: str) -> dict:
    """The columns that let erasure find a reject: customer_key, source_record_id, key_hashes."""
    if record.data is None:
        return {
            "customer_key": None,
            "source_record_id": None,
            "key_hashes": sorted({hash_customer_key(w, salt) for w in raw_words(record.raw, spec.delimiter)}),
        }
    key = spec.columns.get("customer_key")
    value = lookup(record.data, key) if key else None
    rid = spec.columns.get("source_record_id")
    record_id = lookup(record.data, rid) if rid else None
    blank = value is None or not str(value).strip()
    return {
        "customer_key": None if blank else hash_customer_key(str(value), salt),
        "source_record_id": None if record_id is None or not str(record_id).strip() else str(record_id).strip(),
        "key_hashes": None,
    }


class Tombstones:
    """The tombstones of one source, loaded once per file."""

    def __init__(self, rows: list[tuple[str, str]], source: str, salt: str):
        self.source, self.salt = source, salt
        self.ids = {i for i, _ in rows if i}
        self.contents = {c for _, c in rows if c}

    def erased(self, record: RawRecord, spec: SourceSpec) -> bool:
        if not self.ids and not self.contents:
            return False
        if content_hash(self.source, record.raw, self.salt) in self.contents:
            return True
        column = spec.columns.get("source_record_id")
        value = lookup(record.data, column) if column and record.data is not None else None
        return value is not None and str(value).strip() != "" and id_hash(self.source, str(value), self.salt) in self.ids
