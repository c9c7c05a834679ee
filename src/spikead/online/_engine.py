"""The one place `spikead.online` imports the structured-tensor engine of `spikead.ad`.

Structured tensors (`STensor`: values + a static `Structure`), their chain-rule product
`matmul` (with its multiplication count), `add`, `broaden` and `to_dense` come from
`spikead.ad`; only this module knows where they live.
"""

from __future__ import annotations

from spikead.ad import (
    STensor,
    Structure,
    add,
    broaden,
    matmul,
    product_plan,
    structured_jacobian,
    sum_structure,
    supported_primitives,
    to_dense,
)
from spikead.ad._structure import broadens_to, zero_structure  # not re-exported by spikead.ad

__all__ = [
    "STensor",
    "Structure",
    "add",
    "broaden",
    "broadens_to",
    "matmul",
    "product_plan",
    "structured_jacobian",
    "sum_structure",
    "supported_primitives",
    "to_dense",
    "zero_structure",
]
