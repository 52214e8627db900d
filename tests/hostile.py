"""Hostile values for reports, a plan that holds one everywhere it can, and readers of each format.

``CATALOGUE`` names each value; :func:`plan_holding` puts one value in every place a plan shows
text (keys, namespaces, handles, tags, identity identifiers, custom attribute values before and
after, conflicts, withheld keys, the tenant, the selection, unsafe reasons), so a report of it can
be compared with a report of the same plan holding a plain word (:func:`markdown_shape`,
:func:`html_shape`).
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from markdown_it import MarkdownIt

from reconcile.plan.diff import FieldChange
from reconcile.plan.options import PlanOptions, Selectors
from reconcile.plan.value import Change, Conflict, Plan, Withheld
from reconcile.report.escape import HIDDEN_RANGES

CATALOGUE: dict[str, str] = {
    **{f"backticks-{n}": f"a{'`' * n}b" for n in range(1, 13)},
    "backticks-edges": "`` x ``",
    "backtick-run-then-details": "x``</details> **APPROVED: no deletes** <!--",
    "details-close": "</details>",
    "html-comment": "<!-- hidden",
    "script": "<script>alert(1)</script>",
    "img-tag": '<img src=x onerror="alert(1)">',
    "markdown-link": "[click here](https://evil.example/)",
    "markdown-image": "![pixel](https://evil.example/p.png)",
    "autolink": "<https://evil.example/>",
    "heading": "# APPROVED",
    "emphasis": "**bold** _em_ ~~gone~~",
    "list-dash": "- delete victim (000)",
    "list-number": "1. first",
    "quote": "> [!NOTE] approved",
    "table": "| a | b |\n|---|---|\n| c | d |",
    "entity": "&lt;b&gt;&amp;&#96;",
    "backslash": "\\`\\*\\",
    "lf": "line1\nline2\n- delete victim (000)",
    "cr": "gold\r- delete everyone",
    "crlf": "gold\r\n- delete everyone",
    "ansi-csi": "\x1b[31mred\x1b[0m \x1b[2K\x1b[1A",
    "osc-8": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "c0": "".join(chr(code) for code in range(0x20)) + "\x7f",
    "c1": "\x85\x9b31m\x9d8;;x\x9c",
    "bidi-overrides": "\u202atxt\u202b\u202c\u202d\u202egnp.exe",
    "bidi-isolates": "\u2066a\u2067b\u2068c\u2069",
    "zero-width": "a\u200bb\u200cc\u200dd\ufeffe",
    "separators": "a\u2028b\u2029c",
}
PLAIN = "plain"
HIDDEN = f"[{HIDDEN_RANGES}]"


def plan_holding(value: str) -> Plan:
    """A plan with ``value`` in every place a report shows text from the plan or the tenant."""
    custom = f"custom_attributes.{value}.{value}"
    identity = f"identities.{value}"
    fields = (
        FieldChange(field=custom, path=custom, before=value, after=f"{value}!"),
        FieldChange(field="tags", path="tags", before=[value], after=[value, "vip"]),
        FieldChange(field=identity, path=identity, before=None, after=value),
    )
    rename = FieldChange(
        field="identities.reconcile", path="identities.reconcile", before=value, after="k-new"
    )
    changes = (
        Change(action="update", key=value, profile_id=value, fingerprint="f", fields=fields),
        Change(action="rename", key="k-new", profile_id="p2", fingerprint="f", fields=(rename,)),
        Change(action="delete", key=f"{value}-gone", profile_id="p3", fingerprint="f"),
    )
    conflict = Conflict(
        kind="taken",
        keys=(value, f"{value}-2"),
        fields=(f"identities.{value}",),
        profile_ids=(value,),
        values={f"identities.{value}": value},
        reason=f"identities.{value} {value} belongs to an unmanaged profile, which keeps it",
    )
    return Plan(
        options=PlanOptions(
            tenant=value,
            selectors=Selectors(target=(value,), exclude=(value,)),
            allow_conflicts=True,
            allow_delete=True,
        ),
        inputs_digest="d",
        changes=changes,
        conflicts=(conflict,),
        withheld=(Withheld(action="purge", key=value, reason="purged"),),
        unsafe=(f"too many updates: {value}",),
        managed=3,
    )


def markdown_parser() -> MarkdownIt:
    """CommonMark with GitHub's tables and strikethrough."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def markdown_tokens(text: str) -> list[Any]:
    """Every token of ``text``, inline children included, in document order."""
    tokens = []
    for token in markdown_parser().parse(text):
        tokens.append(token)
        tokens.extend(token.children or ())
    return tokens


def markdown_shape(text: str) -> list[tuple[str, str, int, str]]:
    """The structure a CommonMark renderer gives ``text``: each token's type, tag and nesting,
    with the content of raw HTML (which the template alone may write)."""
    return [
        (token.type, token.tag, token.nesting, token.content if "html" in token.type else "")
        for token in markdown_tokens(text)
    ]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[str, ...]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag, *sorted(name for name, _ in attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))

    def handle_comment(self, data: str) -> None:
        self.events.append(("comment",))

    def handle_decl(self, decl: str) -> None:
        self.events.append(("decl", decl))


def html_shape(text: str) -> list[tuple[str, ...]]:
    """The tags, comments and declarations of an HTML document, in order."""
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser.events
