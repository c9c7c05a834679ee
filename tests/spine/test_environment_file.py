"""environment.yml parses and stays in step with pyproject.toml (conda can't run here)."""

from __future__ import annotations

import tomllib

import yaml
from conftest import REPO


def test_environment_yml_matches_pyproject():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    deps = env["dependencies"]
    python = [d for d in deps if isinstance(d, str) and d.startswith("python")]
    assert python == ["python=3.11"], python
    assert project["requires-python"] == ">=3.11"
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert "pip" in deps
    assert "-e .[all]" in pip_section
    extras = project["optional-dependencies"]
    # every extra but `cuda` (JAX's CUDA wheels: only on NVIDIA machines, `.[all,cuda]`)
    assert set(extras["all"][0].split("[")[1].rstrip("]").split(",")) == set(extras) - {
        "all",
        "cuda",
    }
