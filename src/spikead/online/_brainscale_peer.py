"""brainscale D-RTRL peer (Paper A, memory_scaling): run as a SCRIPT in brainscale's own venv.

    <venv>/bin/python _brainscale_peer.py N T B M K   ->  one JSON line on stdout

brainscale 0.1.0 needs jax 0.9.x, so it cannot share spikead's environment (jax 0.10.x);
`spikead.online.brainscale_row` starts this file in a subprocess with the venv's python.
The network has the sizes of the scaling experiment: a feed-forward `brainpy.state.ALIF`
layer (N neurons, M inputs through `brainscale.nn.Linear`) and a linear readout (K), batch
B, random binary inputs, summed half squared error per step; the dynamics are brainpy's
ALIF (soft reset, ReLU surrogate, a bias), not bit-identical to `spikead.snn.ALIF`.
Reports the first call (compile + run), the median of 3 timed calls of one training step
(gradients summed over T) and the peak RSS of the process. Imports nothing of spikead.
"""

import json
import resource
import sys
import time


def main(n: int, t: int, b: int, m: int, k: int) -> dict:
    import brainpy
    import brainscale
    import brainstate
    import braintools
    import brainunit as u
    import jax
    import jax.numpy as jnp

    class Net(brainstate.nn.Module):
        def __init__(self):
            super().__init__()
            self.neu = brainpy.state.ALIF(n, tau=20.0 * u.ms, tau_a=100.0 * u.ms, V_th=1.0 * u.mV,
                                          beta=0.1 * u.mV, spk_fun=braintools.surrogate.ReluGrad(),
                                          spk_reset="soft")
            self.syn = brainstate.nn.DeltaProj(
                comm=brainscale.nn.Linear(m, n, w_init=braintools.init.KaimingNormal(unit=u.mV),
                                          b_init=braintools.init.ZeroInit(unit=u.mV)),
                post=self.neu)
            self.out = brainscale.nn.Linear(n, k, w_init=braintools.init.KaimingNormal())

        def update(self, x):
            self.syn(x)
            self.neu()
            return self.out(self.neu.get_spike())

    with brainstate.environ.context(dt=1.0 * u.ms):
        model = brainstate.nn.init_all_states(Net(), batch_size=b)
        algo = brainscale.D_RTRL(model, mode=brainstate.mixin.Batching())
        xs = jax.random.bernoulli(jax.random.key(0), 0.2, (t, b, m)).astype(jnp.float32)
        ys = jax.random.normal(jax.random.key(1), (t, b, k))
        algo.compile_graph(xs[0])
        params = model.states(brainstate.ParamState)

        def step(x, y):
            return brainstate.transform.grad(lambda: 0.5 * jnp.sum((algo(x) - y) ** 2), params)()

        @brainstate.transform.jit
        def train_step(xs, ys):
            grads = brainstate.transform.for_loop(step, xs, ys)
            return jax.tree.map(lambda g: jnp.sum(g, 0), grads)

        start = time.perf_counter()
        jax.block_until_ready(train_step(xs, ys))
        first = time.perf_counter() - start
        times = []
        for _ in range(3):
            start = time.perf_counter()
            jax.block_until_ready(train_step(xs, ys))
            times.append(time.perf_counter() - start)
    return {"first_call_s": first, "time_ms": 1e3 * sorted(times)[1],
            "rss_peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "jax": jax.__version__, "brainscale": brainscale.__version__}


if __name__ == "__main__":
    print(json.dumps(main(*(int(a) for a in sys.argv[1:6]))))
