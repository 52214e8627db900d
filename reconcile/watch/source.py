"""The watched git repository: fetched into the agent's state folder, each commit checked out clean.

The ``git`` command does the work (``docs/watch.md`` says why not a Python git library). The
agent keeps a bare cache (``<state>/watch/source.git``); a fetch brings the watched branch into
``refs/watch/head``, and a commit's files are written afresh under
``<state>/watch/checkouts/<sha>`` from ``git archive``, so that nothing left in a working tree
(an edit, an ignored file) can reach a cycle. The project is the folder ``path`` of the
repository (its root by default; a local checkout's default is the folder it was given).

Credentials come from the environment only: ``RECONCILE_GIT_TOKEN`` becomes an HTTP
``Authorization`` header passed to git through ``GIT_CONFIG_*`` variables (never on the command
line, where ``ps`` shows it), and SSH uses whatever ``GIT_SSH_COMMAND`` and the agent's keys say.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from reconcile.errors import ConfigError, SourceError

TOKEN_ENV = "RECONCILE_GIT_TOKEN"
_WATCHED_REF = "refs/watch/head"
# What git says when the credentials are refused or the repository is not there: trying again
# on the next interval cannot help, so these are reported once (see agent.py).
_PERMANENT = re.compile(
    r"authentication failed|could not read username|permission denied|repository .* not found|"
    r"does not appear to be a git repository|couldn't find remote ref|invalid refspec|"
    r"returned error: 40[134]",
    re.IGNORECASE,
)
_CREDENTIALS_IN_URL = re.compile(r"(\w+://)[^/@\s]+@")


class GitSource:
    """One branch of one repository (a URL or a local path), fetched on demand."""

    def __init__(
        self,
        url: str,
        branch: str | None,
        *,
        state: Path,
        env: Mapping[str, str],
        path: str | None = None,
    ) -> None:
        self.url = url
        if _is_local(url):  # a folder of a checkout: git fetches from its top
            self.branch = branch or _current_branch(Path(url))
            self.url, prefix = _top_and_prefix(Path(url))
            path = prefix if path is None else path
        else:
            self.branch = branch
        self.path = _project_folder(path or "")
        self.cache = state / "watch" / "source.git"
        self.checkouts = state / "watch" / "checkouts"
        self._env = _git_environment(env)

    @property
    def shown(self) -> str:
        """The repository, branch and folder, without any credentials a URL may hold."""
        folder = f", folder {self.path}" if self.path else ""
        return f"{_without_credentials(self.url)} ({self.branch or 'HEAD'}){folder}"

    def fetch(self) -> str:
        """Fetch the branch; the commit it points at now."""
        if not (self.cache / "HEAD").exists():
            self.cache.mkdir(parents=True, exist_ok=True)
            self._git("init", "--bare", "--quiet")
        ref = f"refs/heads/{self.branch}" if self.branch else "HEAD"
        self._git("fetch", "--quiet", "--force", "--no-tags", self.url, f"+{ref}:{_WATCHED_REF}")
        return self._git("rev-parse", "--verify", f"{_WATCHED_REF}^{{commit}}").strip()

    def checkout(self, commit: str) -> Path:
        """The project's folder in the commit's files, which are written once under the state
        folder and then reused."""
        if not re.fullmatch(r"[0-9a-f]{40,64}", commit):
            raise SourceError(f"not a commit id: {commit!r}")
        project = self._files(commit) / self.path
        if not project.is_dir():
            raise SourceError(
                f"commit {commit[:12]} of {self.shown} has no folder {self.path!r}: "
                "check --path (the project's folder in the repository)"
            )
        return project

    def _files(self, commit: str) -> Path:
        folder = self.checkouts / commit
        if folder.is_dir():
            return folder
        self.checkouts.mkdir(parents=True, exist_ok=True)
        archive = self._git_bytes("archive", "--format=tar", commit)
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.checkouts))
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(staging, filter="data")
        try:
            staging.rename(folder)
        except OSError:  # written meanwhile by another tenant's cycle: theirs is the same
            shutil.rmtree(staging, ignore_errors=True)
        return folder

    def keep_only(self, commits: set[str]) -> None:
        """Remove the checkouts of every other commit (the folder stays bounded)."""
        if not self.checkouts.is_dir():
            return
        for folder in self.checkouts.iterdir():
            if folder.name not in commits and not folder.name.startswith(".incoming-"):
                shutil.rmtree(folder, ignore_errors=True)

    def _git(self, *args: str) -> str:
        return self._git_bytes(*args).decode("utf-8", "replace")

    def _git_bytes(self, *args: str) -> bytes:
        command = ["git", f"--git-dir={self.cache}", *args]
        try:
            done = subprocess.run(
                command, env=self._env, capture_output=True, timeout=300, check=False
            )
        except FileNotFoundError:
            raise SourceError("git is not installed: install it (e.g. apt-get install git)",
                              permanent=True) from None  # fmt: skip
        except subprocess.TimeoutExpired:
            raise SourceError(f"git {args[0]} from {self.shown} took over 300 s") from None
        if done.returncode != 0:
            said = _without_credentials(done.stderr.decode("utf-8", "replace"))
            last = " ".join(said.split())[-300:] or f"exit status {done.returncode}"
            raise SourceError(
                f"git {args[0]} of {self.shown} failed: {last}",
                permanent=bool(_PERMANENT.search(said)),
            )
        return done.stdout


def _without_credentials(text: str) -> str:
    return _CREDENTIALS_IN_URL.sub(r"\1", text)


def _is_local(url: str) -> bool:
    return "://" not in url and not re.match(r"^[\w.-]+@[\w.-]+:", url)


def _project_folder(given: str) -> str:
    """``given`` as a folder inside the repository (``crm/reconcile``; ``""``: its root)."""
    folder = PurePosixPath(given.replace("\\", "/"))
    if folder.is_absolute() or ".." in folder.parts:
        raise ConfigError(
            f"--path {given!r} is not a folder inside the repository: give it relative to the "
            "repository's root, like crm/reconcile"
        )
    return "" if str(folder) == "." else str(folder)


def _top_and_prefix(checkout: Path) -> tuple[str, str]:
    """The top of the local repository ``checkout`` is a folder of, and where in it the folder
    is (``""``: at the top)."""
    said = _local_git(checkout, "rev-parse", "--show-toplevel", "--show-prefix")
    if said is None:  # a bare repository has no top: fetched as given
        return str(checkout), ""
    top, _, prefix = said.partition("\n")
    return top, prefix.strip()


def _current_branch(checkout: Path) -> str | None:
    """The branch checked out in a local repository; None when its HEAD is detached."""
    branch = _local_git(checkout, "symbolic-ref", "--quiet", "--short", "HEAD")
    if branch is not None:
        return branch.strip() or None
    if _local_git(checkout, "rev-parse", "--git-dir") is None:
        raise SourceError(
            f"{checkout} is not a git checkout: run `git init` and commit profiles.d/, "
            "or pass --repo URL",
            permanent=True,
        )
    return None


def _local_git(checkout: Path, *args: str) -> str | None:
    """What ``git -C checkout ARGS`` prints, or None when it fails."""
    done = subprocess.run(
        ["git", "-C", str(checkout), *args], capture_output=True, check=False, timeout=30
    )
    return done.stdout.decode() if done.returncode == 0 else None


def _git_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The process environment for git: never prompting, with the token as an HTTP header."""
    chosen = {k: v for k, v in os.environ.items() if not k.startswith("GIT_CONFIG_")}
    chosen.update({k: v for k, v in env.items() if k.startswith(("GIT_SSH", "SSH_"))})
    chosen["GIT_TERMINAL_PROMPT"] = "0"
    token = env.get(TOKEN_ENV, "").strip()
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        chosen |= {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "http.extraHeader",
            "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
        }
    return chosen
