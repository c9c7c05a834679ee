"""Static structure of a partial Jacobian and the product / sum rules on structures.

A partial Jacobian of a target (shape ``O``, rank ``P``) with respect to a source
(shape ``I``, rank ``Q``) is the tensor ``J[o_1..o_P, i_1..i_Q]``. Its structure is
described with *canonical labels*, one per distinct index:

* output dim ``p`` has label ``p``;
* input dim ``q`` has the label of the output dim it is paired with (a Kronecker pair,
  ``pair[q] = p``), or its own label ``P + q`` when unpaired (``pair[q] = None``).

The stored values ``val`` vary along the labels in ``val_dims`` (sorted, one array axis
per label, in that order); ``val_dims is None`` means "no values": the factor is exactly
one. Then ``J = val[val_dims] * prod_{paired q} delta(o_{pair[q]}, i_q)``, constant along
labels that are in no pair and not in ``val_dims`` (broadcast dims). Hence

* dense dim:           label on one side only, in ``val_dims``;
* paired (diagonal):   shared label, in ``val_dims``;
* identity-paired:     shared label, not in ``val_dims``;
* broadcast:           label on one side only, not in ``val_dims``.

This module holds the one definition of the product rule (:func:`product_plan`) and of
the sum rule (:func:`sum_structure`). Both the executor (which multiplies values) and the
symbolic cost model use them, so their multiplication counts agree by construction.

Counting convention (matches ``docs/engine-notes.md``): the number of scalar
multiplications the executor performs, which :func:`spikead.ad.executed_count` measures
from the jaxpr ``jacve`` emits. The products of a product ``A . B`` cost 0 when either
factor has no values (a pure identity / broadcast / relabelling); otherwise each factor is
first summed over the contracted labels along which the other factor is constant
(pre-reduction: additions, not counted), and the products are the size of the union of
the remaining value labels after the contracted index of the middle vertex is identified
(= the scalar products of the einsum). A contraction over an index along which *both*
factors are constant multiplies the result by that index's size; that constant
multiplies the smallest of the reduced factors and the result, and those
multiplications are counted (none when neither factor has values: the result is then
the constant). Additions are not counted.

Two counting conventions (:data:`CONVENTIONS`), both computed here and nowhere else:

* ``"structured"`` (default): the rule above; products with a factor that has no values
  (identity, sign-free copy, index map) are free.
* ``"paper"``: Graphax's count (Lohoff & Neftci 2024, ``get_num_muls`` of Graphax's
  sparse tensor), which the AlphaGrad paper's Table 1 uses. Every product costs at least
  one multiplication, also when a factor is the constant 1 or -1 (add, sub, neg, copy),
  and is the product of

  - the size of each output dim of ``a`` that is unpaired in ``a`` and carries values;
  - per contracted dim of ``k``: its size, unless it is paired on *both* sides and
    neither factor has values along it; then 1, except that a scalar-valued factor
    (a scaled identity, one value) against a factor with more values costs its size;
  - the size of each input dim of ``b`` that is unpaired in ``b`` and carries values.

  :func:`paper_product_cost` implements it; ``ProductPlan.cost_in(convention)`` selects.
"""

from __future__ import annotations

import dataclasses
import functools
import math

Shape = tuple[int, ...]

CONVENTIONS = ("structured", "paper")
"""Names of the counting conventions (see the module docstring)."""


def check_convention(convention: str) -> str:
    """Return ``convention`` if it is one of :data:`CONVENTIONS`, else raise ``ValueError``."""
    if convention not in CONVENTIONS:
        raise ValueError(
            f"unknown counting convention {convention!r}; expected one of {CONVENTIONS} "
            "('structured': unit partials and index maps are free; 'paper': Graphax's count)"
        )
    return convention


