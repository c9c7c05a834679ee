"""A small seeded generator of straight-line JAX programs (the paper's f and g).

`generate_program` draws a program from ``numpy.random.default_rng(seed)``: it keeps a
pool of live values (the inputs first), and ``n_ops`` times picks an operation family,
an operation of that family and operands of compatible shapes from the pool; the
result joins the pool. Finally every value that nothing has used yet (inputs included)
is reshaped, reduced or broadcast into one of the requested output shapes and summed
there, so every input reaches an output and no computed value is dead.

The program is plain data (a tuple of `Step`s) interpreted at trace time, so the
function traces to a straight-line jaxpr, prints readably (``print(program)``) and is the
same for the same seed on every run: every choice comes from the seeded generator, in a
fixed enumeration order (no sets, no hashing, no clock).

Numerical safety by construction, for inputs with ``|x| <= input_bound``: every value
carries an upper bound on its magnitude, and an operation is only drawn when the bound
of its result stays below ``value_cap`` (``exp`` of a bounded value, ``square`` of a
bounded value, ...). Divisions are by ``1 + b^2``, logs and roots act on ``1 + x^2``,
``atan2``'s second argument is ``1 + b^2`` and ``pow``'s base is ``1 + a^2``, so every
partial derivative is finite too.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np
from jax import lax

__all__ = [
    "DEFAULT_OPS",
    "FAMILIES",
    "OPS",
    "SCALAR_OPS",
    "TENSOR_OPS",
    "GeneratedProgram",
    "GeneratorError",
    "Op",
    "ProgramArgumentError",
    "Step",
    "UnknownOpError",
    "generate_program",
]

Shape = tuple[int, ...]
Params = tuple[Any, ...]

FAMILIES = ("unary", "binary", "contraction", "reduction", "structural")
"""Operation families, in the order the generator enumerates them."""

FAMILY_WEIGHTS = {
    "unary": 4.0,
    "binary": 3.0,
    "contraction": 2.0,
    "reduction": 1.5,
    "structural": 1.5,
}
"""Relative odds of drawing each family (among those that ``ops`` contains)."""

FRESH_WEIGHT = 10.0
"""How much more likely a value nothing has used yet is drawn as an operand."""

BROADCAST_WEIGHT = 0.3
"""Odds factor of an elementwise binary candidate whose operands differ in shape."""

MAX_ATTEMPTS = 100
"""Draws of a family per step before the generator gives up (no operation applies)."""


class UnknownOpError(ValueError):
    """An operation name that the generator does not know."""


class GeneratorError(RuntimeError):
    """The generator found no applicable operation (pool too constrained)."""


class ProgramArgumentError(ValueError):
    """A generated program was called with the wrong number or shapes of arguments."""


# --------------------------------------------------------------------------- operations


@dataclasses.dataclass(frozen=True)
class Op:
    """One operation the generator can draw.

    Attributes:
        name: key in `OPS`.
        family: one of `FAMILIES`.
        arity: number of operands (1 or 2).
        apply: ``apply(params, *operands) -> array``; emits the operation's equations.
        candidates: ``candidates(shapes, ctx) -> [(params, result_shape), ...]``, the
            ways the operation applies to operands of these shapes (empty: it does not).
        bound: ``bound(params, shapes, bounds) -> float``, a bound on ``|result|`` given
            bounds on ``|operand|``.
    """

    name: str
    family: str
    arity: int
    apply: Callable[..., jax.Array]
    candidates: Callable[[tuple[Shape, ...], _Context], list[tuple[Params, Shape]]]
    bound: Callable[[Params, tuple[Shape, ...], tuple[float, ...]], float]


@dataclasses.dataclass(frozen=True)
class _Context:
    """Shape limits of one generation: value ranks in [min_rank, max_rank], sizes up to
    max_size, axes of size >= min_axis; ``dims`` are the axis sizes a broadcast may add."""

    min_rank: int
    max_rank: int
    max_size: int
    min_axis: int
    dims: tuple[int, ...]


def _ok(shape: Shape, ctx: _Context) -> bool:
    return (
        ctx.min_rank <= len(shape) <= ctx.max_rank
        and math.prod(shape) <= ctx.max_size
        and all(d >= ctx.min_axis for d in shape)
    )


def _same_shape(shapes, ctx):
    return [((), shapes[0])]


def _broadcast_shape(shapes, ctx):
    try:
        shape = tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return []
    return [((), shape)] if _ok(shape, ctx) else []


def _to_shape(x: jax.Array, shape: Shape) -> jax.Array:
    """Numpy-style broadcast of ``x`` to ``shape`` as one broadcast_in_dim (or nothing)."""
    if x.shape == shape:
        return x
    return lax.broadcast_in_dim(x, shape, tuple(range(len(shape) - x.ndim, len(shape))))


def _elementwise(fn: Callable[..., jax.Array]) -> Callable[..., jax.Array]:
    """Lift ``fn`` of equal-shape operands to numpy-broadcast operands (explicit)."""

    def apply(params: Params, *xs: jax.Array) -> jax.Array:
        shape = tuple(np.broadcast_shapes(*(x.shape for x in xs)))
        return fn(*(_to_shape(x, shape) for x in xs))

    return apply


def _one_plus_square(x: jax.Array) -> jax.Array:
    return 1.0 + x * x


def _unary(name: str, fn, bound) -> Op:
    return Op(name, "unary", 1, _elementwise(fn), _same_shape, lambda p, s, b: bound(b[0]))


def _binary(name: str, fn, bound) -> Op:
    return Op(name, "binary", 2, _elementwise(fn), _broadcast_shape, lambda p, s, b: bound(*b))


def _pow_bound(a: float, b: float) -> float:
    """|(1 + a^2)^b| <= (1 + A^2)^B for |a| <= A, |b| <= B (inf when it overflows)."""
    log_bound = b * math.log1p(a * a)
    return math.exp(log_bound) if log_bound < 700.0 else math.inf


def _contraction_candidates(shapes, ctx):
    """dot_general over one pair of equal-size axes, optionally with one batch pair."""
    (sa, sb), out = shapes, []
    for i in range(len(sa)):
        for j in range(len(sb)):
            if sa[i] != sb[j] or sa[i] == 1:  # a size-1 contraction is a product in disguise
                continue
            free_a = [k for k in range(len(sa)) if k != i]
            free_b = [k for k in range(len(sb)) if k != j]
            shape = tuple(sa[k] for k in free_a) + tuple(sb[k] for k in free_b)
            if _ok(shape, ctx):
                out.append(((((i,), (j,)), ((), ())), shape))
            if len(free_a) == len(free_b) == 1 and sa[free_a[0]] == sb[free_b[0]]:
                batch = (sa[free_a[0]],)
                if _ok(batch, ctx):
                    out.append(((((i,), (j,)), ((free_a[0],), (free_b[0],))), batch))
    return out


def _contraction_bound(params, shapes, bounds):
    ((ca, _), _) = params
    return shapes[0][ca[0]] * bounds[0] * bounds[1]


def _dot_general(params: Params, a: jax.Array, b: jax.Array) -> jax.Array:
    return lax.dot_general(a, b, params)


def _reduction_candidates(shapes, ctx):
    (s,) = shapes
    out = []
    for axis in range(len(s)):
        shape = s[:axis] + s[axis + 1 :]
        if s[axis] > 1 and _ok(shape, ctx):
            out.append(((axis,), shape))
    return out


def _transpose_candidates(shapes, ctx):
    (s,) = shapes
    return [((), s[::-1])] if len(s) == 2 and _ok(s[::-1], ctx) else []


def _factorizations(size: int, rank: int) -> list[Shape]:
    """All shapes of ``rank`` axes, each of size > 1, whose product is ``size``."""
    if rank == 1:
        return [(size,)] if size > 1 else []
    return [
        (d,) + rest
        for d in range(2, size + 1)
        if size % d == 0
        for rest in _factorizations(size // d, rank - 1)
    ]


def _reshape_candidates(shapes, ctx):
    (s,) = shapes
    size = math.prod(s)
    targets = [
        t
        for rank in range(max(ctx.min_rank, 1), ctx.max_rank + 1)
        for t in _factorizations(size, rank)
    ]
    return [((t,), t) for t in targets if t != s and _ok(t, ctx)]


def _broadcast_candidates(shapes, ctx):
    """Add a leading or trailing axis of a size in ``ctx.dims``, or widen a size-1 axis."""
    (s,) = shapes
    r = len(s)
    options = []
    for d in ctx.dims:
        options.append(((d,) + s, tuple(range(1, r + 1))))  # new leading axis
        options.append((s + (d,), tuple(range(r))))  # new trailing axis
        options += [(s[:k] + (d,) + s[k + 1 :], tuple(range(r))) for k in range(r) if s[k] == 1]
    out: list[tuple[Params, Shape]] = []
    for t, dims in options:
        if _ok(t, ctx) and ((t, dims), t) not in out:
            out.append(((t, dims), t))
    return out


def _identity_bound(params, shapes, bounds):
    return bounds[0]


OPS: dict[str, Op] = {
    op.name: op
    for op in [
        # elementwise unary: bounded or bound-checked
        _unary("sin", lax.sin, lambda b: min(b, 1.0)),
        _unary("cos", lax.cos, lambda b: 1.0),
        _unary("tanh", lax.tanh, lambda b: min(b, 1.0)),
        _unary("logistic", lax.logistic, lambda b: 1.0),
        _unary("exp", lax.exp, lambda b: math.exp(b) if b < 700.0 else math.inf),
        _unary("square", lax.square, lambda b: b * b),
        _unary("cube", lambda x: lax.integer_pow(x, 3), lambda b: b**3),
        _unary("log1p_square", lambda x: lax.log(_one_plus_square(x)), lambda b: math.log1p(b * b)),
        _unary(
            "sqrt1p_square", lambda x: lax.sqrt(_one_plus_square(x)), lambda b: math.sqrt(1 + b * b)
        ),
        # elementwise binary (numpy broadcasting, explicit broadcast_in_dim)
        _binary("add", lax.add, lambda a, b: a + b),
        _binary("sub", lax.sub, lambda a, b: a + b),
        _binary("mul", lax.mul, lambda a, b: a * b),
        _binary("div", lambda a, b: lax.div(a, _one_plus_square(b)), lambda a, b: a),
        _binary("atan2", lambda a, b: lax.atan2(a, _one_plus_square(b)), lambda a, b: math.pi / 2),
        _binary("pow", lambda a, b: lax.pow(_one_plus_square(a), b), _pow_bound),
        # tensor operations
        Op(
            "dot_general",
            "contraction",
            2,
            _dot_general,
            _contraction_candidates,
            _contraction_bound,
        ),
        Op(
            "reduce_sum",
            "reduction",
            1,
            lambda p, x: lax.reduce_sum(x, p),
            _reduction_candidates,
            lambda p, s, b: s[0][p[0]] * b[0],
        ),
        Op(
            "reduce_max",
            "reduction",
            1,
            lambda p, x: lax.reduce_max(x, p),
            _reduction_candidates,
            _identity_bound,
        ),
        Op(
            "transpose",
            "structural",
            1,
            lambda p, x: lax.transpose(x, (1, 0)),
            _transpose_candidates,
            _identity_bound,
        ),
        Op(
            "reshape",
            "structural",
            1,
            lambda p, x: lax.reshape(x, p[0]),
            _reshape_candidates,
            _identity_bound,
        ),
        Op(
            "broadcast",
            "structural",
            1,
            lambda p, x: lax.broadcast_in_dim(x, p[0], p[1]),
            _broadcast_candidates,
            _identity_bound,
        ),
    ]
}
"""Every operation the generator knows, by name."""

DEFAULT_OPS = tuple(OPS)
TENSOR_OPS = (
    "sin", "cos", "tanh", "logistic", "exp", "square", "log1p_square",
    "add", "sub", "mul", "div",
    "dot_general", "reduce_sum", "reduce_max", "transpose", "reshape", "broadcast",
)  # fmt: skip
"""The tensor-program set (the paper's f: dot_general, reshape, reductions, transcendentals)."""
SCALAR_OPS = (
    "sin", "cos", "tanh", "exp", "cube", "log1p_square", "sqrt1p_square",
    "add", "sub", "mul", "div", "atan2", "pow",
)  # fmt: skip
"""The scalar-program set (the paper's g: atan2, pow, transcendentals, arithmetic)."""


# ----------------------------------------------------------------------------- program


@dataclasses.dataclass(frozen=True)
class Step:
    """``v[k] = op(v[operands...]; params)`` with result shape ``shape`` and
    ``|v[k]| <= bound`` whenever the inputs are bounded by the generator's input_bound."""

    op: str
    operands: tuple[int, ...]
    params: Params
    shape: Shape
    bound: float


@dataclasses.dataclass(frozen=True)
class GeneratedProgram:
    """A generated straight-line program; call it like the function it stands for.

    ``program(*xs)`` takes arrays of shapes ``input_shapes`` (values v0, v1, ...), runs
    ``steps`` (step k defines value ``len(input_shapes) + k``) and returns the tuple of
    values ``outputs``, of shapes ``output_shapes``.
    """

    seed: int
    input_shapes: tuple[Shape, ...]
    output_shapes: tuple[Shape, ...]
    steps: tuple[Step, ...]
    outputs: tuple[int, ...]

    @property
    def __name__(self) -> str:  # what jax uses to name the traced function
        return f"generated_program_{self.seed}"

    def __call__(self, *xs: jax.Array) -> tuple[jax.Array, ...]:
        values = self.values(*xs)
        return tuple(values[i] for i in self.outputs)

    def values(self, *xs: jax.Array) -> list[jax.Array]:
        """Every value of the program: the inputs, then one per step."""
        if len(xs) != len(self.input_shapes):
            raise ProgramArgumentError(
                f"{self.__name__} takes {len(self.input_shapes)} arrays of shapes "
                f"{list(self.input_shapes)}, got {len(xs)}; pass one array per input."
            )
        values = []
        for k, (x, shape) in enumerate(zip(xs, self.input_shapes)):
            if tuple(np.shape(x)) != shape:
                raise ProgramArgumentError(
                    f"{self.__name__}: argument {k} has shape {tuple(np.shape(x))}, expected "
                    f"{shape}; the program was generated for input shapes {list(self.input_shapes)}."
                )
            values.append(x)
        for step in self.steps:
            value = OPS[step.op].apply(step.params, *(values[i] for i in step.operands))
            assert value.shape == step.shape, (step, value.shape)  # generator invariant
            values.append(value)
        return values

    def op_counts(self) -> dict[str, int]:
        """How often each operation name occurs in ``steps`` (sorted by name)."""
        names = sorted(step.op for step in self.steps)
        return {name: names.count(name) for name in dict.fromkeys(names)}

    def families(self) -> tuple[str, ...]:
        """The operation families used, in `FAMILIES` order."""
        used = {OPS[step.op].family for step in self.steps}
        return tuple(f for f in FAMILIES if f in used)

    def __str__(self) -> str:
        n_in = len(self.input_shapes)
        args = ", ".join(f"v{i}: {s}" for i, s in enumerate(self.input_shapes))
        lines = [f"def {self.__name__}({args}):"]
        for k, step in enumerate(self.steps):
            operands = ", ".join(f"v{i}" for i in step.operands)
            params = f"; {step.params}" if step.params else ""
            lines.append(f"    v{n_in + k} = {step.op}({operands}{params})  # {step.shape}")
        lines.append("    return " + ", ".join(f"v{i}" for i in self.outputs))
        return "\n".join(lines)


class _Builder:
    """The pool of values during generation: shapes, magnitude bounds and use counts."""

    def __init__(self, input_shapes, ops, ctx, value_cap, input_bound):
        self.ops = ops
        self.ctx = ctx
        self.value_cap = value_cap
        self.shapes: list[Shape] = list(input_shapes)
        self.bounds: list[float] = [input_bound] * len(input_shapes)
        self.uses: list[int] = [0] * len(input_shapes)
        self.n_inputs = len(input_shapes)
        self.steps: list[Step] = []

    def push(self, op: str, operands: tuple[int, ...], params: Params, shape: Shape) -> int:
        spec = OPS[op]
        shapes = tuple(self.shapes[i] for i in operands)
        bound = spec.bound(params, shapes, tuple(self.bounds[i] for i in operands))
        self.steps.append(Step(op, operands, params, shape, bound))
        for i in operands:
            self.uses[i] += 1
        self.shapes.append(shape)
        self.bounds.append(bound)
        self.uses.append(0)
        return len(self.shapes) - 1

    def _weight(self, i: int) -> float:
        """Prefer unused values (every input gets used early) and, mildly, recent ones
        (deep programs)."""
        fresh = FRESH_WEIGHT if self.uses[i] == 0 else 1.0
        return fresh * (0.5 + 0.5 * (i + 1) / len(self.shapes))

    def candidates(self, spec: Op) -> list[tuple[tuple[int, ...], Params, Shape, float]]:
        n = len(self.shapes)
        if spec.arity == 1:
            tuples = [(i,) for i in range(n)]
        else:
            tuples = [(i, j) for i in range(n) for j in range(n) if i != j]
        done = {(step.op, step.operands, step.params) for step in self.steps}
        out = []
        for operands in tuples:
            shapes = tuple(self.shapes[i] for i in operands)
            bounds = tuple(self.bounds[i] for i in operands)
            for params, shape in spec.candidates(shapes, self.ctx):
                if (spec.name, operands, params) in done:  # never compute a value twice
                    continue
                if spec.bound(params, shapes, bounds) <= self.value_cap:
                    weight = math.prod(self._weight(i) for i in operands)
                    if spec.family == "binary" and any(x != shape for x in shapes):
                        weight *= BROADCAST_WEIGHT
                    out.append((operands, params, shape, weight))
        return out

    def random_step(self, rng: np.random.Generator) -> int:
        families = [f for f in FAMILIES if any(OPS[o].family == f for o in self.ops)]
        for _ in range(MAX_ATTEMPTS):
            odds = np.array([FAMILY_WEIGHTS[f] for f in families])
            family = families[int(rng.choice(len(families), p=odds / odds.sum()))]
            names = [o for o in self.ops if OPS[o].family == family]
            spec = OPS[names[int(rng.integers(len(names)))]]
            cands = self.candidates(spec)
            if not cands:
                continue
            weights = np.array([c[3] for c in cands])
            k = int(rng.choice(len(cands), p=weights / weights.sum()))
            operands, params, shape, _ = cands[k]
            return self.push(spec.name, operands, params, shape)
        raise GeneratorError(
            f"no operation of {list(self.ops)} applies to the pool of shapes "
            f"{sorted(set(self.shapes))} within value_cap={self.value_cap}; allow more "
            "operations (ops=...) or a larger value_cap."
        )

    def fit(self, i: int, target: Shape, rng: np.random.Generator) -> int:
        """Reshape / broadcast / reduce value ``i`` into shape ``target``, keeping as many
        distinct entries as the sizes allow (a value is only reduced to fewer entries
        than ``target`` has when its rank is above one)."""
        s = self.shapes[i]
        size, t_size = math.prod(s), math.prod(target)
        if s == target:
            return i
        if size == t_size:
            return self.push("reshape", (i,), (target,), target)
        for dims in (
            tuple(range(len(target) - len(s), len(target))),  # numpy: align trailing axes
            tuple(range(len(s))),  # or leading axes
        ):
            if len(s) <= len(target) and all(a in (1, target[k]) for a, k in zip(s, dims)):
                return self.push("broadcast", (i,), (target, dims), target)
        reduce = ("reduce_sum", "reduce_max")[int(rng.integers(2))]
        if size % t_size == 0:
            # group the entries in t_size rows and reduce each row: t_size entries remain
            rows = (t_size, size // t_size)
            if s != rows:
                i = self.push("reshape", (i,), (rows,), rows)
            return self.fit(self.push(reduce, (i,), (1,), (t_size,)), target, rng)
        if len(s) > 1:
            axis = int(rng.integers(len(s)))
            return self.fit(self.push(reduce, (i,), (axis,), s[:axis] + s[axis + 1 :]), target, rng)
        # a vector whose size does not divide t_size: repeat each entry m times so that
        # the size becomes a multiple of t_size, then group and reduce
        m = t_size // math.gcd(size, t_size)
        wide = s + (m,)
        return self.fit(self.push("broadcast", (i,), (wide, (0,)), wide), target, rng)

    def outputs(self, output_shapes: Sequence[Shape], rng: np.random.Generator) -> tuple[int, ...]:
        """Gather every unused value into the outputs; fill remaining outputs with
        recent values. Returns the value index of each output."""
        n_out = len(output_shapes)
        unused = [i for i in range(len(self.shapes)) if self.uses[i] == 0]
        unused.sort(key=lambda i: -i)  # newest first: they become the outputs' bases
        terms: list[list[int]] = [[] for _ in range(n_out)]
        for k, i in enumerate(unused):
            slot = k if k < n_out else int(rng.integers(n_out))
            terms[slot].append(i)
        taken = set(unused)
        computed = list(range(self.n_inputs, len(self.shapes)))
        recent = computed[len(computed) // 2 :] or computed
        for slot in range(n_out):
            if not terms[slot]:
                free = [i for i in recent if i not in taken] or recent
                terms[slot].append(free[int(rng.integers(len(free)))])
                taken.add(terms[slot][0])
        result = []
        for slot, target in enumerate(output_shapes):
            acc = self.fit(terms[slot][0], target, rng)
            for i in terms[slot][1:]:
                j = self.fit(i, target, rng)
                op = ("add", "sub")[int(rng.integers(2))]
                acc = self.push(op, (acc, j), (), target)
            if acc < self.n_inputs or acc in result:  # an output is never a bare input
                acc = self.push("tanh", (acc,), (), target)
            result.append(acc)
        return tuple(result)


def generate_program(
    seed: int,
    input_shapes: Sequence[Sequence[int]],
    output_shapes: Sequence[Sequence[int]],
    n_ops: int,
    ops: Sequence[str] = DEFAULT_OPS,
    *,
    max_rank: int | None = None,
    max_size: int | None = None,
    value_cap: float = 100.0,
    input_bound: float = 1.0,
) -> GeneratedProgram:
    """Draw a straight-line program from ``numpy.random.default_rng(seed)``.

    Args:
        seed: the only source of randomness; the same seed gives the same program.
        input_shapes: shape of each input array.
        output_shapes: shape of each output array (the program returns a tuple).
        n_ops: number of randomly drawn operations (output fitting adds a few more).
        ops: names from `OPS` to draw from (`TENSOR_OPS`, `SCALAR_OPS`, ...).
        max_rank, max_size: limits on intermediate values (default: the largest rank
            and size among the input and output shapes).
        value_cap: no operation is drawn whose result may exceed this magnitude.
        input_bound: magnitude bound assumed for the inputs.

    Returns:
        a `GeneratedProgram`: ``program(*xs) -> tuple of arrays``.
    """
    unknown = [o for o in ops if o not in OPS]
    if unknown:
        raise UnknownOpError(f"unknown operations {unknown}; known: {sorted(OPS)}.")
    if not ops:
        raise UnknownOpError(f"ops is empty; pass names from {sorted(OPS)}.")
    ins = tuple(tuple(int(d) for d in s) for s in input_shapes)
    outs = tuple(tuple(int(d) for d in s) for s in output_shapes)
    if not ins or not outs:
        raise ValueError(
            f"need at least one input and one output shape, got inputs {ins}, outputs {outs}."
        )
    shapes = ins + outs
    ctx = _Context(
        min_rank=min(len(s) for s in shapes),
        max_rank=max_rank if max_rank is not None else max(len(s) for s in shapes),
        max_size=max_size if max_size is not None else max(math.prod(s) for s in shapes),
        # size-1 axes only where every value is a single number (scalar programs like g)
        min_axis=1 if all(math.prod(s) == 1 for s in shapes) else 2,
        dims=tuple(sorted({d for s in shapes for d in s if d > 1})),
    )
    rng = np.random.default_rng(seed)
    builder = _Builder(ins, tuple(dict.fromkeys(ops)), ctx, value_cap, input_bound)
    for _ in range(n_ops):
        builder.random_step(rng)
    outputs = builder.outputs(outs, rng)
    return GeneratedProgram(seed, ins, outs, tuple(builder.steps), outputs)
