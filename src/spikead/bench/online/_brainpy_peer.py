"""brainscale / BrainTrace peers (Paper A, memory_scaling): run as a SCRIPT in the peer's venv.

    <venv>/bin/python _brainpy_peer.py LIBRARY ALGORITHM N T B M K  ->  one JSON line on stdout

LIBRARY is ``brainscale`` (0.1.0, needs jax 0.9.x) or ``braintrace`` (its successor, 0.2.x);
ALGORITHM a class of that library (``D_RTRL``, ``EProp``, ...). Each lives in its own venv
(scripts/install_peers.sh), so this file imports nothing of spikead;
`spikead.bench.online.peer_row` starts it in a subprocess with the venv's python.
The network has the sizes of the scaling experiment: a feed-forward `brainpy.state.ALIF`
layer (N neurons, M inputs through the library's ``nn.Linear``) and a linear readout (K),
batch B, random binary inputs, summed half squared error per step; the dynamics are
brainpy's ALIF (soft reset, ReLU surrogate, a bias), not bit-identical to `spikead.snn.ALIF`.
The two libraries differ only in how a training step is driven (`_brainscale_step`,
`_braintrace_step`). Reports the first call (compile + run), the median of 3 timed calls of
one training step (gradients summed over T) and the peak RSS of the process (`_peak_rss`).
"""

import importlib
import json
import resource
import sys
import time


def _network(lib, n: int, m: int, k: int):
    """The ALIF layer and readout, built with ``lib.nn.Linear`` (traced by the library)."""
    import brainpy
    import brainstate
    import braintools
    import brainunit as u

    class Net(brainstate.nn.Module):
        def __init__(self):
            super().__init__()
            self.neu = brainpy.state.ALIF(
                n,
                tau=20.0 * u.ms,
                tau_a=100.0 * u.ms,
                V_th=1.0 * u.mV,
                beta=0.1 * u.mV,
                spk_fun=braintools.surrogate.ReluGrad(),
                spk_reset="soft",
            )
            self.syn = brainstate.nn.DeltaProj(
                comm=lib.nn.Linear(
                    m,
                    n,
                    w_init=braintools.init.KaimingNormal(unit=u.mV),
                    b_init=braintools.init.ZeroInit(unit=u.mV),
                ),
                post=self.neu,
            )
            self.out = lib.nn.Linear(n, k, w_init=braintools.init.KaimingNormal())

        def update(self, x):
            self.syn(x)
            self.neu()
            return self.out(self.neu.get_spike())

    return Net()


def _half_se(out, y):
    import jax.numpy as jnp

    return 0.5 * jnp.sum((out - y) ** 2)


def _brainscale_step(lib, algorithm, net, xs, b: int):
    """brainscale 0.1: ``Algo(model, mode=Batching())``, ``compile_graph``, grad per step."""
    import brainstate
    import jax
    import jax.numpy as jnp

    model = brainstate.nn.init_all_states(net, batch_size=b)
    algo = algorithm(model, mode=brainstate.mixin.Batching())
    algo.compile_graph(xs[0])
    params = model.states(brainstate.ParamState)

    def step(x, y):
        return brainstate.transform.grad(lambda: _half_se(algo(x), y), params)()

    def train_step(xs, ys):
        grads = brainstate.transform.for_loop(step, xs, ys)
        return jax.tree.map(lambda g: jnp.sum(g, 0), grads)

    return train_step


def _braintrace_step(lib, algorithm, net, xs, b: int):
    """BrainTrace 0.2: ``braintrace.compile`` then ``etrace_grad`` over the sequence."""
    learner = lib.compile(net, algorithm, xs[0], batch_size=b)

    def train_step(xs, ys):
        return learner.etrace_grad(
            xs, ys, step_fn=lambda x, y: _half_se(learner(x), y), reduction="sum"
        )

    return train_step


DRIVERS = {"brainscale": _brainscale_step, "braintrace": _braintrace_step}


def _peak_rss() -> tuple[int, str]:
    """(bytes, source): peak RSS of THIS process since its exec.

    Linux: VmHWM of /proc/self/status (a fresh address space at exec). Not
    ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux keeps it across fork and exec, so a peer
    started by a large parent reported the parent's peak (seen: the same 2.97 GB for every
    peer row). Elsewhere ru_maxrss is the fallback, and the source says so.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024, "VmHWM"
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(
        resource.RUSAGE_SELF
    ).ru_maxrss * scale, "ru_maxrss (may include the parent's)"


def main(library: str, algorithm: str, n: int, t: int, b: int, m: int, k: int) -> dict:
    if library not in DRIVERS:
        raise SystemExit(f"library={library!r}; use one of {sorted(DRIVERS)}")
    lib = importlib.import_module(library)
    import brainstate
    import brainunit as u
    import jax
    import jax.numpy as jnp

    with brainstate.environ.context(dt=1.0 * u.ms):
        xs = jax.random.bernoulli(jax.random.key(0), 0.2, (t, b, m)).astype(jnp.float32)
        ys = jax.random.normal(jax.random.key(1), (t, b, k))
        train_step = brainstate.transform.jit(
            DRIVERS[library](lib, getattr(lib, algorithm), _network(lib, n, m, k), xs, b)
        )
        start = time.perf_counter()
        jax.block_until_ready(train_step(xs, ys))
        first = time.perf_counter() - start
        times = []
        for _ in range(3):
            start = time.perf_counter()
            jax.block_until_ready(train_step(xs, ys))
            times.append(time.perf_counter() - start)
    rss, rss_source = _peak_rss()
    return {
        "first_call_s": first,
        "time_ms": 1e3 * sorted(times)[1],
        "rss_peak_bytes": rss,
        "rss_source": rss_source,
        "jax": jax.__version__,
        "library": library,
        "version": lib.__version__,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:8]))))