@dataclasses.dataclass(frozen=True)
class Structure:
    """Hashable, value-free structure of an edge ``J[O..., I...]`` (see module docstring).

    Attributes:
        out_shape: shape ``O`` of the target vertex.
        in_shape: shape ``I`` of the source vertex.
        pair: per input dim, the output dim it is paired with, or ``None``.
        val_dims: sorted canonical labels the values vary along, or ``None`` (factor 1).
    """

    out_shape: Shape
    in_shape: Shape
    pair: tuple[int | None, ...]
    val_dims: tuple[int, ...] | None

    def __post_init__(self) -> None:
        # plain ints (rules may hand over NumPy integers): hashes, equality and JSON agree
        object.__setattr__(self, "out_shape", tuple(int(n) for n in self.out_shape))
        object.__setattr__(self, "in_shape", tuple(int(n) for n in self.in_shape))
        object.__setattr__(self, "pair", tuple(None if q is None else int(q) for q in self.pair))
        if self.val_dims is not None:
            object.__setattr__(self, "val_dims", tuple(int(d) for d in self.val_dims))
        p = len(self.out_shape)
        if len(self.pair) != len(self.in_shape):
            raise ValueError(f"pair {self.pair} must have one entry per input dim {self.in_shape}")
        seen = set()
        for q, partner in enumerate(self.pair):
            if partner is None:
                continue
            if not 0 <= partner < p or partner in seen:
                raise ValueError(f"invalid pairing {self.pair} for output rank {p}")
            if self.out_shape[partner] != self.in_shape[q]:
                raise ValueError(
                    f"paired dims differ in size: out {self.out_shape} dim {partner} vs "
                    f"in {self.in_shape} dim {q}"
                )
            seen.add(partner)
        if self.val_dims is not None:
            labels = set(self.labels())
            if tuple(sorted(set(self.val_dims))) != tuple(self.val_dims):
                raise ValueError(f"val_dims {self.val_dims} must be sorted and unique")
            if not set(self.val_dims) <= labels:
                raise ValueError(f"val_dims {self.val_dims} not among labels {sorted(labels)}")

    # ------------------------------------------------------------------ labels
    @property
    def out_labels(self) -> tuple[int, ...]:
        return tuple(range(len(self.out_shape)))

    @property
    def in_labels(self) -> tuple[int, ...]:
        p = len(self.out_shape)
        return tuple(p + q if partner is None else partner for q, partner in enumerate(self.pair))

    def labels(self) -> tuple[int, ...]:
        """All distinct labels, sorted."""
        return tuple(sorted(set(self.out_labels) | set(self.in_labels)))

    def label_sizes(self) -> dict[int, int]:
        sizes = dict(zip(self.out_labels, self.out_shape))
        sizes.update(zip(self.in_labels, self.in_shape))
        return sizes

    @property
    def val_shape(self) -> Shape | None:
        if self.val_dims is None:
            return None
        sizes = self.label_sizes()
        return tuple(sizes[label] for label in self.val_dims)

    @property
    def n_values(self) -> int:
        """Number of stored values (0 for a pure identity / broadcast)."""
        shape = self.val_shape
        return 0 if shape is None else math.prod(shape)

    def __str__(self) -> str:
        names = "abcdefghijklmnopqrstuvwxyz"
        lab = lambda l: names[l % 26] + ("" if l < 26 else str(l // 26))
        out = "".join(lab(l) for l in self.out_labels)
        inn = "".join(lab(l) for l in self.in_labels)
        val = "1" if self.val_dims is None else "v[" + "".join(lab(l) for l in self.val_dims) + "]"
        return f"{out}<-{inn}:{val}"


def identity_structure(shape: Shape) -> Structure:
    """Structure of d x / d x: every dim identity-paired, no values."""
    return Structure(tuple(shape), tuple(shape), tuple(range(len(shape))), None)


def dense_structure(out_shape: Shape, in_shape: Shape) -> Structure:
    """Structure of a fully dense ``O x I`` partial."""
    n = len(out_shape) + len(in_shape)
    return Structure(tuple(out_shape), tuple(in_shape), (None,) * len(in_shape), tuple(range(n)))


# ---------------------------------------------------------------------- product
@dataclasses.dataclass(frozen=True)
class ProductPlan:
    """How to multiply ``a`` (k -> j) by ``b`` (i -> k): an einsum over integer labels.

    ``a_labels`` / ``b_labels`` name the axes of ``a.val`` / ``b.val`` (``None`` when that
    factor has no values), ``c_labels`` the axes of the result's values in the result's
    canonical order. ``a_kept`` / ``b_kept`` are the labels left after pre-reduction:
    each factor is first summed over the contracted labels along which the other factor
    is constant (additions, free). ``scale`` is the constant factor from indices along
    which both factors are constant; ``scale_on`` says which array it multiplies (``"a"``,
    ``"b"`` (reduced factor) or ``"c"`` (result), the smallest; ``None`` when
    ``scale == 1`` or no factor has values, then the result is the constant itself).
    ``cost`` is the number of scalar multiplications the executor performs (structured
    convention): the size of ``a_kept | b_kept`` when both factors have values, plus the
    size of the array ``scale`` multiplies; ``paper_cost`` Graphax's count.
    """

    result: Structure
    a_labels: tuple[int, ...] | None
    b_labels: tuple[int, ...] | None
    c_labels: tuple[int, ...] | None
    a_kept: tuple[int, ...] | None
    b_kept: tuple[int, ...] | None
    scale: int
    scale_on: str | None
    cost: int
    paper_cost: int

    def cost_in(self, convention: str) -> int:
        """The multiplication count of this product under ``convention``."""
        if convention == "structured":
            return self.cost
        if convention == "paper":
            return self.paper_cost
        return check_convention(convention)  # raises


@functools.lru_cache(maxsize=65536)
def product_plan(a: Structure, b: Structure) -> ProductPlan:
    """Plan the product ``C = A . B`` with ``A: k -> j`` and ``B: i -> k`` (contracting k)."""
    if a.in_shape != b.out_shape:
        raise ValueError(f"cannot multiply {a} (in {a.in_shape}) by {b} (out {b.out_shape})")
    pa = len(a.out_shape)
    offset = pa + len(a.in_shape)  # b's labels are shifted past a's label space
    a_in = a.in_labels
    b_out = tuple(label + offset for label in b.out_labels)
    b_in = tuple(label + offset for label in b.in_labels)
    # identify the two labels of each contracted k dim (classes have at most 2 members)
    rep: dict[int, int] = {}
    for la, lb in zip(a_in, b_out):
        rep[lb] = la
    find = lambda label: rep.get(label, label)
    sizes = a.label_sizes()
    sizes.update({label + offset: size for label, size in b.label_sizes().items()})

    c_out = a.out_labels
    c_in = tuple(find(label) for label in b_in)
    kept = set(c_out) | set(c_in)
    a_vals = None if a.val_dims is None else tuple(a.val_dims)
    b_vals = None if b.val_dims is None else tuple(find(label + offset) for label in b.val_dims)
    val_union = set(a_vals or ()) | set(b_vals or ())
    summed = {find(label) for label in a_in} - kept
    scale = math.prod(sizes[label] for label in summed - val_union)

    # result canonical labels
    pc = len(c_out)
    c_pair = tuple(c_out.index(label) if label in c_out else None for label in c_in)
    canon: dict[int, int] = {label: p for p, label in enumerate(c_out)}
    for q, label in enumerate(c_in):
        if label not in canon:
            canon[label] = pc + q
    if a_vals is None and b_vals is None and scale == 1:
        c_labels = None
        val_dims = None
    else:
        c_labels = tuple(sorted(val_union - summed, key=lambda label: canon[label]))
        val_dims = tuple(canon[label] for label in c_labels)
    result = Structure(a.out_shape, b.in_shape, c_pair, val_dims)
    # pre-reduction: a factor is first summed over the summed labels the other factor's
    # values do not vary along (additions only); the products run over what is left
    a_kept = (
        None
        if a_vals is None
        else tuple(l for l in a_vals if l not in summed or l in (b_vals or ()))
    )
    b_kept = (
        None
        if b_vals is None
        else tuple(l for l in b_vals if l not in summed or l in (a_vals or ()))
    )
    size_of = lambda labels: math.prod(sizes[label] for label in labels)
    cost = 0 if a_kept is None or b_kept is None else size_of(set(a_kept) | set(b_kept))
    scale_on = None
    if scale != 1 and c_labels is not None and (a_kept is not None or b_kept is not None):
        # the constant factor multiplies the smallest of the reduced factors and the result
        candidates = [("c", c_labels), ("a", a_kept), ("b", b_kept)]
        scale_on, labels = min(
            (c for c in candidates if c[1] is not None), key=lambda c: size_of(c[1])
        )
        cost += size_of(labels)
    return ProductPlan(
        result,
        a_vals,
        b_vals,
        c_labels,
        a_kept,
        b_kept,
        scale,
        scale_on,
        cost,
        paper_product_cost(a, b),
    )


def _paired_outs(s: Structure) -> set[int]:
    return {p for p in s.pair if p is not None}


def paper_product_cost(a: Structure, b: Structure) -> int:
    """Multiplications of ``A . B`` (``A: k -> j``, ``B: i -> k``) under convention ``"paper"``.

    Graphax's rule (module docstring): at least 1 per product; unit partials are not free.
    """
    a_vals = set(a.val_dims) if a.val_dims is not None else set()
    b_vals = set(b.val_dims) if b.val_dims is not None else set()
    a_paired_outs, b_paired_outs = _paired_outs(a), _paired_outs(b)
    cost = 1
    for p, n in enumerate(a.out_shape):  # unpaired output dims of a with values
        if p not in a_paired_outs and p in a_vals:
            cost *= n
    pb = len(b.out_shape)
    for q, n in enumerate(a.in_shape):  # contracted dims of k
        a_partner = a.pair[q]
        if a_partner is None or q not in b_paired_outs or a_partner in a_vals or q in b_vals:
            cost *= n
        elif a.val_dims is not None and b.val_dims is not None:
            a_scalar, b_scalar = a.n_values == 1, b.n_values == 1
            if a_scalar != b_scalar:
                cost *= n
    for q, n in enumerate(b.in_shape):  # unpaired input dims of b with values
        if b.pair[q] is None and pb + q in b_vals:
            cost *= n
    return cost


# -------------------------------------------------------------------------- sum
@functools.lru_cache(maxsize=65536)
def sum_structure(a: Structure, b: Structure) -> Structure:
    """Common structure of ``a + b``: pairs kept where both agree, values where either has."""
    if a.out_shape != b.out_shape or a.in_shape != b.in_shape:
        raise ValueError(f"cannot add {a} and {b}: shapes differ")
    pair = tuple(pa if pa == pb else None for pa, pb in zip(a.pair, b.pair))
    if a.val_dims is None and b.val_dims is None and pair == a.pair == b.pair:
        return Structure(a.out_shape, a.in_shape, pair, ())
    dims = set(_dims_in(a, pair)) | set(_dims_in(b, pair))
    return Structure(a.out_shape, a.in_shape, pair, tuple(sorted(dims)))


def _dims_in(s: Structure, pair: tuple[int | None, ...]) -> set[int]:
    """Labels (in the canonical space of a broader structure ``pair``) that ``s`` needs as values."""
    p = len(s.out_shape)
    dims: set[int] = set()
    for label in s.val_dims or ():
        dims.add(label)  # out labels and unpaired in labels keep their numbers
        # a paired label l of s: if the pair is dropped in `pair`, the in side needs values too
    for q, (ps, pt) in enumerate(zip(s.pair, pair)):
        if ps is not None and pt is None:
            dims.update({ps, p + q})  # a dropped pair becomes a dense eye over both labels
    # a paired label of s that is in s.val_dims and dropped: add the in label too (done above)
    return dims


def broadens_to(s: Structure, target: Structure) -> bool:
    """True when ``s`` can be expressed in ``target``'s structure without loss."""
    if s.out_shape != target.out_shape or s.in_shape != target.in_shape:
        return False
    if any(pt is not None and pt != ps for ps, pt in zip(s.pair, target.pair)):
        return False
    if target.val_dims is None:
        return s.val_dims is None and s.pair == target.pair
    return _dims_in(s, target.pair) <= set(target.val_dims)


def zero_structure(out_shape: Shape, in_shape: Shape) -> Structure:
    """Structure of an all-zero partial: one scalar value (0), no pairs."""
    return Structure(tuple(out_shape), tuple(in_shape), (None,) * len(in_shape), ())
