"""Robot arm forward kinematics against hand-computed and numpy values."""

import math

import jax
import jax.numpy as jnp
import numpy as np

from spikead.tasks import robot_arm

fk = jax.jit(robot_arm.forward_kinematics)


def test_zero_angles_position_from_dh_table():
    # At theta = 0 the UR5e chain gives (a2 + a3, -(d4 + d6), d1 - d5).
    d, a = robot_arm.DH_D, robot_arm.DH_A
    x, y, z, *_ = fk(*(jnp.float32(0.0),) * 6)
    np.testing.assert_allclose([x, y, z], [a[1] + a[2], -(d[3] + d[5]), d[0] - d[4]], atol=1e-6)
    np.testing.assert_allclose([x, y, z], [-0.8172, -0.2329, 0.0628], atol=1e-6)


def _numpy_pose(thetas):
    pose = np.eye(4)
    for th, d, a, al in zip(thetas, robot_arm.DH_D, robot_arm.DH_A, robot_arm.DH_ALPHA):
        rz = np.array(
            [
                [math.cos(th), -math.sin(th), 0, 0],
                [math.sin(th), math.cos(th), 0, 0],
                [0, 0, 1, 0],
                [0, 0, 0, 1],
            ]
        )
        tz = np.eye(4)
        tz[2, 3] = d
        tx = np.eye(4)
        tx[0, 3] = a
        rx = np.array(
            [
                [1, 0, 0, 0],
                [0, math.cos(al), -math.sin(al), 0],
                [0, math.sin(al), math.cos(al), 0],
                [0, 0, 0, 1],
            ]
        )
        pose = pose @ rz @ tz @ tx @ rx
    return pose


def test_generic_pose_matches_numpy_chain_and_tait_bryan():
    thetas = (0.3, -0.8, 1.1, -0.4, 0.7, 0.2)
    x, y, z, yaw, pitch, roll = (float(v) for v in fk(*(jnp.float32(t) for t in thetas)))
    pose = _numpy_pose(thetas)
    np.testing.assert_allclose([x, y, z], pose[:3, 3], atol=1e-5)
    cy, sy, cp, sp, cr, sr = (
        math.cos(yaw),
        math.sin(yaw),
        math.cos(pitch),
        math.sin(pitch),
        math.cos(roll),
        math.sin(roll),
    )
    rot = (
        np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
        @ np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])
        @ np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    )
    np.testing.assert_allclose(rot, pose[:3, :3], atol=1e-5)


def test_dh_transform_is_rigid():
    t = np.array(robot_arm.dh_transform(jnp.float32(0.9), 0.1, -0.4, math.pi / 2))
    np.testing.assert_allclose(t[:3, :3] @ t[:3, :3].T, np.eye(3), atol=1e-6)
    np.testing.assert_allclose(t[3], [0, 0, 0, 1])
