"""watch: the agent that keeps tenants at what the git repository declares (reconcile/watch/)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer

from reconcile.cli.common import app, notice, settings_of
from reconcile.errors import ConfigError
from reconcile.settings import LOCAL_TENANT, Settings, load_settings
from reconcile.watch.agent import Agent
from reconcile.watch.config import AgentConfig
from reconcile.watch.reconciler import ProjectReconciler, Reconciler
from reconcile.watch.source import GitSource


@app.command()
def watch(
    ctx: typer.Context,
    repo: Annotated[
        str | None,
        typer.Option("--repo", help="Repository URL or path to watch (default: this checkout)."),
    ] = None,
    branch: Annotated[
        str | None, typer.Option("--branch", help="Branch to watch (default: the checked-out one).")
    ] = None,
    path: Annotated[
        str | None,
        typer.Option(
            "--path",
            help="The project's folder in the repository (default: this project's folder; "
            "with --repo URL, the repository's root).",
        ),
    ] = None,
    tenant: Annotated[
        list[str] | None,
        typer.Option("--tenant", "-t", help="Tenant to reconcile (repeatable; default: see docs)."),
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", min=0.5, help="Seconds between cycles.")
    ] = 180.0,
    host: Annotated[
        str, typer.Option("--host", help="Address of the page, metrics, health and webhook.")
    ] = ("127.0.0.1"),
    port: Annotated[
        int,
        typer.Option(
            "--port",
            min=0,
            max=65535,
            help="Port of the page, metrics, health and webhook (0: any).",
        ),
    ] = 8710,
    lock_wait: Annotated[
        float,
        typer.Option(
            "--lock-wait", min=0, help="Seconds to wait for another apply's lock, then skip."
        ),
    ] = 10.0,
    notify_url: Annotated[
        str | None,
        typer.Option(
            "--notify-url", envvar="RECONCILE_NOTIFY_URL", help="POST state changes here."
        ),
    ] = None,
    slack_url: Annotated[
        str | None,
        typer.Option("--slack-url", envvar="RECONCILE_SLACK_URL", help="Slack incoming webhook."),
    ] = None,
    webhook_secret_env: Annotated[
        str,
        typer.Option("--webhook-secret-env", help="Variable holding the webhook's HMAC secret."),
    ] = "RECONCILE_WEBHOOK_SECRET",
    history: Annotated[
        int, typer.Option("--history", min=10, help="Cycles kept per tenant in the history.")
    ] = 200,
) -> None:
    """Pull profiles.d/ from git on an interval and on a signed webhook: heal test tenants,
    report drift on production ones; serve a status page, metrics and health on --port.

    Example: reconcile watch --interval 60 --tenant staging --tenant production
    """
    here = settings_of(ctx)
    state = here.path(here.state_dir).resolve()
    url = repo or str(here.root.resolve())
    source = GitSource(url, branch, state=state, env=os.environ, path=path)
    # The tenants and their policies are what the watched branch's reconcile.toml says now.
    settings = load_settings(source.checkout(source.fetch()))
    chosen = _tenants(settings, tenant)
    secret = os.environ.get(webhook_secret_env, "").strip()
    config = AgentConfig(state=state, tenants=chosen, interval=interval, host=host, port=port,
                         lock_wait=lock_wait, history_keep=history,
                         webhook_secret=secret.encode() or None, notify_url=notify_url,
                         slack_url=slack_url)  # fmt: skip

    def opened(checkout: Path, name: str) -> Reconciler:
        return ProjectReconciler(checkout, name, state=state, env=os.environ)

    described = {name: _described(settings, name) for name in chosen}
    agent = Agent(config, source, opened, described, say=notice)
    asyncio.run(agent.run())


def _tenants(settings: Settings, given: list[str] | None) -> tuple[str, ...]:
    """As given; else every tenant with a ``[tenants.NAME.watch]`` section; else ``local``."""
    known = {LOCAL_TENANT, *settings.tenants}
    for name in given or []:
        if name not in known:
            raise ConfigError(
                f"unknown tenant {name!r}; configured tenants: {', '.join(sorted(known))}"
            )
    if given:
        return tuple(dict.fromkeys(given))
    sections = [name for name, t in settings.tenants.items() if "watch" in t.model_fields_set]
    return tuple(sorted(sections)) or (LOCAL_TENANT,)


def _described(settings: Settings, name: str) -> tuple[str, str]:
    configured = settings.tenants.get(name)
    if configured is None:
        return "test", "self-heal"
    return configured.kind, configured.watch.mode_for(configured.kind)
