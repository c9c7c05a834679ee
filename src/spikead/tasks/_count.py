"""Size and primitive set of a task's jaxpr, with nested calls inlined.

Nested ``jit`` equations (sub-jaxpr in ``params["jaxpr"]``) and ``custom_jvp_call``
equations (sub-jaxpr in ``params["call_jaxpr"]``) are not counted themselves; their
bodies are walked recursively instead, as an AD engine that inlines them would see them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import jax
from jax.extend.core import ClosedJaxpr, Jaxpr, JaxprEqn

from ._registry import Task

__all__ = [
    "INLINED",
    "count_equations",
    "iter_equations",
    "primitive_counts",
    "primitive_names",
    "task_jaxpr",
]

INLINED: dict[str, str] = {"jit": "jaxpr", "pjit": "jaxpr", "custom_jvp_call": "call_jaxpr"}
"""Primitive name -> name of the param holding the sub-jaxpr that is inlined."""


def task_jaxpr(task: Task) -> ClosedJaxpr:
    """``jax.make_jaxpr(task.fn)(*task.args)``."""
    return jax.make_jaxpr(task.fn)(*task.args)


def _as_jaxpr(obj: Any) -> Jaxpr:
    return obj.jaxpr if isinstance(obj, ClosedJaxpr) else obj


def iter_equations(jaxpr: Jaxpr | ClosedJaxpr) -> Iterator[JaxprEqn]:
    """Yield the equations of ``jaxpr`` in order, inlining `INLINED` calls recursively."""
    for eqn in _as_jaxpr(jaxpr).eqns:
        param = INLINED.get(eqn.primitive.name)
        if param is not None and param in eqn.params:
            yield from iter_equations(eqn.params[param])
        else:
            yield eqn


def count_equations(task: Task) -> int:
    """Number of jaxpr equations of ``task.fn`` with nested jit / custom_jvp inlined.

    This is this repository's analogue of the paper's "eliminable vertices".
    """
    return sum(1 for _ in iter_equations(task_jaxpr(task)))


def primitive_counts(task: Task) -> Counter[str]:
    """How often each primitive occurs (nested calls inlined)."""
    return Counter(eqn.primitive.name for eqn in iter_equations(task_jaxpr(task)))


def primitive_names(task: Task) -> frozenset[str]:
    """The set of primitive names used by ``task.fn`` (nested calls inlined)."""
    return frozenset(primitive_counts(task))
