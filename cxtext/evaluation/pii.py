"""PII redaction measured: recall on a planted corpus, look-alikes kept, false positives on the sample data.

``python -m cxtext.evaluation.pii`` prints the figures docs/RELIABILITY.md quotes; tests/test_pii.py
checks them and plants the same values into a full nightly run.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from cxtext.config import load_settings
from cxtext.ingest.readers import open_records
from cxtext.ingest.redact import HandlePolicy, redact_text

#: Planted PII: (kind, value). Every one must be redacted wherever it is written.
PLANTED = (
    ("email", "jane.doe@example.com"),
    ("email", "m.okafor+cx@mail.example.co.uk"),
    ("email", "zoe_muller-1@example.de"),
    ("phone", "+44 20 7946 0958"),
    ("phone", "+1 (555) 010-4477"),
    ("phone", "0049 30 1234567"),
    ("phone", "+33 6 12 34 56 78"),
    ("phone", "+49 (0)30 1234567"),
    ("phone", "(+44) 20 7946 0958"),
    ("phone", "+81-3-1234-5678"),
    ("phone", "+91 98765 43210"),
    ("phone", "+61 412 345 678"),
    ("phone", "+353 1 234 5678"),
    ("phone", "+4915112345678"),
    ("phone", "+1.555.010.4477"),
    ("phone", "020 7946 0958"),
    ("phone", "07700 900123"),
    ("phone", "+49 30/1234567"),
    ("phone", "+7 495 123-45-67"),
    ("card", "4111 1111 1111 1111"),
    ("card", "5555-5555-5555-4444"),
    ("card", "378282246310005"),
    ("card", "6011111111111117"),
    ("card", "3530 1113 3330 0000"),
    ("iban", "GB29 NWBK 6016 1331 9268 19"),
    ("iban", "DE89370400440532013000"),
    ("iban", "FR14 2004 1010 0505 0001 3M02 606"),
    ("iban", "NL91ABNA0417164300"),
    ("iban", "ES91 2100 0418 4502 0005 1332"),
    ("ip", "192.168.1.23"),
    ("ip", "203.0.113.77"),
    ("ip", "10.0.0.1"),
    ("ip", "2001:db8:85a3::8a2e:370:7334"),
    ("ip", "fe80::1ff:fe23:4567:890a"),
    ("ip", "2001:0db8:0000:0000:0000:ff00:0042:8329"),
    ("handle", "@jane_doe88"),
    ("handle", "@kmurphy1990"),
    ("handle", "@Tom_Hughes"),
    ("ssn", "123-45-6789"),
    ("ssn", "078 05 1120"),
    ("nino", "AB 12 34 56 C"),
    ("nino", "JG103759A"),
)
#: PII written in ways the redactor is known to miss; measured, not required: a bare national
#: number reads like an order number, the others are not written as banks, mail and networks do.
KNOWN_MISSES = (
    ("phone", "07700900123"),
    ("iban", "gb29 nwbk 6016 1331 9268 19"),
    ("email", "jane dot doe at example dot com"),
    ("email", "jane@localhost"),
    ("ip", "192.168.001.023"),
)
#: Ways the values are written into a text.
TEMPLATES = (
    "Contact me at {value} please.",
    "{value}",
    "({value})",
    "my details: {value}, thanks",
    "line one\n{value}\nline two",
)
#: Look-alikes that are not PII: every one must come out unchanged.
LOOK_ALIKES = (
    "order 1234567812345678 never came",
    "ref 0123456789012",
    "tracking 1Z999AA10123456784",
    "version 2.10.3 crashes",
    "build 10.0.19041.1",
    "delivered 2026-07-06 10:00",
    "on 06.07.2026",
    "by 06/07/2026",
    "at 10:00:00",
    "paid £1 299.00",
    "paid 1,299.00",
    "code AB12CDEF3456789XYZ",
    "GB28 NWBK 6016 1331 9268 19 (bad check digits)",
    "256.1.1.1",
    "score 3:2",
    "std::vector",
    "MAC 00:1A:2B:3C:4D:5E",
    "Order #VS754988 was meant to arrive",
    "serial SN-2026-000123",
    "waited 45 minutes, 3 times",
    "call 999",
    "@VoltaShop #fail",
    "5 stars!!!",
    "ref 666-12-3456",
    "part 123-45-67890",
    "code GB123456A",
    "booking AB1234567C",
    "price 1\u202f299,00\u00a0€",
)
PLACEHOLDER = {
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "card": "[CARD]",
    "iban": "[IBAN]",
    "ip": "[IP]",
    "handle": "[HANDLE]",
    "ssn": "[SSN]",
    "nino": "[NINO]",
}
PLACEHOLDER_RE = re.compile(r"\[(EMAIL|PHONE|CARD|IBAN|IP|SSN|NINO|HANDLE)\]")
#: The kinds sampledata plants (manifest.json "pii"), by placeholder.
SAMPLE_KINDS = {"email": "EMAIL", "phone": "PHONE", "card_number": "CARD"}
ROOT = Path(__file__).resolve().parents[2]  # the checkout (developer tooling)


def recall(handles: HandlePolicy = HandlePolicy()) -> dict[str, tuple[int, int]]:
    """Per kind: (texts redacted, texts planted), over PLANTED and KNOWN_MISSES. Redacted means
    the value is gone and its kind's placeholder is there."""
    counts: dict[str, list[int]] = {}
    for kind, value in PLANTED + KNOWN_MISSES:
        for template in TEMPLATES:
            out = redact_text(template.format(value=value), handles)
            hit = counts.setdefault(kind, [0, 0])
            hit[0] += value not in out and PLACEHOLDER[kind] in out
            hit[1] += 1
    return {kind: (hit, total) for kind, (hit, total) in counts.items()}


