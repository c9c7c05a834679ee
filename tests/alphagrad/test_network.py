"""Policy-value network and value transform."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from spikead import alphagrad as ag
from spikead.alphagrad._network import value_inverse, value_transform


def test_value_transform_inverts():
    x = jnp.linspace(-500.0, 500.0, 101)
    np.testing.assert_allclose(value_inverse(value_transform(x)), x, rtol=1e-4, atol=1e-3)


def test_network_masks_illegal_vertices(getkey):
    graph = ag.random_tensor_graph(4, n_eliminable=6)
    state = ag.encode(graph)
    state = jax.jit(ag.step)(state, graph.eliminable[0]).state
    net = ag.build_network(dim=12, heads=3, layers=2, key=getkey())
    forward = jax.jit(lambda net, obs: net(obs))
    logits, value = forward(net, jax.jit(ag.observe)(state))
    legal = np.asarray(ag.legal_actions(state))
    assert logits.shape == (graph.num_vertices,) and value.shape == ()
    assert np.all(np.asarray(logits)[~legal] <= -1e8)
    assert np.all(np.isfinite(np.asarray(logits)[legal]))
    batch = jax.tree.map(lambda x: jnp.stack([x, x]), jax.jit(ag.observe)(state))
    blogits, _ = jax.jit(jax.vmap(lambda obs: net(obs)))(batch)
    np.testing.assert_allclose(blogits[0], logits, rtol=1e-5, atol=1e-5)
