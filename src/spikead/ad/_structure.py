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
* broadcast:           label on one side only, not in ``val_dims``;
* index-map pair:      shared label with an :class:`IndexMap` (``maps[q]``): a slice,
  pad, concatenation, split or reversal along that dim, ``J = [i_q == map.src[o_p]]``;
  the label has the output dim's size and values along it are indexed by the output.

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
  (identity, sign-free copy, index map) are free. Index maps compose through pairs on
  both sides; where only one factor pairs a dim through a map, the other's values are
  gathered (or the product scattered) along it, and a map that leaves an index without
  a partner zeroes it with a select (the label then carries values): gathers and
  selects, never multiplications.
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
  Graphax stores an index map as a dense 0/1 partial, so this convention counts the graph
  with every index map densified (:meth:`Structure.densified`); a plan with a map
  refuses to give a paper count.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

Shape = tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class IndexMap:
    """A partial one-to-one map between an output dim (``len(src)`` entries) and an input
    dim (``in_size`` entries): output index ``o`` reads input index ``src[o]`` (``-1``: no
    input, the partial is 0 there). ``J[o, i] = [i == src[o]]`` on that pair of dims.

    Slices, strided slices, pads, concatenations, splits and reversals are such maps; they
    are stored as indices (gathered, never multiplied), see :class:`Structure`.
    """

    src: tuple[int, ...]
    in_size: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "src", tuple(int(i) for i in self.src))
        object.__setattr__(self, "in_size", int(self.in_size))
        valid = [i for i in self.src if i >= 0]
        if any(not -1 <= i < self.in_size for i in self.src) or len(set(valid)) != len(valid):
            raise ValueError(
                f"index map {self.src} is not a one-to-one partial map into {self.in_size} entries"
            )

    @property
    def out_size(self) -> int:
        return len(self.src)

    @property
    def is_identity(self) -> bool:
        return self.in_size == self.out_size and self.src == tuple(range(self.in_size))

    @property
    def out_total(self) -> bool:
        """Every output index reads an input index (no zero rows)."""
        return all(i >= 0 for i in self.src)

    @property
    def in_total(self) -> bool:
        """Every input index is read by an output index (no zero columns)."""
        return sum(i >= 0 for i in self.src) == self.in_size

    def inverse(self) -> tuple[int, ...]:
        """Per input index, the output index that reads it, or -1."""
        inv = [-1] * self.in_size
        for o, i in enumerate(self.src):
            if i >= 0:
                inv[i] = o
        return tuple(inv)

    def matrix(self):
        """The dense 0/1 matrix ``[out_size, in_size]`` (NumPy bool)."""
        return np.arange(self.in_size)[None, :] == np.asarray(self.src, int)[:, None]

    def __str__(self) -> str:
        return f"map{list(self.src)}/{self.in_size}"


def compose_maps(a: IndexMap | None, b: IndexMap | None) -> IndexMap | None:
    """The map of ``A . B`` for ``A: k -> j`` reading ``a`` and ``B: i -> k`` reading ``b``
    (``None``: the identity); ``None`` when the result is the identity."""
    if a is None:
        return b
    if b is None:
        return a
    if a.in_size != b.out_size:
        raise ValueError(f"cannot compose {a} with {b}: {a.in_size} != {b.out_size} entries")
    src = tuple(-1 if k < 0 else b.src[k] for k in a.src)
    c = IndexMap(src, b.in_size)
    return None if c.is_identity else c


