"""Time `snn.run(mode="parallel")` against `snn.run` (sequential) and a hand-written `lax.scan`.

One Linear(N, N) + LIF layer (or + LI with `--neuron li`) (zero reset, detached, fast sigmoid: the framework
comparison's problem and weights recipe), inputs Bernoulli(input_rate) spikes, batch B
(vmap of the one-sample `run`), T steps. Prints one line per (T, mode, pass) with the
median wall time over `--repeats` calls and the ratio to the hand scan, plus the
fixed-point iteration count of the parallel mode.

    PYTHONPATH=src python scripts/bench_parallel.py --steps 500 1000 2000 5000
"""

from __future__ import annotations

import argparse
import statistics
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from spikead import snn
from spikead.bench.peers.jax_scan import lif_scan
from spikead.bench.peers.spikead import make_model

BETA, THRESHOLD, SLOPE = 0.9, 1.0, 10.0


def problem(n: int, batch: int, steps: int, input_rate: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    weight = rng.normal(0.0, 0.7 / np.sqrt(n * input_rate), (n, n)).astype(np.float32)
    x = (rng.random((batch, steps, n)) < input_rate).astype(np.float32)
    return jnp.asarray(weight), jnp.asarray(x)


def li_scan(weight, x, *, beta):
    """Hand-written Linear + LI readout: v_t = beta v_{t-1} + W x_t; (B, T, N)."""
    xs = jnp.einsum("btm,nm->tbn", x, weight)

    def step(v, xt):
        v = beta * v + xt
        return v, v

    _, vs = jax.lax.scan(step, jnp.zeros(xs.shape[1:], x.dtype), xs)
    return jnp.swapaxes(vs, 0, 1)


def functions(n: int, neuron: str):
    model = make_model(n, beta=BETA, threshold=THRESHOLD, slope=SLOPE, key=jax.random.key(0))
    if neuron == "li":
        model = snn.Sequential(model.layers[0], snn.LI(n, beta=BETA))

    def with_weight(weight):
        return eqx.tree_at(lambda m: m.layers[0].weight, model, weight)

    def hand(weight, x):
        if neuron == "li":
            return li_scan(weight, x, beta=BETA)
        return lif_scan(weight, x, beta=BETA, threshold=THRESHOLD, slope=SLOPE)

    def sequential(weight, x):
        return jax.vmap(lambda xi: snn.run(with_weight(weight), xi)[1])(x)

    def parallel(weight, x):
        return jax.vmap(lambda xi: snn.run(with_weight(weight), xi, mode="parallel")[1])(x)

    def iterations(weight, x):
        return jax.vmap(lambda xi: snn.run_parallel(with_weight(weight), xi)[2].iterations)(x)

    return {"hand_scan": hand, "sequential": sequential, "parallel": parallel}, iterations


def median_time(fn, *args, repeats: int) -> float:
    jax.block_until_ready(fn(*args))  # compile + warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[500, 1000, 2000, 5000])
    parser.add_argument("--n", type=int, default=128)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--input-rate", type=float, default=0.2)
    parser.add_argument("--neuron", choices=("lif", "li"), default="lif",
                        help="lif (fixed-point iteration) or li (exact associative scan)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    fns, iterations = functions(args.n, args.neuron)
    print(f"device {jax.devices()[0].platform}, {args.neuron}, N={args.n}, B={args.batch}")
    print(f"{'T':>6} {'mode':>10} {'pass':>8} {'time_ms':>10} {'/hand':>7}")
    for steps in args.steps:
        weight, x = problem(args.n, args.batch, steps, args.input_rate)
        spikes = {k: np.asarray(jax.jit(f)(weight, x)) for k, f in fns.items()}
        iters = np.asarray(jax.jit(iterations)(weight, x))
        same = all(np.allclose(spikes[k], spikes["hand_scan"], rtol=1e-5, atol=1e-5)
                   for k in spikes)
        print(f"T={steps}: mean output {spikes['hand_scan'].mean():.3f}, outputs equal {same}, "
              f"fixed-point iterations {iters.ravel().tolist()}")
        for pass_name in ("fwd", "fwd+bwd"):
            base = None
            for mode, fn in fns.items():
                if pass_name == "fwd":
                    call = jax.jit(fn)
                else:
                    call = jax.jit(jax.grad(lambda w, x, fn=fn: jnp.sum(fn(w, x))))
                t = median_time(call, weight, x, repeats=args.repeats)
                base = t if base is None else base
                print(f"{steps:>6} {mode:>10} {pass_name:>8} {1e3 * t:>10.2f} {t / base:>7.2f}",
                      flush=True)


if __name__ == "__main__":
    main()
