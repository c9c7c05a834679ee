"""Registration of the paper's ten tasks, in the paper's order."""

from __future__ import annotations

from . import black_scholes, minpack, nn, random_programs, robot_arm, roeflux
from ._registry import _register_factory

PAPER_ORDER = (
    ("RoeFlux_1d", roeflux.roeflux_1d_task),
    ("RoeFlux_3d", roeflux.roeflux_3d_task),
    ("RobotArm_6DOF", robot_arm.robot_arm_task),
    ("HumanHeartDipole", minpack.human_heart_dipole_task),
    ("PropaneCombustion", minpack.propane_combustion_task),
    ("BlackScholes_Jacobian", black_scholes.black_scholes_task),
    ("f", random_programs.f_task),
    ("g", random_programs.g_task),
    ("MLP", nn.mlp_task),
    ("Encoder", nn.encoder_task),
)
"""(name, factory) of the built-in tasks."""

PAPER_NAMES = tuple(name for name, _ in PAPER_ORDER)

for _name, _factory in PAPER_ORDER:
    _register_factory(_name, _factory)
