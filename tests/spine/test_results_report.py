"""RESULTS.md is generated from the runs' metrics (never typed), and the README block refreshes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO

SCRIPT = REPO / "paper_figures" / "results_report.py"
META = {
    "profile": "smoke",
    "data": "none (programs)",
    "started": "2026-12-06T03:00:00Z",
    "commit": "abc123",
    "wall_time_s": 1.5,
    "hardware": {
        "backend": "cpu",
        "cpu": "Test CPU",
        "cpu_cores": 2,
        "cpu_cores_used": 1,
        "jax": "0.10.2",
    },
}


def _write(folder, name, metrics):
    (folder / name).mkdir(parents=True)
    (folder / name / "metrics.json").write_text(
        json.dumps({"experiment": name, **metrics, "meta": META})
    )


def _report(results, figures, out, *extra):
    return subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--results",
            str(results),
            "--figures",
            str(figures),
            "--profile",
            "smoke",
            "--out",
            str(out),
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path):
    results, figures = tmp_path / "results", tmp_path / "figures"
    figures.mkdir()
    _write(
        results,
        "elimination_costs",
        {
            "costs": {
                "paper": {
                    "RoeFlux_1d": {"forward": 620, "reverse": 364, "markowitz": 407},
                    "HumanHeartDipole": {"forward": 240, "reverse": 172, "markowitz": 195},
                },
                "structured": {"RoeFlux_1d": {"forward": 545, "reverse": 339, "markowitz": 332}},
            }
        },
    )
    _write(
        results,
        "gradient_alignment",
        {
            "settings": 4,
            "exact_min_cosine": 1 - 4e-13,
            "exact_max_rel_l2": 9.5e-7,
            "recurrent_mean_cosine": {"lif": 0.997},
        },
    )
    (figures / "table1_baselines.md").write_text(
        "| task | forward |\n|---|---|\n| RoeFlux_1d | 620 |\n"
    )
    return results, figures


def test_results_md_holds_the_runs_numbers_and_provenance(tree, tmp_path):
    results, figures = tree
    out = tmp_path / "RESULTS.md"
    done = _report(results, figures, out)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "| C | Table 1 baselines (paper count) | 1 of 2 tasks equal |" in text  # 195 != 194
    assert "| C | Table 1 baselines (structured count) | 0 of 1 tasks equal |" in text
    assert "1 - 4.0e-13" in text  # a cosine just below 1 stays visible
    assert "run 2026-12-06T03:00:00Z, commit abc123, cpu, Test CPU, 1 of 2 cores" in text
    assert "| RoeFlux_1d | 620 |" in text  # the figure script's table is included
    section = text.split("## memory_scaling")[1].split("##")[0]
    assert "not run for this profile" in section


def test_readme_block_is_replaced_and_needs_its_markers(tree, tmp_path):
    results, figures = tree
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- headline -->\nold numbers\n<!-- /headline -->\nrest\n")
    done = _report(results, figures, tmp_path / "RESULTS.md", "--readme", str(readme))
    assert done.returncode == 0, done.stderr
    text = readme.read_text()
    assert "old numbers" not in text and text.startswith("intro\n") and text.endswith("rest\n")
    assert "Online gradient vs BPTT, no recurrence: min cosine" in text
    assert "no recurrence: max relative L2" not in text  # detail rows stay in RESULTS.md only
    readme.write_text("no markers\n")
    done = _report(results, figures, tmp_path / "RESULTS.md", "--readme", str(readme))
    assert done.returncode != 0 and "<!-- headline -->" in done.stderr


def test_missing_results_folder_is_named(tmp_path):
    done = _report(tmp_path / "nowhere", tmp_path, tmp_path / "RESULTS.md")
    assert done.returncode != 0 and "nowhere" in done.stderr and "run the workflow" in done.stderr
