"""Progress bars that suit where they are written: a terminal, a notebook, or a log file.

On a terminal (or in a Jupyter kernel) :func:`progress_bar` is an ordinary ``tqdm.auto``
bar. When the stream is not a terminal (a Snakemake log, a SLURM output file, a pipe),
tqdm would fill the file with ``\\r``-separated redraws; there the bar is written as plain
lines instead, at most one every :data:`LOG_INTERVAL_S` seconds (plus the first and the
last state), with no ``\\r`` and no terminal escape codes, and a nested bar (the batches of
an epoch) is not shown at all.
"""

from __future__ import annotations

import re
import sys
from typing import IO, Any

__all__ = ["LOG_INTERVAL_S", "progress_bar"]

# Least seconds between two lines of a bar written to a log file.
LOG_INTERVAL_S = 30.0

_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class _LineWriter:
    """A file for tqdm that turns every redraw into one line (no ``\\r``, no escapes)."""

    def __init__(self, stream: IO[str]):
        self._stream = stream
        self._last = ""

    def write(self, text: str) -> int:
        for part in _ESCAPE.sub("", text).replace("\r", "\n").split("\n"):
            part = part.strip()
            if part and part != self._last:  # tqdm redraws the final state on close
                self._stream.write(part + "\n")
                self._last = part
        return len(text)

    def flush(self) -> None:
        self._stream.flush()


def _interactive(stream: IO[str]) -> bool:
    """True on a terminal and in a Jupyter kernel (where tqdm.auto draws a widget)."""
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return True
    ipython = sys.modules.get("IPython")  # never imported here just to ask
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def progress_bar(
    iterable=None, *, nested: bool = False, file: IO[str] | None = None, **kwargs: Any
):
    """A ``tqdm`` bar over ``iterable`` that writes no ``\\r`` into log files.

    Args:
        iterable: what to iterate over (as for ``tqdm``).
        nested: an inner bar (for example the batches of one epoch): shown only on a
            terminal or in a notebook.
        file: the stream (default ``sys.stderr``).
        **kwargs: passed to ``tqdm`` (``desc``, ``total``, ``initial``, ``leave``, ``unit``,
            ``disable``, ``mininterval``, ...). Off a terminal, ``mininterval`` is at least
            :data:`LOG_INTERVAL_S`.

    Returns:
        The tqdm object (iterate over it; ``set_postfix`` etc. work, also when disabled).
    """
    stream = file if file is not None else sys.stderr
    if _interactive(stream):
        from tqdm.auto import tqdm

        return tqdm(iterable, file=file, **kwargs)
    from tqdm import tqdm

    if nested:
        kwargs["disable"] = True
    interval = max(float(kwargs.pop("mininterval", 0.0)), LOG_INTERVAL_S)
    kwargs.setdefault("ascii", True)
    return tqdm(
        iterable,
        file=_LineWriter(stream),
        mininterval=interval,
        maxinterval=max(interval, float(kwargs.pop("maxinterval", 0.0))),
        **kwargs,
    )
