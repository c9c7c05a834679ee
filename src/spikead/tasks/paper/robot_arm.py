"""RobotArm_6DOF as the AlphaGrad paper defines it (the authors' published source).

Source of the benchmark: Graphax repository (Lohoff),
``src/graphax/examples/differential_kinematics.py``, ``RobotArm_6DOF`` (itself after
https://dergipark.org.tr/en/download/article-file/2289226): closed-form forward
kinematics of a 6-DOF arm with link lengths a1, a2, a3 = 175, 890, 50 and offsets
d1, d4, d6 = 575, 1035, 185 (mm); outputs the position (px, py, pz) and three Tait-Bryan
angles via atan2. Same sequence of operations as the source (``S``/``C`` are the
sine/cosine of a sum written out, each call its own equations); under
``convention="paper"`` its forward / reverse / Markowitz counts equal Table 1.
"""

from __future__ import annotations

import jax.numpy as jnp

__all__ = ["ROBOT_ARM_START", "robot_arm_6dof"]

ROBOT_ARM_START = (0.02,) * 6
"""The source's example joint angles (rad)."""

_A1, _A2, _A3 = 175.0, 890.0, 50.0
_D1, _D4, _D6 = 575.0, 1035.0, 185.0


def _sin_sum(a, b):
    """sin(a + b) = cos a sin b + sin a cos b, as the source writes it."""
    return jnp.cos(a) * jnp.sin(b) + jnp.sin(a) * jnp.cos(b)


def _cos_sum(a, b):
    """cos(a + b) = cos a cos b - sin a sin b, as the source writes it."""
    return jnp.cos(a) * jnp.cos(b) - jnp.sin(a) * jnp.sin(b)


def robot_arm_6dof(t1, t2, t3, t4, t5, t6):
    """End-effector pose: six joint-angle scalars -> px, py, pz, and angles z, y', z''."""
    c1, c2, c4, c5, c6 = jnp.cos(t1), jnp.cos(t2), jnp.cos(t4), jnp.cos(t5), jnp.cos(t6)
    c23 = _cos_sum(t2, t3)
    s1, s2, s4, s5, s6 = jnp.sin(t1), jnp.sin(t2), jnp.sin(t4), jnp.sin(t5), jnp.sin(t6)
    s23 = _sin_sum(t2, t3)

    ax = s5 * (c1 * c23 * c4 + s1 * s4) + c1 * s23 * c5
    ay = s5 * (s1 * c23 * c4 - c1 * s4) + s1 * s23 * c5
    az = s23 * c4 * s5 - c23 * c5
    nz = c6 * (c23 * s5 + s23 * c4 * c5) - s23 * s4 * s6
    oz = -s6 * (c23 * s5 + s23 * c4 * c5) - s23 * s4 * c6

    # Tait-Bryan angles.
    yaw = jnp.arctan2(ay, ax)
    pitch = jnp.arctan2(jnp.sqrt(1.0 - az**2), az)
    roll = jnp.arctan2(oz, -nz)

    # Position (the source's x1 and y1 differ in the sign of c1 * s4; kept).
    x1 = _D6 * (s5 * (c1 * c23 * c4 + s1 * s4) + c1 * s23 * c5)
    x2 = c1 * (_A1 + _A2 * c2 + _A3 * c23 + _D4 * s23)
    px = x1 + x2
    y1 = _D6 * (s5 * (s1 * c23 * c4 + c1 * s4) + s1 * s23 * c5)
    y2 = s1 * (_A1 + _A2 * c2 + _A3 * c23 + _D4 * s23)
    py = y1 + y2
    pz = _A2 * s2 + _D1 + _A3 * s23 - _D4 * c23 + _D6 * (s23 * c4 * s5 - c23 * c5)
    return px, py, pz, yaw, pitch, roll
