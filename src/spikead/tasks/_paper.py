"""Reference numbers of the AlphaGrad paper (Lohoff & Neftci 2024, jax 0.4.26).

Multiplication counts of the Jacobian by vertex elimination in forward, reverse and
Markowitz order and in the AlphaGrad agent's order, the eliminable vertices of the
authors' graphs, and the gain over the best baseline in %. ``best_seen`` is the best
count found in the authors' training logs (where recorded). These are printed next to
our own numbers; they are never used as results.
"""

from __future__ import annotations

__all__ = ["PAPER"]

_KEYS = ("vertices", "forward", "reverse", "markowitz", "alphagrad", "gain_percent")

_ROWS: dict[str, tuple[float, ...]] = {
    "RoeFlux_1d": (98, 620, 364, 407, 320, 12.1),
    "RoeFlux_3d": (143, 1556, 979, 938, 811, 13.5),
    "RobotArm_6DOF": (108, 397, 301, 288, 231, 19.8),
    "HumanHeartDipole": (78, 240, 172, 194, 148, 14.0),
    "PropaneCombustion": (51, 151, 90, 111, 88, 2.2),
    "BlackScholes_Jacobian": (129, 545, 572, 350, 312, 10.9),
    "f": (75, 17728, 9333, 12257, 6374, 31.7),
    "g": (85, 632, 566, 451, 417, 7.5),
    "MLP": (38, 10930, 392, 4796, 389, 0.8),
    "Encoder": (90, 135010, 4688, 51869, 4656, 0.7),
}

_BEST_SEEN = {"RoeFlux_3d": 784, "BlackScholes_Jacobian": 307, "f": 5884, "g": 416}

PAPER: dict[str, dict[str, float]] = {
    name: dict(zip(_KEYS, row)) | ({"best_seen": _BEST_SEEN[name]} if name in _BEST_SEEN else {})
    for name, row in _ROWS.items()
}
