"""The one adapter onto JAX internals used by the engine (jaxprs, variables, literals).

Everything that touches ``jax.extend.core`` lives here, so a JAX upgrade changes one file.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np
from jax.extend import core as jcore

Var = jcore.Var
Literal = jcore.Literal
ClosedJaxpr = jcore.ClosedJaxpr
Jaxpr = jcore.Jaxpr
JaxprEqn = jcore.JaxprEqn

#: primitives whose sub-jaxpr is inlined into the graph (param name of the sub-jaxpr)
#: (``remat2`` is ``jax.checkpoint``: it only changes what reverse mode stores, so its body
#: is differentiated as written)
INLINED_CALLS = {
    "jit": "jaxpr",
    "pjit": "jaxpr",
    "closed_call": "call_jaxpr",
    "core_call": "call_jaxpr",
    "remat2": "jaxpr",
}


def is_literal(v: Any) -> bool:
    return isinstance(v, Literal)


def is_dropvar(v: Any) -> bool:
    return isinstance(v, jcore.DropVar)


def known_value(x: Any):
    """``x`` as a NumPy array when its value is known while tracing (a constant, or
    computed from constants only), else ``None`` (a tracer)."""
    try:
        return np.asarray(x)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        return None


def sub_jaxpr(eqn: JaxprEqn) -> ClosedJaxpr:
    """The closed sub-jaxpr of an inlined call equation."""
    jaxpr = eqn.params[INLINED_CALLS[eqn.primitive.name]]
    if isinstance(jaxpr, ClosedJaxpr):
        return jaxpr
    return ClosedJaxpr(jaxpr, ())


def custom_call_name(eqn: JaxprEqn) -> str:
    """The user-facing name of a custom_jvp / custom_vjp function (``name at file:line``)."""
    closed = eqn.params.get("call_jaxpr")
    info = getattr(getattr(closed, "jaxpr", closed), "debug_info", None)
    src = getattr(info, "func_src_info", None)
    return str(src) if src else eqn.primitive.name


def eqn_as_fun(eqn: JaxprEqn) -> tuple[Callable[..., list], list[int]]:
    """A function evaluating one equation, taking one value per non-literal input position.

    Returns the function and the positions (indices into ``eqn.invars``) it takes, in order.
    A variable used at two positions (``max x x``) becomes two arguments, so a derivative
    with respect to one argument is the partial of that position, not of the variable.
    Evaluating through ``jaxpr_as_fun`` honours custom_jvp/custom_vjp rules under
    ``jax.jvp``/``jax.vjp``.
    """
    positions = [k for k, v in enumerate(eqn.invars) if not is_literal(v)]
    fresh = {k: Var(eqn.invars[k].aval) for k in positions}
    new_eqn = eqn.replace(invars=[fresh.get(k, v) for k, v in enumerate(eqn.invars)])
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*missing a DebugInfo.*", category=DeprecationWarning
        )
        jaxpr = Jaxpr([], [fresh[k] for k in positions], list(new_eqn.outvars), [new_eqn])
    fun = jcore.jaxpr_as_fun(ClosedJaxpr(jaxpr, []))
    return fun, positions


def eval_eqn(eqn: JaxprEqn, invals: Sequence[Any]) -> list[Any]:
    """Evaluate one equation on the values of ``eqn.invars`` (literals included).

    An equation with integer or boolean outputs whose inputs are all known while tracing
    (index arithmetic on constants, e.g. the wrapping of ``x[np.array([2, -1])]``) is
    evaluated at once, so rules see its value (:func:`known_value`); others are staged.
    """
    params = eqn.primitive.get_bind_params(eqn.params)
    folded = all(
        jax.numpy.issubdtype(v.aval.dtype, jax.numpy.integer)
        or jax.numpy.issubdtype(v.aval.dtype, jax.numpy.bool_)
        for v in eqn.outvars
    ) and all(known_value(x) is not None for x in invals)
    with eqn.ctx.manager, jax.ensure_compile_time_eval() if folded else contextlib.nullcontext():
        out = eqn.primitive.bind(*invals, **params)
    return list(out) if eqn.primitive.multiple_results else [out]


def make_jaxpr(fun: Callable, *args: Any) -> ClosedJaxpr:
    return jax.make_jaxpr(fun)(*args)


def name_scopes(eqn: JaxprEqn) -> tuple[str, ...]:
    """The ``jax.named_scope`` names an equation was traced under (outermost first)."""
    stack = getattr(eqn.source_info.name_stack, "stack", ())
    return tuple(getattr(s, "name", str(s)) for s in stack)
