#!/usr/bin/env bash
# Install the SNN libraries compared in experiments/framework_comparison.py (Paper B)
# that pip cannot express in the `peers` extra of pyproject.toml.
#
#   python -m pip install -e ".[peers]"   # torch (CPU wheel), snntorch, spyx, rockpool, ...
#   bash scripts/install_peers.sh         # norse and spikingjelly without their heavy deps
#
# norse and spikingjelly declare torchvision/torchaudio (and spikingjelly tensorboard,
# SciencePlots), which pull several GB of CUDA wheels and are not needed for a LIF layer:
# they are installed with --no-deps, plus the light dependencies they import.
# Not installed on purpose: sinabs (its dependency `samna` on PyPI is a stub that runs
# pip against an external index when imported). Safe to run again (idempotent).
# PYTHON=/path/to/python selects the interpreter (default: python).
#
# brainscale (Paper A's D-RTRL peer in experiments/memory_scaling.py) needs jax 0.9.x, which
# cannot share an environment with spikead (jax 0.10): it gets its own virtual environment
# in .venvs/brainscale (BRAINSCALE_VENV=... to put it elsewhere, SPIKEAD_SKIP_BRAINSCALE=1
# to skip it; the experiment then records the peer as missing with this command).
# BrainTrace (braintrace, brainscale's successor: D-RTRL and e-prop peers) pins its own JAX
# through brainstate/brainpy, so it too gets a venv: .venvs/braintrace (BRAINTRACE_VENV=...,
# SPIKEAD_SKIP_BRAINTRACE=1 to skip). Versions pinned to the ones tested (0.2.6 with jax 0.10.2).
set -euo pipefail

PY="${PYTHON:-python}"

if ! "$PY" -c "import torch" 2>/dev/null; then
    echo "install_peers.sh: torch is not installed in $("$PY" -c 'import sys; print(sys.prefix)')." >&2
    echo "Install the CPU wheel first: $PY -m pip install -e '.[peers]' (pins torch==2.13.0)," >&2
    echo "never a bare 'torch', which pulls the CUDA wheels." >&2
    exit 1
fi

# Light dependencies that norse / spikingjelly import (already in the extra; repeated so
# the script also works on its own after any torch install).
"$PY" -m pip install "nir>=1.0.4" "nirtorch>=2.0.2" "loguru>=0.7" "scipy" "packaging" "tqdm"
"$PY" -m pip install --no-deps "norse==1.1.0" "spikingjelly==2.0.0"

if [ "${SPIKEAD_SKIP_BRAINSCALE:-0}" != "1" ]; then
    BS_VENV="${BRAINSCALE_VENV:-.venvs/brainscale}"
    if [ ! -x "$BS_VENV/bin/python" ]; then
        "$PY" -m venv "$BS_VENV"
    fi
    "$BS_VENV/bin/python" -m pip install "brainscale==0.1.0" "brainstate==0.5.4" "brainpy==2.8.2" \
        "brainunit==0.5.2" "braintools==0.3.0" "brainevent==0.2.1" "jax[cpu]==0.9.2" "jaxlib==0.9.2"
    "$BS_VENV/bin/python" -c "import brainscale, jax; print(f'{\"brainscale\":14s} ok  {brainscale.__version__} (jax {jax.__version__}, own venv $BS_VENV)')"
fi

if [ "${SPIKEAD_SKIP_BRAINTRACE:-0}" != "1" ]; then
    BT_VENV="${BRAINTRACE_VENV:-.venvs/braintrace}"
    if [ ! -x "$BT_VENV/bin/python" ]; then
        "$PY" -m venv "$BT_VENV"
    fi
    "$BT_VENV/bin/python" -m pip install "braintrace==0.2.6" "brainstate==0.5.4" "brainpy==2.8.2" \
        "brainpy_state==0.1.0" "brainunit==0.5.2" "braintools==0.3.0" "brainevent==0.2.1" \
        "jax[cpu]==0.10.2" "jaxlib==0.10.2"
    "$BT_VENV/bin/python" -c "import braintrace, jax; print(f'{\"braintrace\":14s} ok  {braintrace.__version__} (jax {jax.__version__}, own venv $BT_VENV)')"
fi

"$PY" - <<'PY'
import importlib
for name in ("torch", "snntorch", "norse", "spikingjelly", "spyx", "rockpool"):
    try:
        module = importlib.import_module(name)
        print(f"{name:14s} ok  {getattr(module, '__version__', '')}")
    except Exception as exc:  # report every peer, do not stop at the first
        print(f"{name:14s} MISSING ({type(exc).__name__}: {exc})")
PY