def as_index_map(matrix) -> IndexMap | None:
    """The :class:`IndexMap` of a static 0/1 matrix ``[out, in]`` with at most one 1 per
    row and column, or ``None`` when it is not one (then it stays dense values)."""
    m = np.asarray(matrix)
    if m.ndim != 2 or not np.all((m == 0) | (m == 1)):
        return None
    if np.any(m.sum(axis=0) > 1) or np.any(m.sum(axis=1) > 1):
        return None
    src = np.where(m.any(axis=1), m.argmax(axis=1), -1)
    return IndexMap(tuple(int(i) for i in src), m.shape[1])


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
        maps: per input dim, the :class:`IndexMap` of a pair that is an index map rather
            than the identity (``None`` for identity pairs and unpaired dims); ``()`` when
            there is none. A mapped pair's label is indexed by the *output* dim (its size),
            values along it too: ``J = val[o] [i == map.src[o]]`` on that pair.
    """

    out_shape: Shape
    in_shape: Shape
    pair: tuple[int | None, ...]
    val_dims: tuple[int, ...] | None
    maps: tuple[IndexMap | None, ...] = ()

    def __post_init__(self) -> None:
        # plain ints (rules may hand over NumPy integers): hashes, equality and JSON agree
        object.__setattr__(self, "out_shape", tuple(int(n) for n in self.out_shape))
        object.__setattr__(self, "in_shape", tuple(int(n) for n in self.in_shape))
        object.__setattr__(self, "pair", tuple(None if q is None else int(q) for q in self.pair))
        if self.val_dims is not None:
            object.__setattr__(self, "val_dims", tuple(int(d) for d in self.val_dims))
        maps = tuple(None if m is None or m.is_identity else m for m in self.maps)
        object.__setattr__(self, "maps", maps if any(m is not None for m in maps) else ())
        p = len(self.out_shape)
        if len(self.pair) != len(self.in_shape):
            raise ValueError(f"pair {self.pair} must have one entry per input dim {self.in_shape}")
        if self.maps and len(self.maps) != len(self.in_shape):
            raise ValueError(f"maps must have one entry per input dim {self.in_shape}")
        seen = set()
        for q, partner in enumerate(self.pair):
            m = self.map_of(q)
            if partner is None:
                if m is not None:
                    raise ValueError(f"index map {m} on unpaired input dim {q} of {self.pair}")
                continue
            if not 0 <= partner < p or partner in seen:
                raise ValueError(f"invalid pairing {self.pair} for output rank {p}")
            if m is None and self.out_shape[partner] != self.in_shape[q]:
                raise ValueError(
                    f"paired dims differ in size: out {self.out_shape} dim {partner} vs "
                    f"in {self.in_shape} dim {q}"
                )
            if m is not None and (m.out_size, m.in_size) != (
                self.out_shape[partner],
                self.in_shape[q],
            ):
                raise ValueError(
                    f"index map {m} does not map out {self.out_shape} dim {partner} to "
                    f"in {self.in_shape} dim {q}"
                )
            seen.add(partner)
        if self.val_dims is not None:
            labels = set(self.labels())
            if tuple(sorted(set(self.val_dims))) != tuple(self.val_dims):
                raise ValueError(f"val_dims {self.val_dims} must be sorted and unique")
            if not set(self.val_dims) <= labels:
                raise ValueError(f"val_dims {self.val_dims} not among labels {sorted(labels)}")

    def map_of(self, q: int) -> IndexMap | None:
        """The index map of input dim ``q``'s pair (``None``: identity or unpaired)."""
        return self.maps[q] if self.maps else None

    def densified(self) -> Structure:
        """The same partial with every index map stored as dense 0/1 values over its two
        labels (how Graphax, and so convention ``"paper"``, stores slices and pads)."""
        if not self.maps:
            return self
        p = len(self.out_shape)
        pair = list(self.pair)
        vals = set(self.val_dims or ())
        for q, m in enumerate(self.maps):
            if m is not None:
                vals.update({pair[q], p + q})
                pair[q] = None
        return Structure(self.out_shape, self.in_shape, tuple(pair), tuple(sorted(vals)))

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
        p = len(self.out_shape)  # a paired label has its output dim's size
        sizes.update((p + q, n) for q, n in enumerate(self.in_shape) if self.pair[q] is None)
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
        inn = "".join(
            lab(l) + ("~" if self.map_of(q) is not None else "")
            for q, l in enumerate(self.in_labels)
        )
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
    size of the array ``scale`` multiplies; ``paper_cost`` Graphax's count (``None`` when
    a factor has an index map: that convention sees index maps densified).

    Index maps (no multiplications): ``b_gather`` re-indexes ``b``'s values along a label
    that ``a`` pairs through a map (``(label, src)``: position ``o`` takes ``src[o]``,
    ``-1`` gives 0); ``c_labels`` first names the product's axes ``p_labels``, then
    ``c_scatter`` re-indexes the product along a label that ``b`` pairs through a map and
    ``a`` does not (``(label, inverse map)``), and ``c_mask`` zeroes the positions a
    partial map leaves empty along a label (``(label, keep)``), adding that label to the
    values when the product is constant along it.
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
    paper_cost: int | None
    p_labels: tuple[int, ...] | None = None
    b_gather: tuple[tuple[int, tuple[int, ...]], ...] = ()
    c_scatter: tuple[tuple[int, tuple[int, ...]], ...] = ()
    c_mask: tuple[tuple[int, tuple[bool, ...]], ...] = ()

    def cost_in(self, convention: str) -> int:
        """The multiplication count of this product under ``convention``."""
        if convention == "structured":
            return self.cost
        if convention == "paper":
            if self.paper_cost is None:
                raise ValueError(
                    f"convention 'paper' on a partial with an index map ({self.result}): "
                    "Graphax stores index maps as dense 0/1 partials; price the densified "
                    "graph (Structure.densified, as apply_order(..., convention='paper') does)"
                )
            return self.paper_cost
        return check_convention(convention)  # raises


