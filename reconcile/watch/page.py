"""The status page (``/``) and a cycle's page (``/cycles/<id>``): plain HTML, no JavaScript.

Every value shown is escaped here, once (``html.escape``), so nothing a file, a tenant or an
error message holds can add markup. The page refreshes itself through a ``<meta>`` tag. Plans are
shown as the report code renders them, masked.
"""

from __future__ import annotations

from html import escape

from pydantic import BaseModel, ConfigDict

from reconcile.watch.record import CycleRecord, State

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:70em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;
text-align:left;vertical-align:top}th{background:#f4f4f4}pre{background:#f8f8f8;padding:1em;
overflow:auto;max-height:30em}.state{font-weight:bold;padding:.1em .4em;border-radius:.3em;
white-space:nowrap}
.in-sync{background:#d4f7d4}.drifted{background:#ffe9b0}.healing{background:#cfe3ff}
.failing{background:#ffd0d0}.unknown{background:#eee}
"""


class TenantView(BaseModel):
    """One tenant as the page shows it."""

    model_config = ConfigDict(frozen=True)

    tenant: str
    kind: str
    mode: str
    state: State
    last_sync: str | None = None
    commit: str | None = None
    last: CycleRecord | None = None


def status_page(
    source: str, tenants: list[TenantView], cycles: list[CycleRecord], refresh: int
) -> str:
    rows = "".join(_tenant_row(view) for view in tenants)
    plans = "".join(_current_plan(view) for view in tenants)
    body = (
        f"<h1>reconcile watch</h1><p>Watching {_e(source)}.</p>"
        "<h2>Tenants</h2><table><tr><th>tenant</th><th>kind</th><th>mode</th><th>state</th>"
        "<th>last sync</th><th>commit</th><th>last cycle</th></tr>"
        f"{rows}</table>{plans}<h2>Recent cycles</h2>{_cycles_table(cycles)}"
    )
    return _document("reconcile watch", body, refresh)


def cycle_page(record: CycleRecord) -> str:
    facts = [
        ("tenant", record.tenant),
        ("started", record.started_at),
        ("duration", f"{record.duration:.1f} s"),
        ("commit", record.commit or "-"),
        ("outcome", record.outcome),
        ("summary", record.summary or "-"),
        ("error", record.error or "-"),
        ("changes applied", str(record.applied)),
        ("changes failed", str(record.apply_failed)),
        (
            "lock",
            f"waited {record.lock_waited:.1f} s for {record.lock_holder}"
            if record.lock_holder
            else "free",
        ),
        (
            "API requests",
            f"{record.api_calls} ({record.api_retries} retried, {record.api_throttled} throttled)",
        ),
    ]
    table = "".join(f"<tr><th>{_e(name)}</th><td>{_e(value)}</td></tr>" for name, value in facts)
    rejected = ""
    if record.rejected:
        problems = "".join(f"<li>{_e(problem)}</li>" for problem in record.problems)
        rejected = (
            f"<h2>Rejected commit {_e(record.rejected[:12])}</h2>"
            f"<p>It fails validate; the last good commit stays in force.</p><ul>{problems}</ul>"
        )
    report = f"<h2>Plan</h2><pre>{_e(record.report)}</pre>" if record.report else ""
    body = (
        f'<p><a href="/">&larr; all tenants</a></p><h1>Cycle {record.id}: {_e(record.tenant)}</h1>'
        f"<table>{table}</table>{rejected}{report}"
    )
    return _document(f"cycle {record.id}", body, refresh=0)


def not_found_page(what: str) -> str:
    return _document(
        "not found", f'<h1>Not found</h1><p>{_e(what)}</p><p><a href="/">back</a></p>', 0
    )


def _tenant_row(view: TenantView) -> str:
    last = view.last
    said = (
        "-"
        if last is None
        else f'<a href="/cycles/{last.id}">#{last.id}</a> {_e(last.outcome)}: '
        + _e(last.error or last.summary)
    )
    css = view.state.replace(" ", "-")
    return (
        f"<tr><td>{_e(view.tenant)}</td><td>{_e(view.kind)}</td><td>{_e(view.mode)}</td>"
        f'<td><span class="state {css}">{_e(view.state)}</span></td>'
        f"<td>{_e(view.last_sync or 'never')}</td>"
        f"<td><code>{_e((view.commit or '-')[:12])}</code></td>"
        f"<td>{said}</td></tr>"
    )


def _current_plan(view: TenantView) -> str:
    last = view.last
    if last is None or not last.report:
        return ""
    return f"<h2>Current plan: {_e(view.tenant)}</h2><pre>{_e(last.report)}</pre>"


def _cycles_table(cycles: list[CycleRecord]) -> str:
    if not cycles:
        return "<p>No cycle has run yet.</p>"
    rows = "".join(
        f'<tr><td><a href="/cycles/{c.id}">#{c.id}</a></td><td>{_e(c.tenant)}</td>'
        f"<td>{_e(c.started_at)}</td><td>{c.duration:.1f} s</td>"
        f"<td><code>{_e((c.commit or '-')[:12])}</code></td><td>{_e(c.outcome)}</td>"
        f"<td>{_e(c.error or c.summary)}</td></tr>"
        for c in cycles
    )
    return (
        "<table><tr><th>cycle</th><th>tenant</th><th>started</th><th>took</th><th>commit</th>"
        f"<th>outcome</th><th>what happened</th></tr>{rows}</table>"
    )


def _document(title: str, body: str, refresh: int) -> str:
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title>{meta}<style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def _e(text: str) -> str:
    return escape(text, quote=True)
