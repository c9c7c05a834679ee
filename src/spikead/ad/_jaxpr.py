"""The one adapter onto JAX internals used by the engine (jaxprs, variables, literals).

Everything that touches ``jax.extend.core`` lives here, so a JAX upgrade changes one file.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import jax
from jax.extend import core as jcore

Var = jcore.Var
Literal = jcore.Literal
ClosedJaxpr = jcore.ClosedJaxpr
Jaxpr = jcore.Jaxpr
JaxprEqn = jcore.JaxprEqn

#: primitives whose sub-jaxpr is inlined into the graph (param name of the sub-jaxpr)
INLINED_CALLS = {"jit": "jaxpr", "pjit": "jaxpr", "closed_call": "call_jaxpr", "core_call": "call_jaxpr"}


def is_literal(v: Any) -> bool:
    return isinstance(v, Literal)


def is_dropvar(v: Any) -> bool:
    return isinstance(v, jcore.DropVar)


def sub_jaxpr(eqn: JaxprEqn) -> ClosedJaxpr:
    """The closed sub-jaxpr of an inlined call equation."""
    jaxpr = eqn.params[INLINED_CALLS[eqn.primitive.name]]
    if isinstance(jaxpr, ClosedJaxpr):
        return jaxpr
    return ClosedJaxpr(jaxpr, ())


def eqn_as_fun(eqn: JaxprEqn) -> tuple[Callable[..., list], list[Any]]:
    """A function evaluating one equation, taking its (distinct) variable inputs.

    Returns the function and the list of variables it takes, in order. Evaluating through
    ``jaxpr_as_fun`` honours custom_jvp/custom_vjp rules under ``jax.jvp``/``jax.vjp``.
    """
    invars: list[Any] = []
    for v in eqn.invars:
        if not is_literal(v) and v not in invars:
            invars.append(v)
    outvars = list(eqn.outvars)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*missing a DebugInfo.*", category=DeprecationWarning)
        jaxpr = Jaxpr([], invars, outvars, [eqn])
    fun = jcore.jaxpr_as_fun(ClosedJaxpr(jaxpr, []))
    return fun, invars


def eval_eqn(eqn: JaxprEqn, invals: Sequence[Any]) -> list[Any]:
    """Evaluate one equation on the values of ``eqn.invars`` (literals included)."""
    params = eqn.primitive.get_bind_params(eqn.params)
    with eqn.ctx.manager:
        out = eqn.primitive.bind(*invals, **params)
    return list(out) if eqn.primitive.multiple_results else [out]


def make_jaxpr(fun: Callable, *args: Any) -> ClosedJaxpr:
    return jax.make_jaxpr(fun)(*args)
