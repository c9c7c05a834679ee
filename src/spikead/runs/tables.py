"""Markdown and LaTeX renderings of small result tables (no extra dependencies)."""

from __future__ import annotations

import math
import numbers

# A float within this distance of 1 (a cosine, a ratio) is written as 1 - d or 1 + d.
NEAR_ONE = 1e-3


def format_number(value: float, digits: int = 4) -> str:
    """A float as a table cell: ``digits`` significant digits, and values within
    :data:`NEAR_ONE` of 1 as ``1 - 4.0e-13`` / ``1 + 2.5e-05``, so a cosine or a ratio that
    is almost but not exactly 1 stays visible. Exactly 1 is ``1``; NaN is ``-``; numbers of
    ``10**digits`` or more are rounded to an integer (``123457``), never written as ``1.235e+05``.
    """
    value = float(value)
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    gap = value - 1.0
    if gap != 0 and abs(gap) <= NEAR_ONE:
        return f"1 {'+' if gap > 0 else '-'} {abs(gap):.1e}"
    if abs(value) >= 10**digits:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, numbers.Integral)):
        return format_number(value)
    return str(value)


def markdown_table(frame) -> str:
    """A GitHub-flavoured Markdown table of a DataFrame (index dropped)."""
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = [
        "| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows]) + "\n"


def _latex_escape(text: str) -> str:
    for char, repl in (
        ("\\", r"\textbackslash{}"),
        ("_", r"\_"),
        ("%", r"\%"),
        ("&", r"\&"),
        ("#", r"\#"),
    ):
        text = text.replace(char, repl)
    return text


def latex_table(frame, caption: str = "", label: str = "") -> str:
    """A booktabs LaTeX table of a DataFrame (index dropped)."""
    cols = "l" + "r" * (len(frame.columns) - 1)
    lines = [r"\begin{table}[t]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{_latex_escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines += [rf"\begin{{tabular}}{{{cols}}}", r"\toprule"]
    lines.append(" & ".join(_latex_escape(str(c)) for c in frame.columns) + r" \\")
    lines.append(r"\midrule")
    for row in frame.itertuples(index=False):
        lines.append(" & ".join(_latex_escape(_cell(v)) for v in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"
