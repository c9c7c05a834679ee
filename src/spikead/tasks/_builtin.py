"""Registration of the paper's ten tasks, in the paper's order, and the earlier variants.

The default names are the tasks as the paper defines them, written here from the
authors' published sources (`paper`). The repository's earlier formulations of all ten
stay registered as ``<name>_v0`` (written from the papers' descriptions before the
authors' sources were used; f_v0 and g_v0 are generated programs of the paper's shapes).
Variants come after the ten in `names()`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from . import black_scholes, minpack, nn, paper, random_programs, robot_arm, roeflux
from ._registry import Task, _register_factory

PAPER_ORDER = (
    ("RoeFlux_1d", paper.roeflux_1d_task),
    ("RoeFlux_3d", paper.roeflux_3d_task),
    ("RobotArm_6DOF", paper.robot_arm_task),
    ("HumanHeartDipole", paper.human_heart_dipole_task),
    ("PropaneCombustion", paper.propane_combustion_task),
    ("BlackScholes_Jacobian", paper.black_scholes_task),
    ("f", paper.f_task),
    ("g", paper.g_task),
    ("MLP", paper.mlp_task),
    ("Encoder", paper.encoder_task),
)
"""(name, factory) of the built-in tasks."""

PAPER_NAMES = tuple(name for name, _ in PAPER_ORDER)

V0_SUFFIX = "_v0"
"""Suffix of the repository's earlier formulations of replaced tasks."""


def _renamed(factory: Callable[[], Task], name: str) -> Callable[[], Task]:
    return lambda: dataclasses.replace(factory(), name=name)


_V0_FACTORIES = (
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

VARIANTS = tuple(
    (name + V0_SUFFIX, _renamed(factory, name + V0_SUFFIX)) for name, factory in _V0_FACTORIES
)
"""(name, factory) of the earlier formulations, registered after the ten."""

for _name, _factory in PAPER_ORDER + VARIANTS:
    _register_factory(_name, _factory)
