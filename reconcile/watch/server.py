"""Serve the agent's web app with uvicorn in a background thread (the agent's only uvicorn use).

In a thread uvicorn installs no signal handlers, so SIGTERM reaches the agent's own (``agent.py``),
which stops the cycles first and the server last. The port is bound here, so one in use is one
clear error rather than uvicorn's log.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn

from reconcile.errors import ConfigError


class HttpServer:
    def __init__(self, app: Any, host: str, port: int) -> None:
        self.listener = _listening(host, port)
        bound = self.listener.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{bound}/"
        config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.listener]}, name="watch-http",
            daemon=True,
        )  # fmt: skip

    def start(self) -> None:
        self.thread.start()
        for _ in range(500):
            if self.server.started or not self.thread.is_alive():
                break
            threading.Event().wait(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.listener.close()


def _listening(host: str, port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
    except OSError as exc:
        listener.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port"
        ) from None
    return listener