def changed_look_alikes(handles: HandlePolicy = HandlePolicy.of(True, ["@VoltaShop"])) -> list[str]:
    """The look-alikes redaction changed (false positives by construction)."""
    return [text for text in LOOK_ALIKES if redact_text(text, handles) != text]


def sample_redactions(sample_dir: Path = ROOT / "sample_data", config: Path = ROOT / "cxtext.toml") -> dict:
    """Redactions on the sample data's redacted fields (every string but the record id, time and
    customer key), with the configured handle policy: per placeholder, how many, and how many
    the generator planted (manifest.json)."""
    import json

    settings = load_settings(config)
    found: Counter = Counter()
    strings = 0
    for spec in settings.sources.values():
        kept = {spec.columns.get(f) for f in ("source_record_id", "created_at", "customer_key")}
        for path in sorted(Path(sample_dir).glob(spec.pattern)):
            for record in open_records(path, spec.format, delimiter=spec.delimiter).records:
                for value in _strings(record.data or {}, kept):
                    strings += 1
                    found.update(PLACEHOLDER_RE.findall(redact_text(value, settings.pii_handles)))
    manifest = json.loads((Path(sample_dir) / "manifest.json").read_text())
    planted = Counter(SAMPLE_KINDS[p["kind"]] for p in manifest["pii"] if not p["must_survive"])
    return {"strings": strings, "found": dict(found), "planted": dict(planted)}


def _strings(data: dict, skip: set, prefix: str = ""):
    for key, value in data.items():
        name = f"{prefix}{key}"
        if name in skip:
            continue
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from _strings(value, skip, name + ".")


def markdown() -> str:
    """The figures as docs/RELIABILITY.md shows them."""
    lines = ["| kind | values | texts | redacted | recall |", "|---|---:|---:|---:|---:|"]
    values = Counter(kind for kind, _ in PLANTED + KNOWN_MISSES)
    total = [0, 0]
    for kind, (hit, n) in recall().items():
        lines.append(f"| {kind} | {values[kind]} | {n} | {hit} | {hit / n:.3f} |")
        total[0] += hit
        total[1] += n
    lines.append(f"| all | {len(PLANTED + KNOWN_MISSES)} | {total[1]} | {total[0]} | {total[0] / total[1]:.3f} |")
    changed = changed_look_alikes()
    lines += [
        "",
        f"Look-alikes changed: {len(changed)} of {len(LOOK_ALIKES)}" + (f" ({', '.join(changed)})" if changed else ""),
        "",
    ]
    sample = sample_redactions()
    lines += [
        f"Sample data: {sample['strings']:,} redacted strings scanned.",
        "",
        "| placeholder | redactions | planted by the generator | false positives |",
        "|---|---:|---:|---:|",
    ]
    for kind in ("EMAIL", "PHONE", "CARD", "IBAN", "IP", "SSN", "NINO", "HANDLE"):
        found, planted = sample["found"].get(kind, 0), sample["planted"].get(kind, 0)
        false = "(user handles: personal data)" if kind == "HANDLE" else max(0, found - planted)
        lines.append(f"| {kind} | {found} | {planted} | {false} |")
    return "\n".join(lines) + "\n"


NUMERIC_TOKEN_RE = re.compile(r"\S*\d\S*")


def numeric_tokens_changed(data_dir: Path) -> dict:
    """Over every line of every file under *data_dir* (read as UTF-8 text): whitespace-separated
    tokens holding a digit, how many redaction changes (a token of the line missing from its
    redacted line), and the placeholders put in. Public data holds little PII: nearly every
    change is a false positive, to read by hand."""
    tokens = changed = lines_changed = 0
    placeholders: Counter = Counter()
    for path in sorted(p for p in Path(data_dir).rglob("*") if p.is_file()):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            found = NUMERIC_TOKEN_RE.findall(line)
            tokens += len(found)
            if not found:
                continue
            redacted = redact_text(line, HandlePolicy(redact=False))
            if redacted == line:
                continue
            lines_changed += 1
            left = Counter(redacted.split())
            changed += sum(max(0, n - left[t]) for t, n in Counter(found).items())
            placeholders.update(PLACEHOLDER_RE.findall(redacted))
    return {
        "numeric_tokens": tokens,
        "changed": changed,
        "lines_changed": lines_changed,
        "placeholders": dict(placeholders),
    }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--numbers":
        figures = numeric_tokens_changed(Path(sys.argv[2]))
        sys.stdout.write(f"{figures} share changed: {figures['changed'] / max(1, figures['numeric_tokens']):.5f}\n")
    else:
        sys.stdout.write(markdown())
