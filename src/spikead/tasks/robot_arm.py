"""Forward kinematics of a 6-DOF serial arm (Denavit-Hartenberg chain).

Each joint i contributes the standard DH transform
T_i = Rot_z(theta_i) Trans_z(d_i) Trans_x(a_i) Rot_x(alpha_i); the end-effector pose is
T = T_1 ... T_6. The output is the position (x, y, z) and the Z-Y-X Tait-Bryan angles
(yaw, pitch, roll) of the rotation part, via atan2 and asin.
The DH table is the one published for the Universal Robots UR5e (metres, radians).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from ._paper import PAPER
from ._registry import Task

__all__ = ["DH_A", "DH_ALPHA", "DH_D", "dh_transform", "forward_kinematics", "robot_arm_task"]

DH_D = (0.1625, 0.0, 0.0, 0.1333, 0.0997, 0.0996)
"""Link offsets d_i along z (m)."""
DH_A = (0.0, -0.425, -0.3922, 0.0, 0.0, 0.0)
"""Link lengths a_i along x (m)."""
DH_ALPHA = (math.pi / 2, 0.0, 0.0, math.pi / 2, -math.pi / 2, 0.0)
"""Link twists alpha_i about x (rad)."""


def dh_transform(theta: jax.Array, d: float, a: float, alpha: float) -> jax.Array:
    """DH homogeneous transform of one joint. Shapes: theta () -> (4, 4)."""
    ct, st = jnp.cos(theta), jnp.sin(theta)
    ca, sa = math.cos(alpha), math.sin(alpha)
    zero, one = jnp.zeros_like(theta), jnp.ones_like(theta)
    return jnp.stack(
        [
            jnp.stack([ct, -st * ca, st * sa, a * ct]),
            jnp.stack([st, ct * ca, -ct * sa, a * st]),
            jnp.stack([zero, zero + sa, zero + ca, zero + d]),
            jnp.stack([zero, zero, zero, one]),
        ]
    )


def forward_kinematics(t1, t2, t3, t4, t5, t6):
    """End-effector pose of the arm for six joint angles (scalars, rad).

    Returns six scalars: x, y, z (m) and yaw, pitch, roll (rad, Z-Y-X convention).
    """
    pose = dh_transform(t1, DH_D[0], DH_A[0], DH_ALPHA[0])
    for theta, d, a, alpha in zip((t2, t3, t4, t5, t6), DH_D[1:], DH_A[1:], DH_ALPHA[1:]):
        pose = pose @ dh_transform(theta, d, a, alpha)
    yaw = jnp.arctan2(pose[1, 0], pose[0, 0])
    pitch = jnp.arcsin(-pose[2, 0])
    roll = jnp.arctan2(pose[2, 1], pose[2, 2])
    return pose[0, 3], pose[1, 3], pose[2, 3], yaw, pitch, roll


def robot_arm_task() -> Task:
    """RobotArm_6DOF: 6 joint angles -> position (3) + Tait-Bryan angles (3)."""
    angles = (0.3, -0.8, 1.1, -0.4, 0.7, 0.2)
    return Task(
        name="RobotArm_6DOF",
        fn=forward_kinematics,
        args=tuple(jnp.asarray(np.float32(t)) for t in angles),
        argnums=tuple(range(6)),
        description="6-DOF arm forward kinematics (UR5e DH chain): 6 joint-angle scalars "
        "-> x, y, z, yaw, pitch, roll",
        paper=PAPER["RobotArm_6DOF"],
    )
