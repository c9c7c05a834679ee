"""AdamW + warmup-cosine schedule + global-norm clipping (Paper A's optimizer)."""

from __future__ import annotations

import optax

from ._config import OptimizerConfig


def make_schedule(cfg: OptimizerConfig, steps_per_epoch: int, epochs: int) -> optax.Schedule:
    """Learning rate per optimizer step: linear `init_lr -> peak_lr` over `warmup_epochs`,
    then cosine to `end_lr` at step `steps_per_epoch * epochs`."""
    total = max(1, steps_per_epoch * epochs)
    warmup = min(total - 1, round(cfg.warmup_epochs * steps_per_epoch))
    return optax.warmup_cosine_decay_schedule(
        init_value=cfg.init_lr,
        peak_value=cfg.peak_lr,
        warmup_steps=warmup,
        decay_steps=total,
        end_value=cfg.end_lr,
    )


def make_optimizer(
    cfg: OptimizerConfig, steps_per_epoch: int, epochs: int
) -> optax.GradientTransformation:
    """`clip_by_global_norm(clip_norm)` then AdamW(schedule, weight_decay)."""
    schedule = make_schedule(cfg, steps_per_epoch, epochs)
    return optax.chain(
        optax.clip_by_global_norm(cfg.clip_norm),
        optax.adamw(schedule, b1=cfg.b1, b2=cfg.b2, weight_decay=cfg.weight_decay),
    )
