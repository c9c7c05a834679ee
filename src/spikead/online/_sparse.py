"""Sparse online gradients: the scan over time that runs the plan and the traces.

For a step ``(state_t, y_t) = step(params, state_{t-1}, x_t)`` with
``H[s, r] = d state_t[s] / d state_{t-1}[r]`` and ``F[s, p] = d state_t[s] / d params[p]``,
the eligibility traces ``G_t[s, p] = d state_t[s] / d params[p]`` follow

    G_t[s, p] = sum_r H_t[s, r] G_{t-1}[r, p] + F_t[s, p]
    grad[p]  += dE_t/dy_t . (sum_r J[y_t, r_{t-1}] G_{t-1}[r, p] + J[y_t, p])

The learning signal is taken AFTER the update instead: with the step's output read from
its new state (`_readout`),

    grad[p]  += dE_t/ds_t[taps] . G_t[taps, p] + dE_t/ds_{t-1}[reads] . G_{t-1}[reads, p]
                + dE_t/dparams[p] (paths avoiding s_t[taps])

the same sum regrouped by the chain rule, in which the direct path through the new state
(``x_t`` into ``W_in``, a B x N x M contraction per step) is part of the trace term and the
step's forward pass runs once. Both H, F (structured) and the learning-signal terms (VJPs
of the loss) come from the SAME step evaluated at the same point, so the surrogate
derivative is the one the step uses and the neuron's own reset / adaptation paths are kept.

The method in four modules, each with one job:

- `_plan` (`make_plan`, `SparsePlan`): the structures of H, F and of the carried traces,
  the classification exact / exact-factorised / approximate (e-prop), pruning; once per
  step function and argument shapes.
- `_jacobians`: the values of H and F at one point (engine or compressed JVPs).
- `_trace`: the trace recursion and the traces' terms of the gradient.
- this module (`sparse_value_and_grad`): the scan over time with the batch in its carry,
  the learning signals (VJPs of the loss), and the plan cache.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from ._contract import check_approximation, require_allowed
from ._jacobians import JACOBIANS, choose_source
from ._plan import SparsePlan, Step, make_plan
from ._reference import loss_dtype
from ._trace import (
    Signals,
    add_trace_terms,
    init_per_sample,
    init_traces,
    reduce_per_sample,
    update_traces,
)

Loss = Callable[[Any, Any], jax.Array]
#: time steps per iteration of the per-step scan (unrolled in the loop body, the last
#: iteration padded past T); see `sparse_value_and_grad`
UNROLL = 2


@dataclasses.dataclass(frozen=True)
class _Inputs:
    """The input and target sequences as the caller laid them out, read window by window.

    ``time_axis``: 0 (T x ... unbatched, T x B x ... time-major) or 1 (B x T x ...);
    ``batched``: False gives each window a batch axis of one. Windows are `dynamic_slice`s
    of the arguments inside the scan, so no reordered copy of the whole sequence (whose size
    grows with T) is ever made: a transpose to time-major, or even the unit batch axis
    (XLA lays ``a[:, None]`` out anew and copies it), would be one.
    """

    xs: Any
    targets: Any
    time_axis: int
    batched: bool

    @property
    def n_steps(self) -> int:
        return jax.tree.leaves(self.xs)[0].shape[self.time_axis]

    def window(self, start, size: int):
        """``(xs, targets)`` of steps ``start .. start + size - 1``, each K x B x ..."""

        def one(a):
            w = jax.lax.dynamic_slice_in_dim(a, start, size, axis=self.time_axis)
            return jnp.moveaxis(w, self.time_axis, 0) if self.batched else w[:, None]

        return jax.tree.map(one, (self.xs, self.targets))

    def at(self, t):
        """``(x_t, target_t)``, each B x ..."""
        return jax.tree.map(lambda a: a[0], self.window(t, 1))


def _output_fn(plan: SparsePlan, state, x, params) -> Callable:
    """One sample's ``y(params, state_prev, x, tapped) -> y_t``: the plan's `Readout` (y_t
    from the tapped new states)."""
    y_tree = jax.tree.structure(jax.eval_shape(plan.step, params, state, x)[1])

    def y(p, s, xx, tapped):
        leaves = plan.readout(jax.tree.leaves(p), jax.tree.leaves(s), jax.tree.leaves(xx), tapped)
        return jax.tree.unflatten(y_tree, leaves)

    return y


def _signal_vjp(y_b, loss_b, params, state, x, target, tapped):
    """``(value, g_direct, sig_old, sig_new)`` of the batch loss
    ``sum_b loss(y_b(params, state, x, tapped)[b], target[b])``."""

    def total(p, s, tp):
        return jnp.sum(loss_b(y_b(p, s, x, tp), target))

    value, vjp = jax.vjp(total, params, state, tapped)
    g_direct, sig_old, sig_new = vjp(jnp.ones_like(value))
    return value, jax.tree.leaves(g_direct), jax.tree.leaves(sig_old), list(sig_new)


def sparse_value_and_grad(
    step: Step,
    loss: Loss,
    jacobians: str = "auto",
    *,
    batched: bool = False,
    time_major: bool = False,
    unroll: int = UNROLL,
    approximation: str | None = None,
) -> Callable:
    """`fn(params, state0, xs, targets) -> (total_loss, grads)`; one sample (xs: T x ...) or,
    with ``batched``, a batch (state0: B x ..., xs: B x T x ... or T x B x ... when
    ``time_major``; loss and grads summed over the batch).

    ``jacobians``: how the per-step blocks get their values: ``"jvp"`` (compressed
    transposed JVPs of the analysed JVP jaxpr) or ``"engine"``
    (`spikead.ad.structured_jacobian`, vertex elimination), both of ``plan.step`` (for
    e-prop, the e-prop step); ``"auto"`` uses the engine when that step has only
    primitives with engine rules, and the JVP path otherwise (`_jacobians.choose_source`;
    engine errors propagate).
    Both use the same plan (structures, carried trace) and the same structured products,
    so they agree to rounding (tested).

    ``approximation``: None (the default) raises `ApproximationRequiredError` for a step
    the plan classifies as approximate (cuts; `spikead.online.classify`); ``"eprop"``
    returns Bellec et al.'s e-prop there (the exact gradient of the e-prop step, see
    `_plan`). Exact steps are unaffected.

    The plan (and the Jacobian source) is built once per shapes and dtypes of the
    arguments and reused by later calls and traces of ``fn``: like `jax.jit`, this
    assumes the step's closed-over constants do not change between calls. A plan whose
    step closes over traced values (a step built inside a `jit`) is not kept.

    dtypes: traces are carried in the result type of the params and state (float64 under
    ``jax_enable_x64`` with float64 arguments); the total loss in the loss's dtype.

    Batching: the scan runs over time with the batch axis in the carry. Per-sample pieces
    (the structured Jacobians and the trace update, element-wise in the batch) are
    `jax.vmap`-ed inside the step. The direct gradient is a VJP of the batch loss w.r.t. the
    shared params (its batch sum is a contraction, e.g. a matmul for ``W_in @ x``). The
    trace term ``sum_b L_t[b] . G_t[b]``: a matmul over B per step when the trace is
    factorised (`_trace.outer_term`); for traces with values along the neurons (element-wise
    in N, no matmul exists) a per-sample accumulator B x param shape, reduced over B once
    after the scan (`_trace.per_sample_term`). A single sample runs as a batch of one.

    Factorised plans (every carried trace `_plan.is_outer`, e.g. LIF with reset by subtraction,
    its gradient stopped, one decay for all neurons) cost per step the step's forward pass
    and one ``'bn,bm->nm'`` matmul with the trace after the update (`_readout`). Measured
    (LIF factorised, N = 128, M = 140, B = 16, CPU under load, medians of 15-25
    alternating rounds): time / BPTT 0.5-0.6 at T = 1000 against the former batched BPTT
    (a `vmap` of per-sample gradients); against the standard batched BPTT (one gradient
    through one scan of the `vmap`-ed step, `_reference`) 0.63 and 0.74 (2 runs, 15-20
    rounds, time-major inputs, params as jit arguments). Before the readout (the signal
    met G_{t-1}: one more B x N x M matmul per step, the direct gradient) it was 1.04;
    a mode that stacked chunks of 32 steps for one matmul over 32 B, which then also
    repeated the forward pass, was 1.34, and with the readout still 1.2-1.4x slower than
    this per-step form at T = 100-2000, so it was removed.

    The per-step scan runs ``unroll`` steps per loop iteration (default `UNROLL` = 2). Each
    new trace reads several old ones (``G_z`` reads ``G_v, G_b, G_z``), so in a loop of
    single steps XLA copies every carried trace each step before updating it in place;
    unrolled, consecutive steps' element-wise trace updates fuse and copy once per
    iteration. The loop runs max(ceil(T / unroll), 2) iterations (XLA would inline a
    single one), so nothing is peeled out of it and the compiled temporaries are
    byte-identical for every T >= 2 (at T = 1 XLA indexes the one-step input statically:
    some 100 bytes differ). The steps past T are padding: their input and target are
    step T - 1's (clamped read), their loss is dropped and their learning signals and
    direct gradient are zeroed with selects on these small (B x N, param-shaped) arrays
    (no select on the B x N x M traces), so they add exact zeros -- unless a trace they
    multiply is inf/nan: a trace after step T - 1 (computed but unused when unpadded, and
    by earlier padded steps), which would need dynamics that overflow. Their state and
    trace updates are discarded. Measured (ALIF, N = 128, M = 140, B = 16, T = 1000, CPU
    under load, medians of 20 alternating calls, 4 runs): time / hand-written e-prop
    0.81-0.97 with unroll 2 against 1.11-1.29 with unroll 1 (2 runs); XLA compile about
    2x longer (1.3 s against 0.75 s); temporaries +1 % (8.23 against 8.14 MB). Values
    agree with ``unroll=1`` to float rounding.
    """
    if jacobians not in JACOBIANS:
        raise ValueError(f"jacobians={jacobians!r}; use one of {JACOBIANS}")
    if not (isinstance(unroll, int) and unroll >= 1):
        raise ValueError(
            f"unroll={unroll!r}: expected a positive int (time steps per loop "
            f"iteration); use 1 for one step per iteration"
        )
    check_approximation(approximation)
    plans: dict = {}

    def planned(params, s0, x0) -> tuple[SparsePlan, str]:
        """The plan and Jacobian source for these per-sample arguments (cached, see above)."""
        key = tuple(map(jax.tree.structure, (params, s0, x0))) + tuple(
            map(jax.typeof, jax.tree.leaves((params, s0, x0)))
        )
        if key not in plans:
            plan = make_plan(step, params, s0, x0)
            require_allowed(plan, approximation)
            found = (plan, choose_source(jacobians, plan, params, s0, x0))
            consts = [*plan.closed.consts, *plan.readout.closed.consts]
            if any(isinstance(c, jax.core.Tracer) for c in consts):
                return found
            plans[key] = found
        return plans[key]

    def core(params, state0, inputs: _Inputs):
        """state0: B x ...; the sequences in ``inputs`` (see `_Inputs`)."""
        one = lambda tree: jax.tree.map(lambda a: a[0], tree)
        x0, s0 = one(inputs.at(0)[0]), one(state0)
        plan, source = planned(params, s0, x0)
        p_leaves, p_tree = jax.tree.flatten(params)
        batch = jax.tree.leaves(state0)[0].shape[0]
        trace0 = init_traces(plan, batch)
        grads0 = [jnp.zeros_like(a) for a in p_leaves]
        sig = Signals.of(plan, len(p_leaves))
        per_sample0 = init_per_sample(plan, sig, batch)
        step_b = jax.vmap(plan.step, in_axes=(None, 0, 0))  # e-prop: the same values
        update_b = jax.vmap(lambda st, xx, tr: update_traces(plan, source, params, st, xx, tr))
        y_b = jax.vmap(_output_fn(plan, s0, x0, params), in_axes=(None, 0, 0, 0))
        loss_b = jax.vmap(loss)
        taps = plan.readout.taps
        n_steps = inputs.n_steps

        def body(carry):
            t, state, trace, grads, per_sample, total = carry
            x, target = inputs.at(t)  # t >= T (padding): dynamic_slice clamps to step T - 1
            valid = t < n_steps
            new_state = step_b(params, state, x)[0]  # no readout: XLA merges it with the VJP's
            new_trace = update_b(state, x, trace)
            value, g_direct, sig_old, sig_new = _signal_vjp(
                y_b, loss_b, params, state, x, target, [jax.tree.leaves(new_state)[k] for k in taps]
            )
            # a padded step's contributions are zeroed by selects on the small pieces (B x N
            # signals, param-shaped direct gradient): exact zeros even where its derivative
            # is inf (a zero cotangent would give 0 * inf = nan)
            zero_pad = lambda a: jnp.where(valid, a, 0.0)
            sig_old = [zero_pad(a) for a in sig_old]
            sig_new = dict(zip(taps, map(zero_pad, sig_new)))
            new_grads = [grads[p] + zero_pad(g) for p, g in enumerate(g_direct)]
            new_grads, new_per_sample = add_trace_terms(
                plan, sig, sig_old, sig_new, trace, new_trace, new_grads, per_sample
            )
            return (
                t + 1,
                new_state,
                new_trace,
                new_grads,
                new_per_sample,
                total + jnp.where(valid, value, 0.0),
            )

        def iteration(carry, _):
            for _ in range(unroll):  # unrolled here: the same loop body for every T
                carry = body(carry)
            return carry, None

        # ceil(T / unroll) iterations of ``unroll`` steps: nothing is peeled out of the loop
        # (lax.scan's own ``unroll`` would peel T mod unroll steps into a second copy of the
        # body, whose buffers depend on T); at least 2, since XLA inlines a loop of one
        # iteration into different buffers. The step index rides in the carry (a scanned
        # arange would be a T-sized buffer).
        value0 = jnp.zeros((), loss_dtype(step, loss, params, s0, x0, one(inputs.at(0)[1])))
        carry0 = (jnp.zeros((), jnp.int32), state0, trace0, grads0, per_sample0, value0)
        (_, _, _, grads, per_sample, total), _ = jax.lax.scan(
            iteration, carry0, None, length=max(-(-n_steps // unroll), 2)
        )
        grads = reduce_per_sample(grads, per_sample)
        return total, jax.tree.unflatten(p_tree, grads)

    def fn(params, state0, xs, targets):
        if not batched:
            state0 = jax.tree.map(lambda a: a[None], state0)
        time_axis = 1 if batched and not time_major else 0
        return core(params, state0, _Inputs(xs, targets, time_axis, batched))

    return fn
