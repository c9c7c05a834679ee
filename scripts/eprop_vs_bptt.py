"""e-prop vs BPTT on the shapes of train_snn's quick profile (SHD stand-in, LIF), one process.

Times the jitted gradient of a batch (B 64, T 50, M 140, N 64, C 20; LIF with reset to
zero, as configs/model/lif.yaml) for: BPTT (`spikead.train`'s standard batched BPTT),
e-prop as training runs it, e-prop without the derived-state reduction (the spike's own
trace carried, as before `spikead.online.derived_state`), and the hand-written exact e-prop
of the same layer (`spikead.online.handwritten_eprop_value_and_grad`, no readout bias),
and the forward pass alone (`spikead.train.forward_metrics`: loss and accuracy, no gradient).
Calls are interleaved in shuffled round-robin order; min and median per function.
With ``--epochs``, also one training epoch of `spikead.train.fit` per algorithm on random
data of the stand-in's size (7340 samples), alternating, the second epoch of each fit
timed (the first compiles). No evaluation pass is timed (no val/test split is given).

    PYTHONPATH=src python scripts/eprop_vs_bptt.py [--width 64] [--rounds 40] [--epochs 3]
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

from spikead import online, train
from spikead.train import _grads
from spikead.train._loss import make_targets, step_cross_entropy

B, T, M, C = 64, 50, 140, 20
N_TRAIN = 7340


def _model(width: int, bias: bool = True):
    cfg = train.ModelConfig(
        name="lif",
        neuron="lif",
        width=width,
        readout_bias=bias,
        neuron_params={"beta": 0.95, "threshold": 1.0, "reset": "zero"},
    )
    return train.build_model(cfg, M, C, key=jax.random.key(0))


def _no_reduction(step, model, params, state0, inputs):
    return step, state0


def _closed(name: str, frozen):
    """The jitted gradient with ``frozen`` closed over, as `fit`'s training step has it."""
    fn = train.make_value_and_grad(train.AlgorithmConfig(name))
    return jax.jit(lambda p, _, x, y, w: fn(p, frozen, x, y, w))


def gradient_functions(width: int, rng) -> dict:
    model = _model(width, bias=False)
    params, frozen = train.split_model(model)
    x = jnp.asarray(rng.poisson(0.16, (B, T, M)).astype(np.float32))
    y = jnp.asarray(rng.integers(0, C, B).astype(np.int32))
    w = jnp.ones(B)
    bptt, eprop, before = (_closed(name, frozen) for name in ("bptt", "eprop", "eprop"))
    real = _grads._without_derived_state
    _grads._without_derived_state = _no_reduction  # trace `before` without the reduction
    try:
        jax.block_until_ready(before(params, None, x, y, w))
    finally:
        _grads._without_derived_state = real
    net = online.SingleLayer(model.neurons[0])
    sp = {"w_in": params.weights[0], "w_out": params.readout}
    xt = jnp.swapaxes(x, 0, 1)
    tg = jnp.swapaxes(make_targets(y, w, C, T), 0, 1)
    s0 = tuple(jnp.zeros((B, width)) for _ in range(2))
    forward = jax.jit(lambda p, x, y, w: train.forward_metrics(p, frozen, x, y, w))
    hand = jax.jit(online.handwritten_eprop_value_and_grad(net, step_cross_entropy, batched=True))
    ref = bptt(params, None, x, y, w)[1].weights[0]
    for fn in (eprop, before):
        got = fn(params, None, x, y, w)[1].weights[0]
        err = float(jnp.linalg.norm(got - ref) / jnp.linalg.norm(ref))
        assert err < 1e-5, f"e-prop W_in gradient differs from BPTT by {err:.2e} (relative L2)"
    return {
        "bptt": lambda: bptt(params, None, x, y, w),
        "eprop": lambda: eprop(params, None, x, y, w),
        "eprop_before": lambda: before(params, None, x, y, w),
        "handwritten": lambda: hand(sp, s0, xt, tg),
        "forward_only": lambda: forward(params, x, y, w),
    }


def round_robin(fns: dict, rounds: int, rng) -> dict[str, list[float]]:
    for fn in fns.values():
        for _ in range(3):
            jax.block_until_ready(fn())
    times = {k: [] for k in fns}
    order = list(fns)
    for _ in range(rounds):
        rng.shuffle(order)
        for k in order:
            tic = time.perf_counter()
            jax.block_until_ready(fns[k]())
            times[k].append(1e3 * (time.perf_counter() - tic))
    return times


def epoch_times(width: int, repeats: int, rng) -> dict[str, list[float]]:
    """Second-epoch times of `fit` (s) per algorithm; prints the train accuracies (a
    learnable stand-in: per-class input rates)."""
    rates = rng.uniform(0.02, 0.3, (C, M))
    y = rng.integers(0, C, N_TRAIN).astype(np.int32)
    x = rng.poisson(rates[y][:, None, :], (N_TRAIN, T, M)).astype(np.float32)
    cfg = train.TrainConfig(epochs=2, batch_size=B, progress=False, checkpoint=False)
    opt = train.OptimizerConfig(peak_lr=5e-3)
    names = ("bptt", "eprop", "eprop_before")
    times, accs = {k: [] for k in names}, {k: [] for k in names}
    for _ in range(repeats):
        for name in names:
            real = _grads._without_derived_state
            if name == "eprop_before":
                _grads._without_derived_state = _no_reduction
            try:
                result = train.fit(
                    _model(width),
                    {"train": (x, y)},
                    train=cfg,
                    optimizer=opt,
                    algorithm=train.AlgorithmConfig(name.split("_")[0]),
                )
            finally:
                _grads._without_derived_state = real
            times[name].append(result.history[-1]["epoch_time_s"])
            accs[name].append(round(result.history[-1]["train_acc"], 4))
    print("train accuracy in epoch 2 (chance 0.05):", accs)
    return times


def _report(times: dict[str, list[float]], unit: str, base: str = "bptt") -> None:
    b_min, b_med = min(times[base]), float(np.median(times[base]))
    for k, v in times.items():
        print(
            f"{k:13s} min {min(v):8.2f} {unit}  median {float(np.median(v)):8.2f} {unit}  "
            f"/ {base}: min {min(v) / b_min:.2f}  median {float(np.median(v)) / b_med:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=0, help="epoch-level repeats (0: skip)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"B {B} T {T} M {M} N {args.width} C {C}, LIF reset to zero, {jax.devices()[0]}")
    _report(round_robin(gradient_functions(args.width, rng), args.rounds, rng), "ms")
    if args.epochs:
        _report(epoch_times(args.width, args.epochs, rng), "s")


if __name__ == "__main__":
    main()