def for_convention(s: Structure, convention: str) -> Structure:
    """The structure ``convention`` prices: densified index maps under ``"paper"``."""
    return s.densified() if check_convention(convention) == "paper" else s


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

    # index maps: compose through pairs on both sides, gather, scatter or mask otherwise
    b_pairs_k = {q for q in b.pair if q is not None}
    c_maps: list[IndexMap | None] = [None] * len(b.in_shape)
    b_gather, c_scatter, c_mask = [], [], []
    for r, q in enumerate(b.pair):
        if q is None:
            continue
        mb = b.map_of(r)
        if a.pair[q] is not None:
            c_maps[r] = compose_maps(a.map_of(q), mb)
        elif mb is not None:  # the product runs over k's entries, the result over i's
            inv = mb.inverse()
            c_scatter.append((a_in[q], inv))
            if not mb.in_total:
                c_mask.append((a_in[q], tuple(k >= 0 for k in inv)))
    for q, p in enumerate(a.pair):
        ma = a.map_of(q)
        if p is None or ma is None:
            continue
        if b.val_dims is not None and q in b.val_dims:
            b_gather.append((p, ma.src))
        if q not in b_pairs_k and not ma.out_total:
            c_mask.append((p, tuple(k >= 0 for k in ma.src)))

    # result canonical labels
    pc = len(c_out)
    c_pair = tuple(c_out.index(label) if label in c_out else None for label in c_in)
    canon: dict[int, int] = {label: p for p, label in enumerate(c_out)}
    for q, label in enumerate(c_in):
        if label not in canon:
            canon[label] = pc + q
    order = lambda labels: tuple(sorted(labels, key=lambda label: canon[label]))
    if a_vals is None and b_vals is None and scale == 1:
        p_labels = None
    else:
        p_labels = order(val_union - summed)
    mask_labels = {label for label, _ in c_mask}
    c_labels = p_labels if not mask_labels else order(set(p_labels or ()) | mask_labels)
    val_dims = None if c_labels is None else tuple(canon[label] for label in c_labels)
    result = Structure(a.out_shape, b.in_shape, c_pair, val_dims, tuple(c_maps))
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
    if scale != 1 and p_labels is not None and (a_kept is not None or b_kept is not None):
        # the constant factor multiplies the smallest of the reduced factors and the result
        candidates = [("c", p_labels), ("a", a_kept), ("b", b_kept)]
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
        None if a.maps or b.maps else paper_product_cost(a, b),
        p_labels,
        tuple(b_gather),
        tuple(c_scatter),
        tuple(c_mask),
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
    same = [
        pa == pb and a.map_of(q) == b.map_of(q) for q, (pa, pb) in enumerate(zip(a.pair, b.pair))
    ]
    pair = tuple(pa if keep else None for pa, keep in zip(a.pair, same))
    maps = tuple(a.map_of(q) if keep else None for q, keep in enumerate(same)) if a.maps else ()
    if a.val_dims is None and b.val_dims is None and all(same):
        return Structure(a.out_shape, a.in_shape, pair, (), maps)
    dims = set(_dims_in(a, pair)) | set(_dims_in(b, pair))
    return Structure(a.out_shape, a.in_shape, pair, tuple(sorted(dims)), maps)


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
    if any(
        pt is not None and (pt != ps or s.map_of(q) != target.map_of(q))
        for q, (ps, pt) in enumerate(zip(s.pair, target.pair))
    ):
        return False
    if target.val_dims is None:
        return s.val_dims is None and s.pair == target.pair and s.maps == target.maps
    return _dims_in(s, target.pair) <= set(target.val_dims)


def zero_structure(out_shape: Shape, in_shape: Shape) -> Structure:
    """Structure of an all-zero partial: one scalar value (0), no pairs."""
    return Structure(tuple(out_shape), tuple(in_shape), (None,) * len(in_shape), ())
