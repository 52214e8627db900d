"""How each report format shows a text from a plan, so that no value can change what a report says.

One rule per format (docs/plans.md, "How reports show values"):

- **text** and **HTML**: :func:`visible`. Every character that is not shown as itself on a
  screen, or that moves what follows it, is written as an escape: line breaks (``\\n``, ``\\r``),
  other C0 and C1 controls such as ESC (``\\x1b``, which starts ANSI and OSC 8 sequences), bidi
  overrides and isolates (``\\u202e``), zero-width characters (``\\u200b``, ``\\ufeff``), the
  line and paragraph separators, and lone surrogates; a backslash is doubled, so an escape in a
  value reads differently from an escaped character. HTML then escapes ``<>&"'`` (jinja2's
  autoescape).
- **Markdown**: :func:`md_code` puts a value in a code span whose fence is one backtick longer
  than the longest run of backticks in it, padded with spaces, after :func:`visible`; CommonMark
  ends a code span only at a run of exactly the fence's length and reads nothing inside it as
  markup, and no line break is left to end the line. :func:`md_text`, for sentences that hold
  values (a conflict's reason), also backslash-escapes every character that can start inline
  markup; such sentences never start a line, so block markup (headings, lists) cannot start.
- **JSON**: :func:`json_visible` writes the same characters as ``\\uXXXX`` escapes: the value
  read back is unchanged, and a terminal showing the document shows no control.

>>> visible("gold\\r\\n- delete everyone \\u202e")
'gold\\\\r\\\\n- delete everyone \\\\u202e'
>>> md_code("x``</details>")
'``` x``</details> ```'
"""

from __future__ import annotations

import re

# Unicode categories Cc (controls), Cf (format: bidi, zero-width, soft hyphen), Cs (surrogates),
# Zl and Zp (line and paragraph separators), as ranges; tests/test_report_escape.py checks that
# they cover every such character the running Python knows.
_C0 = "\x00-\x1f"
_OTHER_HIDDEN = (
    "\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
HIDDEN_RANGES = _C0 + _OTHER_HIDDEN
# json.dumps writes C0 controls in strings as escapes itself; outside strings they are its layout.
_JSON_HIDDEN = re.compile(f"[{_OTHER_HIDDEN}]")
_SHOWN = re.compile(f"[\\\\{HIDDEN_RANGES}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
_BACKTICKS = re.compile("`+")
# Characters that start inline markup in CommonMark and GitHub's Markdown: code, emphasis,
# strikethrough, links and images, autolinks and raw HTML, entities, escapes, table cells.
_MARKUP = re.compile(r"([\\`*_~\[\]<>&|!])")


def visible(text: str) -> str:
    """``text`` with its controls, format characters and backslashes written as escapes."""
    return _SHOWN.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    char = found.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def md_code(value: object) -> str:
    """A Markdown code span showing ``value`` (made :func:`visible`) that nothing can end early."""
    text = visible(str(value))
    if not text.strip(" "):
        return f"`{text or ' '}`"  # all spaces: CommonMark keeps them as they are
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each side when both are there: a value that starts with a
    # backtick must not touch the fence, and one with a space at each end keeps them.
    if longest or (text.startswith(" ") and text.endswith(" ")):
        return f"{fence} {text} {fence}"
    return f"{fence}{text}{fence}"


def md_text(value: object) -> str:
    """A sentence for a Markdown line, not at its start: visible, with no character left that
    starts inline markup."""
    return _MARKUP.sub(r"\\\1", visible(str(value)))


def json_visible(document: str) -> str:
    """A JSON document with every hidden character (inside its strings) written as ``\\uXXXX``."""
    return _JSON_HIDDEN.sub(_json_escape, document)


def _json_escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)  # JSON escapes only UTF-16 code units
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


def clipped(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with ``…``, for a report of bounded size."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
