"""Rules for ``custom_jvp_call`` and ``custom_vjp_call``: the partials come from JAX's
transforms of the single equation, so custom rules (surrogate spike derivatives, gradient
centring, straight-through estimators) are honoured.

The *structure* of each partial is read from the custom rule, never from the primal: the
rule's linear map is traced to a jaxpr (abstractly: shapes only) and analysed.

* custom_jvp: the tangent map of ``jax.jvp`` (the user's JVP rule), seeded with the
  tangent of input i; custom_vjp: the pullback of ``jax.vjp`` (fwd + the user's bwd),
  seeded with the cotangent of output k.
* If every value that depends on the seed is computed from it by element-wise primitives
  (:data:`ELEMENTWISE_PRIMITIVES`, nested calls followed) at the seed's shape, and input
  and output have that shape, the partial is diagonal: ``jax.jvp`` / ``jax.vjp`` with a
  ones seed gives its values. A surrogate Heaviside stays one value per neuron.
* An output the seed does not reach has a zero partial (left out).
* Otherwise the partial is dense (``O x I`` values from ``jax.jacfwd`` / ``jax.jacrev`` of
  the equation): exact, e.g. ``jax.nn.softmax`` on a vector or a rule that subtracts the
  tangent's mean.
* A rule that cannot be traced abstractly raises
  :class:`~spikead.ad.errors.UnsupportedCustomRuleError` naming the function.

Either way the cost of products with these edges follows the usual counting convention;
computing the partials themselves is not counted (as for every primitive).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .._jaxpr import (
    INLINED_CALLS,
    ClosedJaxpr,
    Jaxpr,
    custom_call_name,
    eqn_as_fun,
    is_literal,
    make_jaxpr,
)
from ..errors import UnsupportedCustomRuleError
from ._common import dense_jacobian, elementwise, var_inputs
from ._registry import RuleContext, register_rule

#: primitives that act element by element (used to recognise diagonal custom rules)
ELEMENTWISE_PRIMITIVES = frozenset(
    [
        "exp",
        "exp2",
        "log",
        "log1p",
        "expm1",
        "sin",
        "cos",
        "tan",
        "tanh",
        "logistic",
        "sqrt",
        "rsqrt",
        "cbrt",
        "abs",
        "sign",
        "neg",
        "erf",
        "erfc",
        "erf_inv",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "asinh",
        "acosh",
        "atanh",
        "integer_pow",
        "square",
        "floor",
        "ceil",
        "round",
        "is_finite",
        "add",
        "add_any",
        "sub",
        "mul",
        "div",
        "pow",
        "atan2",
        "max",
        "min",
        "rem",
        "nextafter",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "and",
        "or",
        "not",
        "select_n",
        "clamp",
        "convert_element_type",
        "copy",
        "copy_p",
        "stop_gradient",
        "reduce_precision",
    ]
)

#: call primitives whose body is followed (param holding the body)
_CALL_BODIES = {**INLINED_CALLS, "custom_jvp_call": "call_jaxpr", "custom_vjp_call": "call_jaxpr"}


def _shape(v) -> tuple[int, ...]:
    return tuple(v.aval.shape)


def _body(eqn) -> Jaxpr | None:
    param = _CALL_BODIES.get(eqn.primitive.name)
    body = eqn.params.get(param) if param else None
    if body is None:
        return None
    body = body.jaxpr if isinstance(body, ClosedJaxpr) else body
    return body if len(body.invars) == len(eqn.invars) else None


def elementwise_dependents(jaxpr: Jaxpr, seeds: Iterable, shape: tuple[int, ...]) -> set | None:
    """The variables of ``jaxpr`` that depend on ``seeds`` if each is computed from them
    element by element with shape ``shape``; None if any is not (then the map is not diagonal).

    Conservative: an unknown primitive, a broadcast, or an operand of another shape on a
    dependent path gives None.
    """
    dependent = set(seeds)
    if any(_shape(v) != shape for v in dependent):
        return None
    for eqn in jaxpr.eqns:
        hit = [k for k, v in enumerate(eqn.invars) if not is_literal(v) and v in dependent]
        if not hit:
            continue
        body = _body(eqn)
        if body is not None:
            inner = elementwise_dependents(body, [body.invars[k] for k in hit], shape)
            if inner is None:
                return None
            outs = [
                v for v, w in zip(eqn.outvars, body.outvars) if not is_literal(w) and w in inner
            ]
        elif eqn.primitive.name in ELEMENTWISE_PRIMITIVES:
            if any(not is_literal(v) and _shape(v) not in (shape, ()) for v in eqn.invars):
                return None
            outs = list(eqn.outvars)
        else:
            return None
        if any(_shape(v) != shape for v in outs):
            return None
        dependent.update(outs)
    return dependent


def _inexact(dtype) -> bool:
    return jnp.issubdtype(dtype, jnp.inexact)


def _zero_seed(aval):
    """The seed of a non-differentiable value: float0 zeros for integers."""
    return (
        np.zeros(aval.shape, jax.dtypes.float0)
        if not _inexact(aval.dtype)
        else jnp.zeros(aval.shape, aval.dtype)
    )


def _linear_map(ctx: RuleContext, mode: str, fun, positions: Sequence[int]) -> ClosedJaxpr:
    """The custom rule's linear map, traced abstractly, as a jaxpr of ``(primals, seeds)``.

    fwd: seeds are the tangents of the input positions, outputs the output tangents.
    rev: seeds are the output cotangents, outputs the input cotangents.
    """
    in_avals = [
        jax.ShapeDtypeStruct(ctx.eqn.invars[k].aval.shape, ctx.eqn.invars[k].aval.dtype)
        for k in positions
    ]
    out_avals = [jax.ShapeDtypeStruct(v.aval.shape, v.aval.dtype) for v in ctx.eqn.outvars]
    if mode == "fwd":

        def lin(primals, seeds):
            tangents = [s if _inexact(a.dtype) else _zero_seed(a) for s, a in zip(seeds, in_avals)]
            return jax.jvp(lambda *a: fun(*a), list(primals), tangents)[1]

        seeds = in_avals
    else:

        def lin(primals, seeds):
            _, pullback = jax.vjp(lambda *a: fun(*a), *primals)
            cts = [s if _inexact(a.dtype) else _zero_seed(a) for s, a in zip(seeds, out_avals)]
            return list(pullback(cts))

        seeds = out_avals
    kind = "jax.custom_jvp" if mode == "fwd" else "jax.custom_vjp"
    try:
        return make_jaxpr(lin, in_avals, seeds)
    except Exception as err:  # the user's rule failed under abstract tracing
        raise UnsupportedCustomRuleError(
            custom_call_name(ctx.eqn),
            kind,
            f"its {'JVP' if mode == 'fwd' else 'fwd/bwd'} rule could not be traced with abstract "
            f"values to find the structure of its partial ({type(err).__name__}: {str(err)[:200]})",
            "Make the rule traceable (no Python control flow or conversions on values: use "
            "jnp.where / lax.select), or differentiate this function with jax.jacrev",
        ) from err


def _structure(
    ctx: RuleContext, mode: str, fun, positions: Sequence[int]
) -> dict[tuple[int, int], str]:
    """``{(out k, input position i): 'diagonal' | 'dense'}`` for every nonzero partial."""
    closed = _linear_map(ctx, mode, fun, positions)
    jaxpr = closed.jaxpr
    n_in = len(positions)
    seed_vars = jaxpr.invars[n_in:]  # after the primals
    diff_out = [k for k, v in enumerate(ctx.eqn.outvars) if _inexact(v.aval.dtype)]
    active = ctx.active_indices()
    kinds: dict[tuple[int, int], str] = {}
    if mode == "fwd":
        for i in active:
            seed = seed_vars[positions.index(i)]
            deps = elementwise_dependents(jaxpr, [seed], _shape(seed))
            for k in diff_out:
                out = jaxpr.outvars[k]
                kinds[(k, i)] = _kind(deps, out, ctx.in_shapes[i], ctx.out_shapes[k])
    else:
        for k in diff_out:
            seed = seed_vars[k]
            deps = elementwise_dependents(jaxpr, [seed], _shape(seed))
            for i in active:
                out = jaxpr.outvars[positions.index(i)]
                kinds[(k, i)] = _kind(deps, out, ctx.in_shapes[i], ctx.out_shapes[k])
    return {key: kind for key, kind in kinds.items() if kind != "zero"}


def _kind(deps: set | None, out, in_shape, out_shape) -> str:
    if deps is not None and (is_literal(out) or out not in deps):
        return "zero"
    return "diagonal" if deps is not None and in_shape == out_shape else "dense"


def _custom_call(ctx: RuleContext, mode: str) -> list:
    num_consts = ctx.params.get("num_consts", 0)
    active = ctx.active_indices()
    if mode == "rev" and any(i < num_consts for i in active):
        raise UnsupportedCustomRuleError(
            custom_call_name(ctx.eqn),
            "jax.custom_vjp",
            "it closes over a differentiated value (one of its num_consts inputs), whose "
            "cotangent its bwd rule does not give",
            "Pass that value as an explicit argument of the custom_vjp function instead",
        )
    fun, positions = eqn_as_fun(ctx.eqn)
    kinds = _structure(ctx, mode, fun, positions)
    _, _, primals = var_inputs(ctx)
    result = []
    for i in active:
        wanted = [k for k in range(len(ctx.outvals)) if kinds.get((k, i)) == "diagonal"]
        values = _diagonals(mode, fun, positions, primals, i, wanted) if wanted else {}
        for k in range(len(ctx.outvals)):
            kind = kinds.get((k, i))
            if kind == "diagonal":
                result.append((k, i, elementwise(ctx.in_shapes[i], ctx.out_shapes[k], values[k])))
            elif kind == "dense":
                result.append((k, i, dense_jacobian(ctx, i, k, mode)))
    return result


def _diagonals(mode: str, fun, positions, primals, i: int, outs: list[int]) -> dict:
    """Diagonal values of the partials of outputs ``outs`` w.r.t. input position i (ones seed)."""
    if mode == "fwd":
        tangents = [
            jnp.ones_like(x) if k == i else _zero_seed(x) for k, x in zip(positions, primals)
        ]
        _, out_t = jax.jvp(lambda *a: fun(*a), primals, tangents)
        return {k: out_t[k] for k in outs}
    values = {}
    out_vals, pullback = jax.vjp(lambda *a: fun(*a), *primals)
    for k in outs:
        cts = [jnp.ones_like(o) if j == k else _zero_seed(o) for j, o in enumerate(out_vals)]
        values[k] = pullback(cts)[positions.index(i)]
    return values


def _custom_jvp_call(ctx: RuleContext) -> list:
    return _custom_call(ctx, "fwd")


def _custom_vjp_call(ctx: RuleContext) -> list:
    return _custom_call(ctx, "rev")


register_rule("custom_jvp_call", _custom_jvp_call)
register_rule("custom_vjp_call", _custom_vjp_call)
