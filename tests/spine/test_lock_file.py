"""requirements-lock.txt (the exact versions CI installs) agrees with pyproject.toml."""

from __future__ import annotations

import re
import tomllib

from conftest import REPO
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

LOCK = REPO / "requirements-lock.txt"


def _locked() -> dict[str, Version]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)", line.strip())
        assert match, f"requirements-lock.txt: {line!r} is not an exact pin name==version"
        pins[canonicalize_name(match.group(1))] = Version(match.group(2))
    return pins


def test_lock_pins_every_dependency_within_the_pyproject_ranges():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = [
        *project["dependencies"],
        *(dep for name, deps in extras.items() if name not in ("all", "cuda") for dep in deps),
    ]
    pins = _locked()
    for text in wanted:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} (pyproject.toml) is not in requirements-lock.txt"
        # (==2.13.0 admits 2.13.0+cpu: a local version label is ignored, PEP 440)
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements-lock.txt pins {req.name}=={pins[name]}, outside pyproject's {req}"
        )


def test_lock_has_no_cuda_wheels_and_not_spikead():
    pins = _locked()
    assert "spikead" not in pins
    assert str(pins["torch"]).endswith("+cpu")  # plain torch on PyPI pulls the CUDA wheels
    cuda = [name for name in pins if name.startswith(("nvidia-", "triton", "jax-cuda"))]
    assert cuda == []
