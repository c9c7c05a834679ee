"""`value_and_grad(step, loss, method=...)`: online and reference gradients of a recurrent step."""

from __future__ import annotations

from collections.abc import Callable

from ._contract import APPROXIMATIONS, Classification, classification_of
from ._errors import UnknownMethodError
from ._plan import make_plan
from ._reference import bptt_value_and_grad, dense_value_and_grad, rtrl_value_and_grad
from ._sparse import sparse_value_and_grad

METHODS: dict[str, Callable] = {
    "sparse": sparse_value_and_grad,
    "bptt": bptt_value_and_grad,
    "dense": dense_value_and_grad,
    "rtrl": rtrl_value_and_grad,
}


def value_and_grad(
    step: Callable,
    loss: Callable,
    method: str = "sparse",
    *,
    batched: bool = False,
    time_major: bool = False,
    jacobians: str = "auto",
    approximation: str | None = None,
) -> Callable:
    """Gradient of ``sum_t loss(y_t, target_t)`` for a recurrent one-step function.

    Args:
        step: ``step(params, state, x_t) -> (state, y_t)`` for ONE sample; any pytree of
            params, any number of state arrays (the state keeps its pytree structure).
        loss: ``loss(y_t, target_t) -> scalar``.
        method: ``"sparse"`` (structured eligibility traces; exact for steps whose previous
            state stays within each neuron, see `classify`), ``"bptt"``, ``"dense"`` (exact,
            dense per-step Jacobians) or ``"rtrl"`` (`jax.jacfwd` through the loop).
        batched: when True, ``state0``, ``xs`` and ``targets`` carry a leading batch axis B
            (xs: B x T x ...) and the returned loss and grads are SUMS over the batch
            (params are shared). Every method runs ONE scan over time with the batch axis
            in its carry: "bptt" and "rtrl" differentiate the batch loss through one scan of
            the `vmap`-ed step (the standard batched BPTT), "dense" `vmap`s its per-sample
            step inside its scan, "sparse" sums over B with one contraction per step (a
            matmul for factorised traces).
        time_major: (with ``batched``) xs and targets are laid out T x B x ... instead of
            B x T x .... "sparse" reads either layout in place, one step at a time (no copy
            of the sequences); the reference methods swap B x T to T x B once.
        jacobians: (method "sparse" only) where the per-step structured Jacobian values
            come from: ``"engine"`` (`spikead.ad.structured_jacobian`), ``"jvp"``
            (compressed transposed JVPs) or
            ``"auto"`` (default: engine for steps whose primitives the engine has rules
            for, else jvp; engine errors propagate).
        approximation: (method "sparse" only) ``None`` (default): the gradient must be
            exact; a step classified "approximate" (its previous state reaches other
            neurons, e.g. recurrent synapses ``W_rec @ z_{t-1}`` or lateral inhibition
            ``v - L @ relu(v)``) raises `ApproximationRequiredError`. ``"eprop"``: Bellec
            et al.'s e-prop for such steps (every path through another neuron's previous
            state dropped, from the traces and the learning signal alike; neuron-local
            paths kept): equal to `eprop_reference_value_and_grad`; exact steps still get
            the exact gradient.

    Returns:
        ``fn(params, state0, xs, targets) -> (total_loss, grads)``; xs and targets have a
        leading time axis T (after the batch axis when batched); grads has the pytree
        structure of params.

    Raises:
        UnknownMethodError: for an unknown ``method``, or ``jacobians`` / ``approximation``
            with a method other than "sparse".
        ValueError: an unknown ``approximation``.
        UnsupportedStepError: (method "sparse", when called) the step's state Jacobian
            cannot be expressed in the sparse form.
        ApproximationRequiredError: (method "sparse", when called) the step is approximate
            and ``approximation`` is None.
    """
    if method not in METHODS:
        raise UnknownMethodError(
            f"method={method!r} is not an online-gradient method; use one of {sorted(METHODS)}."
        )
    if method == "sparse":  # batches natively: contractions over B inside the scan (see _sparse)
        return sparse_value_and_grad(
            step,
            loss,
            jacobians,
            batched=batched,
            time_major=time_major,
            approximation=approximation,
        )
    if jacobians != "auto":
        raise UnknownMethodError(f"jacobians={jacobians!r} applies to method='sparse' only")
    if approximation is not None:
        raise UnknownMethodError(
            f"approximation={approximation!r} applies to method='sparse' only ({method!r} is "
            f"exact); drop the keyword, or use method='sparse' for e-prop "
            f"(approximation must be one of {APPROXIMATIONS})."
        )
    return METHODS[method](step, loss, batched=batched, time_major=time_major)


def classify(step: Callable, params, state, x) -> Classification:
    """How the sparse method computes ``step``'s gradient, from ONE sample's arguments.

    Returns a `Classification` whose ``kind`` is ``"exact"`` (per-neuron traces; equals
    BPTT), ``"exact-factorised"`` (exact, and every carried trace is stored without its
    neuron axis, e.g. M values for an N x M weight) or ``"approximate"`` (the previous
    state reaches other neurons; the sparse method needs ``approximation="eprop"``), and
    whose ``reason`` says why (for "approximate": the coupling equations).

    Raises:
        UnsupportedStepError: the step cannot be expressed in the sparse form at all.
    """
    return classification_of(make_plan(step, params, state, x))
