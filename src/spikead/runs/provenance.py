"""When and from which source a result was made (stamped into every ``metrics.json``)."""

from __future__ import annotations

import datetime as _dt
import subprocess
from pathlib import Path

#: The checkout this package was imported from (``src/spikead/runs`` -> the repository root).
_REPO = Path(__file__).resolve().parents[3]


def utc_now() -> str:
    """The current time in UTC, ISO 8601 to the second (``2026-12-06T03:04:05Z``)."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def source_commit(repo: Path = _REPO) -> str:
    """The commit of ``repo``'s checkout, with ``-dirty`` when tracked files differ from it.

    Returns ``"unknown"`` when ``repo`` is not a git checkout (an installed wheel) or git is
    missing; the result then says so instead of naming a wrong commit.
    """
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=repo,
            check=True,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo,
            check=True,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head
