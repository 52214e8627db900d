"""Who may call a served sandbox: a chosen token, and where the published ones may listen.

With no token chosen, the sandbox answers its published tokens (``sandbox-admin-token`` to write,
``sandbox-read-token`` to read): anyone who has read the docs holds them, so such a sandbox may
listen only on loopback. Choosing a write token (``--token`` or ``RECONCILE_SANDBOX_TOKEN``)
retires both published tokens; a read-only token may be chosen beside it.

>>> sorted(chosen_tokens(None, None).values())
['read', 'write']
>>> chosen_tokens("w" * 32, None) == {"w" * 32: "write"}
True
>>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0")
(True, True, False)
"""

from __future__ import annotations

import ipaddress
import re

from reconcile.sandbox.config import DEFAULT_TOKEN, READ_ONLY_TOKEN, SandboxConfig, Scope

TOKEN_ENV = "RECONCILE_SANDBOX_TOKEN"
READ_TOKEN_ENV = "RECONCILE_SANDBOX_READ_TOKEN"
PUBLISHED = (DEFAULT_TOKEN, READ_ONLY_TOKEN)
MIN_LENGTH = 16
_TOKEN = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII without spaces: fits a bearer header
_HOW = f'choose a token with --token (or {TOKEN_ENV}), e.g. --token "$(openssl rand -hex 24)"'


class SandboxRefused(ValueError):
    """A setting the sandbox will not serve with; the message is one line and says what to do."""


def chosen_tokens(write: str | None, read: str | None) -> dict[str, Scope]:
    """The tokens a served sandbox answers, from the chosen write and read-only tokens (or None).

    A chosen write token replaces both published tokens; a chosen read token replaces the
    published read token only.
    """
    for option, token in (("--token", write), ("--read-token", read)):
        if token is not None:
            _check(option, token)
    if write is not None and write == read:
        raise SandboxRefused("--token and --read-token must differ: a read token cannot write")
    tokens: dict[str, Scope] = {write or DEFAULT_TOKEN: "write"}
    if read is not None:
        tokens[read] = "read"
    elif write is None:
        tokens[READ_ONLY_TOKEN] = "read"
    return tokens


def _check(option: str, token: str) -> None:
    if token in PUBLISHED:
        raise SandboxRefused(f"{option} may not be a published sandbox token; {_HOW}")
    if len(token) < MIN_LENGTH or not _TOKEN.match(token):
        raise SandboxRefused(
            f"{option} must be at least {MIN_LENGTH} printable characters without spaces; {_HOW}"
        )


def uses_published_token(config: SandboxConfig) -> bool:
    return any(token in PUBLISHED for token in config.tokens)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (``localhost`` counts; other names do not)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(config: SandboxConfig, host: str) -> None:
    """Refuse to listen beyond loopback while a published token would let anyone in."""
    if uses_published_token(config) and not is_loopback(host):
        raise SandboxRefused(
            f"refusing to listen on {host} with the published sandbox token; {_HOW},"
            " or listen on 127.0.0.1"
        )
