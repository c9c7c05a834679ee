"""Count the scalar multiplications a jaxpr performs (the *executed* cost of a program).

What is counted, per equation (nested calls are walked, their equations counted once):

* ``dot_general``: output size x product of the contracted dims' sizes (one product per
  term of every sum; batch and free dims are in the output size);
* ``mul``: the output size (an operand of size 1 is broadcast, one product per output
  element). A ``mul`` with an operand that is a compile-time constant whose every entry is
  ``1`` or ``-1`` (a literal, a closed-over constant, or a broadcast / reshape / convert of
  one) is counted in :attr:`MulCount.total` *and* reported in :attr:`MulCount.unit`;
* nothing else: ``add``, ``sub``, ``neg``, ``reduce_sum``, ``select_n``, ``broadcast_in_dim``,
  ``transpose``, ``reshape``, ``slice``, ``convert_element_type`` and every other primitive
  count 0 (additions and data movement are not multiplications). Other arithmetic
  primitives (``div``, ``integer_pow``, ``exp``, ...) are not counted either; an
  elimination never emits them, and :attr:`MulCount.uncounted` lists those met so a
  caller can check that.

Control flow (``scan``, ``while``, ``cond``) raises ``NotImplementedError``: its trip
count is not a property of the equation.

Only equations inside a ``jax.named_scope`` called ``scope`` are counted when ``scope`` is
given (a call equation inside the scope counts its whole body): ``jacve`` runs its
elimination phase under :data:`ELIMINATION_SCOPE`, so the primal and the partials of the
jaxpr of ``jacve(f)`` are left out.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from ._jaxpr import ClosedJaxpr, Jaxpr, JaxprEqn, is_literal, name_scopes

ELIMINATION_SCOPE = "spikead_jacve_elimination"
"""The ``jax.named_scope`` under which ``jacve`` eliminates vertices and reads the blocks."""

_CALL_PARAMS = {
    "jit": "jaxpr",
    "pjit": "jaxpr",
    "closed_call": "call_jaxpr",
    "core_call": "call_jaxpr",
    "remat2": "jaxpr",
    "custom_jvp_call": "call_jaxpr",
    "custom_vjp_call": "call_jaxpr",
    "custom_vjp_call_jaxpr": "fun_jaxpr",
}
_CONTROL_FLOW = ("scan", "while", "cond")
# a constant of entries +-1 stays one through these (operand 0 is the array)
_UNIT_PRESERVING = (
    "broadcast_in_dim",
    "convert_element_type",
    "reshape",
    "squeeze",
    "expand_dims",
    "transpose",
)
_OTHER_ARITHMETIC = (
    "div",
    "integer_pow",
    "pow",
    "square",
    "reduce_prod",
    "exp",
    "log",
    "sqrt",
    "rsqrt",
    "dot",
)


@dataclasses.dataclass(frozen=True)
class MulCount:
    """Multiplications of a jaxpr.

    Attributes:
        total: every scalar product of ``mul`` and ``dot_general`` equations.
        unit: the part of ``total`` from ``mul`` by a constant of entries +-1.
        uncounted: names of other arithmetic primitives met (counted as 0).
    """

    total: int
    unit: int
    uncounted: tuple[str, ...] = ()

    def __add__(self, other: MulCount) -> MulCount:
        return MulCount(
            self.total + other.total,
            self.unit + other.unit,
            tuple(sorted(set(self.uncounted) | set(other.uncounted))),
        )


def _size(aval) -> int:
    return math.prod(aval.shape)


def dot_general_count(eqn: JaxprEqn) -> int:
    """Products of one ``dot_general``: output size x contracted sizes."""
    (contract_lhs, _), _ = eqn.params["dimension_numbers"]
    lhs_shape = eqn.invars[0].aval.shape
    return _size(eqn.outvars[0].aval) * math.prod(lhs_shape[d] for d in contract_lhs)


def _is_unit(value: Any) -> bool:
    v = np.asarray(value)
    return v.size > 0 and bool(np.all(np.abs(v) == 1))


def count_multiplications(closed: ClosedJaxpr | Jaxpr, scope: str | None = None) -> MulCount:
    """The :class:`MulCount` of ``closed`` (only equations under ``scope`` if given)."""
    if isinstance(closed, ClosedJaxpr):
        units = [_is_unit(c) for c in closed.consts]
        return _walk(closed.jaxpr, units, scope is None, scope)
    return _walk(closed, [False] * len(closed.constvars), scope is None, scope)


def _walk(
    jaxpr: Jaxpr,
    const_units: list[bool],
    counting: bool,
    scope: str | None,
    in_units: list[bool] | None = None,
) -> MulCount:
    """Walk ``jaxpr``; ``*_units`` say which constvars / invars are constants of entries +-1."""
    units = {v for v, u in zip(jaxpr.constvars, const_units) if u}
    units |= {v for v, u in zip(jaxpr.invars, in_units or []) if u}
    is_unit = lambda v: _is_unit(v.val) if is_literal(v) else v in units

    count = MulCount(0, 0)
    for eqn in jaxpr.eqns:
        name = eqn.primitive.name
        here = counting or (scope is not None and scope in name_scopes(eqn))
        if name in _CONTROL_FLOW:
            if here:
                raise NotImplementedError(
                    f"count_multiplications: control flow primitive {name!r}; its trip count is not "
                    "known per equation (unroll the loop or count its body times the trip count)"
                )
            continue
        if name in _CALL_PARAMS and _CALL_PARAMS[name] in eqn.params:
            sub = eqn.params[_CALL_PARAMS[name]]
            if isinstance(sub, ClosedJaxpr):
                sub_jaxpr, sub_units = sub.jaxpr, [_is_unit(c) for c in sub.consts]
            else:
                sub_jaxpr, sub_units = sub, [False] * len(sub.constvars)
            count += _walk(sub_jaxpr, sub_units, here, scope, [is_unit(v) for v in eqn.invars])
            continue
        if name in _UNIT_PRESERVING:
            if is_unit(eqn.invars[0]):
                units.add(eqn.outvars[0])
            continue
        if not here:
            continue
        if name == "dot_general":
            count += MulCount(dot_general_count(eqn), 0)
        elif name == "mul":
            n = _size(eqn.outvars[0].aval)
            count += MulCount(n, n if any(map(is_unit, eqn.invars)) else 0)
        elif name in _OTHER_ARITHMETIC:
            count += MulCount(0, 0, (name,))
    return count
