"""The JAX peers of memory_scaling (brainscale, BrainTrace): one row per (peer, setting).

Each peer library needs its own JAX, so it runs in its own virtual environment
(scripts/install_peers.sh) as a subprocess: `_brainpy_peer.py` prints one JSON line with
the time per training step, the first call and the peak RSS. `peer_row` starts it and turns
the outcome into a row of scaling.csv whose ``status`` says ``ok (...)``, ``missing: ...``
(no venv, with the command that makes it) or ``failed: ...`` (the end of stderr).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from pathlib import Path

from ._scaling import ScalingSetting


@dataclasses.dataclass(frozen=True)
class Peer:
    library: str  # importable name in the peer's venv
    algorithm: str  # class of the library that computes the online gradient
    label: str  # for statuses and figure legends
    setup: str  # the command that makes the venv ({venv}: its directory)


BRAINSCALE_SETUP = (
    "python3 -m venv {venv} && {venv}/bin/pip install brainscale 'jax<0.10' "
    "(tested: brainscale 0.1.0, jax 0.9.2, brainstate 0.5.4, brainpy 2.8.2)"
)
BRAINTRACE_SETUP = (
    "python3 -m venv {venv} && {venv}/bin/pip install braintrace "
    "(tested: braintrace 0.2.6, jax 0.10.2, brainstate 0.5.4, brainpy 2.8.2)"
)

#: method name in scaling.csv -> peer
PEERS = {
    "brainscale_drtrl": Peer("brainscale", "D_RTRL", "brainscale D-RTRL", BRAINSCALE_SETUP),
    "braintrace_drtrl": Peer("braintrace", "D_RTRL", "BrainTrace D-RTRL", BRAINTRACE_SETUP),
    "braintrace_eprop": Peer("braintrace", "EProp", "BrainTrace e-prop", BRAINTRACE_SETUP),
}


def peer_row(method: str, s: ScalingSetting, venv: str | None, *, timeout: float = 900.0) -> dict:
    """Peer ``method`` (a key of `PEERS`) at a setting's N, T, B, M, K, run in ``venv``.

    Without the venv's python the row has status ``"missing: ..."`` and the setup command;
    a run that fails or times out has ``"failed: ..."`` and the end of its stderr. Measured:
    time per training step (median of 3 after a first call) and the peak RSS of the peer
    process (brainpy's ALIF: same sizes, not bit-identical dynamics; see `_brainpy_peer`).
    """
    if method not in PEERS:
        raise ValueError(f"peer {method!r} is unknown; use one of {sorted(PEERS)}")
    peer = PEERS[method]
    row = {
        "method": method,
        "N": s.n_hidden,
        "T": s.seq_len,
        "batch": s.batch,
        "n_in": s.n_in,
        "neuron": s.neuron,
        "time_ms": None,
        "rss_peak_bytes": None,
        "compile_s": None,
    }
    python = Path(venv) / "bin" / "python" if venv else None
    if python is None or not python.exists():
        where = f"at {venv}" if venv else f"configured (scale.{peer.library}_venv is empty)"
        row["status"] = (
            f"missing: no {peer.library} venv {where}; set it up with "
            f"scripts/install_peers.sh or: "
            f"{peer.setup.format(venv=venv or '<venv>')}"
        )
        return row
    script = Path(__file__).with_name("_brainpy_peer.py")
    args = [
        str(python),
        str(script),
        peer.library,
        peer.algorithm,
        *(str(v) for v in (s.n_hidden, s.seq_len, s.batch, s.n_in, s.n_out)),
    ]
    try:
        done = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "JAX_PLATFORMS": "cpu"},
            check=False,
        )
    except subprocess.TimeoutExpired:
        row["status"] = f"failed: timed out after {timeout:.0f} s"
        return row
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        row["status"] = f"failed: exit {done.returncode}: {tail}"
        return row
    out = json.loads(lines[-1])
    row.update(
        time_ms=out["time_ms"],
        rss_peak_bytes=out["rss_peak_bytes"],
        compile_s=out["first_call_s"],
        status=(
            f"ok ({out['library']} {out['version']} {peer.algorithm}, jax "
            f"{out['jax']}; brainpy ALIF, same sizes, not bit-identical dynamics; "
            f"time and peak RSS ({out.get('rss_source', 'ru_maxrss')}) only)"
        ),
    )
    return row


def brainscale_row(s: ScalingSetting, venv: str | None, *, timeout: float = 900.0) -> dict:
    """`peer_row` of brainscale's D-RTRL (jax 0.9.x; see ``BRAINSCALE_SETUP``)."""
    return peer_row("brainscale_drtrl", s, venv, timeout=timeout)
