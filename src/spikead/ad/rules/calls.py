"""Rules for ``custom_jvp_call`` and ``custom_vjp_call``: one vertex per output whose
partials come from JAX's transforms of the single equation (so custom rules such as
surrogate spike derivatives are honoured).

* If the wrapped function is element-wise (every equation depending on an input is an
  element-wise primitive on arrays of the output's shape, checked recursively), the
  partial is diagonal: ``jax.jvp`` (custom_jvp) or ``jax.vjp`` (custom_vjp) with a ones
  tangent / cotangent gives its values. A surrogate Heaviside stays one value per neuron.
* Otherwise the partial is dense (``O x I`` values from ``jax.jacfwd`` / ``jax.jacrev``),
  e.g. ``jax.nn.softmax`` on a vector.

Either way the cost of products with these edges follows the usual counting convention;
computing the partials themselves is not counted (as for every primitive).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._jaxpr import INLINED_CALLS, ClosedJaxpr, is_literal
from ._common import _var_inputs, dense_jacobian, elementwise
from ._registry import RuleContext, register_rule

#: primitives that act element by element (used to recognise element-wise custom calls)
ELEMENTWISE_PRIMITIVES = frozenset(
    ["exp", "exp2", "log", "log1p", "expm1", "sin", "cos", "tan", "tanh", "logistic", "sqrt", "rsqrt", "cbrt", "abs", "sign", "neg", "erf", "erfc", "erf_inv", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "integer_pow", "square", "floor", "ceil", "round", "is_finite", "add", "add_any", "sub", "mul", "div", "pow", "atan2", "max", "min", "rem", "nextafter", "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "select_n", "clamp", "convert_element_type", "copy", "copy_p", "stop_gradient", "reduce_precision"]
)


def _jaxpr_of(param) -> ClosedJaxpr:
    return param if isinstance(param, ClosedJaxpr) else ClosedJaxpr(param, ())


def is_elementwise(closed: ClosedJaxpr, shape: tuple[int, ...], first_input: int = 0) -> bool:
    """True when every output of ``closed`` depends element-wise on inputs ``first_input:``."""
    jaxpr = closed.jaxpr
    dependent = set(jaxpr.invars[first_input:])
    if any(tuple(v.aval.shape) != shape for v in dependent):
        return False
    for eqn in jaxpr.eqns:
        ins = [v for v in eqn.invars if not is_literal(v) and v in dependent]
        if not ins:
            continue
        name = eqn.primitive.name
        if name in INLINED_CALLS or name in ("custom_jvp_call", "custom_vjp_call"):
            sub = eqn.params.get("jaxpr", eqn.params.get("call_jaxpr"))
            ok = is_elementwise(_jaxpr_of(sub), shape, 0) if sub is not None else False
        elif name == "broadcast_in_dim":
            ok = False
        else:
            ok = name in ELEMENTWISE_PRIMITIVES
        if not ok:
            return False
        for v in eqn.invars:
            if not is_literal(v) and tuple(v.aval.shape) not in (shape, ()):
                return False
        for v in eqn.outvars:
            if tuple(v.aval.shape) != shape:
                return False
            dependent.add(v)
    return all(tuple(v.aval.shape) == shape for v in jaxpr.outvars)


def _custom_call(ctx: RuleContext, mode: str) -> list:
    num_consts = ctx.params.get("num_consts", 0)
    out_shape = ctx.out_shapes[0]
    closed = _jaxpr_of(ctx.params["call_jaxpr"])
    elementwise_call = all(s == out_shape for s in ctx.out_shapes) and is_elementwise(
        closed, out_shape, num_consts
    )
    result = []
    active = ctx.active_indices()
    if mode == "rev" and any(i < num_consts for i in active):
        raise NotImplementedError(
            "custom_vjp_call closes over a differentiated value (one of its num_consts inputs); "
            "pass that value as an explicit argument of the custom_vjp function instead"
        )
    if not elementwise_call:
        for k in range(len(ctx.outvals)):
            for i in active:
                result.append((k, i, dense_jacobian(ctx, i, k, mode)))
        return result
    fun, invars, primals = _var_inputs(ctx)
    for i in active:
        target = ctx.eqn.invars[i]
        for k in range(len(ctx.outvals)):
            if mode == "fwd":
                tangents = [jnp.ones_like(x) if v is target else jnp.zeros_like(x) for v, x in zip(invars, primals)]
                _, out_t = jax.jvp(lambda *a: fun(*a), primals, tangents)
                d = out_t[k]
            else:
                k_var = next(j for j, v in enumerate(invars) if v is target)
                outs, pullback = jax.vjp(lambda *a: fun(*a), *primals)
                cts = [jnp.ones_like(o) if j == k else jnp.zeros_like(o) for j, o in enumerate(outs)]
                d = pullback(cts)[k_var]
            result.append((k, i, elementwise(ctx.in_shapes[i], out_shape, d)))
    return result


def _custom_jvp_call(ctx: RuleContext) -> list:
    return _custom_call(ctx, "fwd")


def _custom_vjp_call(ctx: RuleContext) -> list:
    return _custom_call(ctx, "rev")


register_rule("custom_jvp_call", _custom_jvp_call)
register_rule("custom_vjp_call", _custom_vjp_call)
