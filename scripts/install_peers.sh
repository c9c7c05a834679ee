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

"$PY" - <<'PY'
import importlib
for name in ("torch", "snntorch", "norse", "spikingjelly", "spyx", "rockpool"):
    try:
        module = importlib.import_module(name)
        print(f"{name:14s} ok  {getattr(module, '__version__', '')}")
    except Exception as exc:  # report every peer, do not stop at the first
        print(f"{name:14s} MISSING ({type(exc).__name__}: {exc})")
PY
