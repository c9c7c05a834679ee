"""Markdown and LaTeX renderings of small result tables (no extra dependencies)."""

from __future__ import annotations

import math


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.1f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def markdown_table(frame) -> str:
    """A GitHub-flavoured Markdown table of a DataFrame (index dropped)."""
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows]) + "\n"


def _latex_escape(text: str) -> str:
    for char, repl in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#")):
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
