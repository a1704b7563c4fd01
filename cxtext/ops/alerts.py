"""Alerts: emerging issues, failed checks and failed runs, sent to the channels a team configures
([alerts] in cxtext.toml: apprise URLs for e-mail, Slack, Teams, a webhook), each issue once.

What was sent is remembered in the state folder (`alerts_sent.json`): an emerging issue (a theme
or topic in a week) is sent once ever; a failed check once until it passes again; a failed run
once. Alerts leave the system, beyond erasure's reach: they carry figures and names, the
(already PII-redacted) quotes only when `quotes = true`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cxtext.config import Settings
from cxtext.errors import CxtextError
from cxtext.store.db import Store, utcnow

SENT_FILE = "alerts_sent.json"
#: Quotes per emerging issue, when quotes are configured.
QUOTES = 2


@dataclass(frozen=True)
class Alert:
    key: str  # what "the same issue" means: sent once per key
    title: str
    body: str


def emerging_alerts(store: Store, settings: Settings) -> list[Alert]:
    """One alert per emerging issue the view flags (theme or topic, week), with its figures."""
    alerts = []
    for week, kind, stage, theme, name, count, expected, z in store.execute(
        "SELECT week, kind, stage, theme, theme_name, count, expected, z FROM emerging_issues ORDER BY week, z DESC"
    ):
        where = f" at {stage}" if stage else ""
        body = f"{name or theme}{where}: {count} negative mention(s) in the week of {week}, {expected:g} expected (z = {z:g})."
        if settings.alerts.quotes and kind == "theme":
            quotes = [
                q
                for (q,) in store.execute(
                    "SELECT m.clause FROM theme_mentions m JOIN feedback_enriched f ON f.feedback_id = m.feedback_id "
                    "WHERE m.theme = ? AND m.stage = ? AND f.local_week = ? AND m.label = 'negative' "
                    "ORDER BY m.compound, m.feedback_id LIMIT ?",
                    [theme, stage, week, QUOTES],
                )
            ]
            body += "".join(f"\n> {q}" for q in quotes)
        alerts.append(Alert(f"emerging:{kind}:{stage}:{theme}:{week}", f"cxtext: emerging issue {name or theme}", body))
    return alerts


def check_alerts(failed: list[str]) -> list[Alert]:
    """One alert per failed check line (`fail  name: figure (threshold)`)."""
    return [Alert(f"check:{line.split(':', 1)[0].split()[-1]}", "cxtext: a health check failed", line) for line in failed]


def run_failed_alert(run_id: int | None, flow: str, error: str) -> Alert:
    return Alert(f"run:{flow}:{run_id}", f"cxtext: the {flow} run failed", error)


#: [alerts] events → the kind of alert (its key's prefix) and the title of its message.
EVENTS = {
    "emerging": ("emerging", "emerging issue(s)"),
    "checks": ("check", "health check(s) failed"),
    "failed_runs": ("run", "failed run(s)"),
}


def send_alerts(settings: Settings, alerts: list[Alert], *, passing_checks: bool = False) -> list[Alert]:
    """Send the alerts not sent before to every configured channel, one message per kind of
    alert, and remember them. With *passing_checks* (the checks just ran), checks not failing now
    are forgotten, so that a later failure alerts again. Returns what was sent."""
    config = settings.alerts
    if not config.urls:
        return []
    sent = _read_sent(settings.state_dir)
    if passing_checks:
        failing = {a.key for a in alerts if a.key.startswith("check:")}
        sent = {k: v for k, v in sent.items() if not k.startswith("check:") or k in failing}
    new = [a for a in alerts if a.key not in sent]
    for event in config.events:
        prefix, what = EVENTS[event]
        group = [a for a in new if a.key.startswith(prefix + ":")]
        if group:
            title = group[0].title if len(group) == 1 else f"cxtext: {len(group)} {what}"
            _notify(config.urls, title, "\n\n".join(a.body for a in group))
    shown = {EVENTS[e][0] for e in config.events}
    new = [a for a in new if a.key.split(":", 1)[0] in shown]
    now = utcnow().isoformat(timespec="seconds")
    sent.update({a.key: now for a in new})
    _write_sent(settings.state_dir, sent)
    return new


def _notify(urls: list[str], title: str, body: str) -> None:
    import apprise  # installed with Prefect; imported only when alerts are configured

    sender = apprise.Apprise()
    for url in urls:
        if not sender.add(url):
            raise CxtextError(f"[alerts] urls: {url.split('://')[0]}:// is not a channel apprise knows")
    if not sender.notify(title=title, body=body):
        raise CxtextError(f"alert not delivered to every channel ({title}); see the log for apprise's reason")


def _read_sent(state_dir: Path) -> dict[str, str]:
    path = state_dir / SENT_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def _write_sent(state_dir: Path, sent: dict[str, str]) -> None:
    path = state_dir / SENT_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(sent, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)
