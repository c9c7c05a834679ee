"""The exactness contract of the sparse method: classify a plan, and refuse a silent approximation.

A step is

* ``"exact"``: every state-to-state Jacobian stays within each neuron (paired), so the
  structured traces give BPTT's gradient;
* ``"exact-factorised"``: exact, and every carried trace is stored without its neuron
  axis (values along the parameter's input dims only, e.g. M values for an N x M weight:
  one decay for all neurons, no per-neuron reset path);
* ``"approximate"``: the previous state reaches OTHER neurons through a sum over neurons
  (recurrent synapses ``W_rec @ z_{t-1}``, lateral inhibition ``v - L @ relu(v)``). The
  sparse method then returns Bellec et al.'s e-prop (those paths' gradient stopped,
  `_eprop`), an approximation the caller must accept with ``approximation="eprop"``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ._errors import ApproximationRequiredError

#: accepted values of ``approximation=`` (None: exact only)
APPROXIMATIONS = (None, "eprop")
KINDS = ("exact", "exact-factorised", "approximate")


@dataclasses.dataclass(frozen=True)
class Classification:
    """How the sparse method treats a step.

    Attributes:
        kind: one of ``"exact"``, ``"exact-factorised"``, ``"approximate"`` (module doc).
        reason: one sentence (several lines for "approximate": one per coupling equation).
        couplings: for "approximate", a description of each equation that sums
            previous-state tangents over neurons; empty otherwise.
    """

    kind: str
    reason: str
    couplings: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


def classification_of(plan: Any) -> Classification:
    """The `Classification` of a `SparsePlan` (its ``couplings``, ``factorised``, ``trace``)."""
    if plan.couplings:
        lines = "\n".join(f"  - {c}" for c in plan.couplings)
        return Classification(
            "approximate",
            "the previous state reaches other neurons through a sum over neurons; e-prop "
            f"drops these paths from the eligibility traces:\n{lines}",
            tuple(plan.couplings),
        )
    if plan.factorised:
        return Classification(
            "exact-factorised",
            f"every state Jacobian is the same scalar for all neurons along the traced "
            f"parameters, so the {len(plan.trace)} carried traces store "
            f"{plan.trace_values()} values per sample without a neuron axis; equals BPTT",
        )
    return Classification(
        "exact",
        f"every state Jacobian is per-neuron (paired); the {len(plan.trace)} carried traces "
        f"store {plan.trace_values()} values per sample; equals BPTT",
    )


def check_approximation(approximation: str | None) -> None:
    """Raise ValueError for an unknown ``approximation=`` value."""
    if approximation not in APPROXIMATIONS:
        raise ValueError(
            f"approximation={approximation!r}; use one of {APPROXIMATIONS} (None: the "
            f"gradient must be exact; 'eprop': accept e-prop's approximation for steps whose "
            f"previous state reaches other neurons)."
        )


def require_allowed(plan: Any, approximation: str | None) -> None:
    """Raise `ApproximationRequiredError` when ``plan`` is approximate and nothing is allowed."""
    if plan.couplings and approximation is None:
        lines = "\n".join(f"  - {c}" for c in plan.couplings)
        raise ApproximationRequiredError(
            "method='sparse' cannot compute this step's gradient exactly: its previous state "
            "reaches other neurons (a sum over neurons, e.g. recurrent synapses W_rec @ "
            f"z_[t-1] or lateral inhibition L @ relu(v_[t-1])):\n{lines}\n"
            "The exact eligibility trace would be N x N x M. Pass approximation='eprop' to "
            "accept e-prop's approximation (those paths' gradient stopped, neuron-local "
            "paths kept), or use method='bptt' (or 'dense' / 'rtrl') for the exact "
            "gradient."
        )
