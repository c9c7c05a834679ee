"""Shared helpers for the snn tests."""

import jax.numpy as jnp
import numpy as np


def trajectory(layer, xs):
    """Step `layer` by hand over xs (T, N); return (list of states, stacked outputs)."""
    xs = jnp.asarray(xs, jnp.float32)
    state = layer.init_state(xs.shape[1:])
    states, outs = [], []
    for x in xs:
        state, y = layer(state, x)
        states.append(state)
        outs.append(y)
    return states, np.stack([np.asarray(o) for o in outs])


def column(states, index):
    """Entry `index` of every state tuple, stacked over time: (T, N)."""
    return np.stack([np.asarray(s[index]) for s in states])
