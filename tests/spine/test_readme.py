"""The README's commands and result map stay true to the repository."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO

README = (REPO / "README.md").read_text()


def _result_map_rows() -> list[list[str]]:
    block = README.split("<!-- result-map -->")[1].split("<!-- /result-map -->")[0]
    lines = [ln for ln in block.strip().splitlines()[2:] if ln.startswith("|")]
    return [[cell.strip() for cell in ln.strip("|").split("|")] for ln in lines]


def test_readme_has_the_two_commands():
    blocks = re.findall(r"```bash\n(.*?)```", README, re.DOTALL)
    assert blocks[0].strip().endswith("snakemake --cores 8")
    test_command = 'pip install -e ".[all]" && pytest -n 2 --dist loadgroup -m "not slow"'
    assert blocks[1].strip() == test_command
    ci = (REPO / ".ci" / "run").read_text()
    assert (
        'pip install -e ".[all]"' in ci and '\npytest -n 2 --dist loadgroup -m "not slow"\n' in ci
    )


def _rules(*config: str) -> set[str]:
    """Rule names of `snakemake --list-rules`, with ``key=value`` workflow settings."""
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--list-rules",
            *(("--config", *config) if config else ()),
        ],
        cwd=REPO,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    return set(listed.stdout.split())


def test_the_smoke_workflow_runs_the_slow_tests_the_test_command_leaves_out():
    """The README's command deselects `slow`; the smoke profile (only) has rule slow_tests,
    which runs `pytest -m slow`; --config slow_tests=false turns it off."""
    assert "slow_tests" in _rules("profile=smoke")
    assert "slow_tests" not in _rules("profile=smoke", "slow_tests=false")
    assert "slow_tests" not in _rules("profile=quick")
    assert "-m slow" in (REPO / "workflow" / "rules" / "tests.smk").read_text()


def test_result_map_rules_and_entry_points_exist():
    known = _rules()
    rows = _result_map_rows()
    assert rows
    for paper, result, rule, entry, *_ in rows:
        for name in re.findall(r"`([\w]+)`", rule):
            assert name in known, f"README row '{result}' names unknown rule {name}"
        for path in re.findall(r"`([\w/]+\.py)`", entry):
            assert (REPO / path).exists(), f"README row '{result}' names missing {path}"


def test_readme_numbers_are_generated_and_speak_to_a_newcomer():
    """Results live in the generated headline block only; no development-log words."""
    assert README.count("<!-- headline -->") == 1 and README.count("<!-- /headline -->") == 1
    outside = README.split("<!-- headline -->")[0] + README.split("<!-- /headline -->")[1]
    for pattern in (
        r"\bstop \d+",
        r"\ba helper.s\b",
        r"\bthis session\b",
        r"\bfresh clone of [0-9a-f]{7}",
        r"reproduced \(quick",
    ):
        assert not re.search(pattern, outside, re.IGNORECASE), (
            f"README has hand-written log text: {pattern}"
        )
    assert (REPO / "CITATION.cff").is_file()
