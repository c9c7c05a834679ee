"""Progress bars: ordinary tqdm on a terminal, plain lines (no \\r) in a log file or pipe."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from spikead.runs import progress_bar
from spikead.runs.progress import LOG_INTERVAL_S

HERE = Path(__file__).resolve().parent


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _run_bars(file=None) -> None:
    """An outer bar with a postfix and a nested bar (also run in a child process)."""
    bar = progress_bar(range(4), desc="outer", file=file, mininterval=0)
    for i in bar:
        for _ in progress_bar(range(3), desc="inner", nested=True, leave=False, file=file):
            pass
        bar.set_postfix(loss=f"{i / 10:.1f}")


def test_a_pipe_gets_lines_without_carriage_returns():
    script = f"import sys; sys.path.insert(0, {str(HERE)!r}); import test_progress; test_progress._run_bars()"
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        cwd=HERE,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "\r" not in out.stderr and "\x1b" not in out.stderr
    lines = out.stderr.splitlines()
    assert lines[0].startswith("outer:   0%") and "4/4" in lines[-1] and "loss=0.3" in lines[-1]
    assert not any("inner" in line for line in lines)  # nested bars only on a terminal
    assert len(lines) == len(set(lines))


def test_a_log_file_gets_at_most_one_line_per_interval():
    log = io.StringIO()
    for _ in progress_bar(range(1000), desc="steps", file=log, mininterval=0.0):
        pass
    lines = log.getvalue().splitlines()
    assert LOG_INTERVAL_S >= 10 and "\r" not in log.getvalue()
    assert lines[0].startswith("steps:   0%") and "1000/1000" in lines[-1] and len(lines) <= 3


def test_a_terminal_gets_the_ordinary_bar():
    term = _Terminal()
    _run_bars(term)
    assert "\r" in term.getvalue() and "inner" in term.getvalue()


def test_disabled_bars_write_nothing():
    log, term = io.StringIO(), _Terminal()
    for file in (log, term):
        bar = progress_bar(range(3), desc="off", file=file, disable=True)
        for _ in bar:
            bar.set_postfix(x=1)
    assert log.getvalue() == term.getvalue() == ""
