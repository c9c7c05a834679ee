"""The run context every experiment entry point works through."""

from __future__ import annotations

import logging
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from .atomic import atomic_write_csv, atomic_write_json, atomic_write_text
from .config import ConfigError
from .hardware import hardware_summary
from .provenance import source_commit, utc_now

WANDB_MODES = ("offline", "online", "disabled")


@dataclass
class Run:
    """One experiment run: where it writes, how it is seeded and labelled.

    Attributes:
        name: the experiment's name (``"elimination_costs"``, ...).
        out_dir: the run directory; every file of the run goes here.
        cfg: the resolved config.
        seed: the run's base seed; ``key`` is ``jax.random.key(seed)``.
        meta: labels stamped into ``metrics.json`` (profile, data, seed, the command line's
            Hydra overrides, hardware, versions).
    """

    name: str
    out_dir: Path
    cfg: DictConfig
    seed: int
    meta: dict[str, Any]
    log: logging.Logger
    _wandb: Any = None
    _started: float = field(default_factory=time.perf_counter)

    @property
    def key(self):
        import jax

        return jax.random.key(self.seed)

    def path(self, name: str) -> Path:
        """Path of a file inside the run directory."""
        return self.out_dir / name

    def write_csv(self, name: str, frame) -> Path:
        """Write a DataFrame as ``<out_dir>/<name>`` atomically."""
        path = atomic_write_csv(self.path(name), frame)
        self.log.info("wrote %s (%d rows)", path, len(frame))
        return path

    def write_json(self, name: str, obj: Any) -> Path:
        """Write a JSON file into the run directory atomically."""
        return atomic_write_json(self.path(name), obj)

    def write_text(self, name: str, text: str) -> Path:
        """Write a text file (Markdown/LaTeX table, ...) into the run directory atomically."""
        return atomic_write_text(self.path(name), text)

    def log_metrics(self, metrics: dict[str, Any], step: int | None = None) -> None:
        """Send intermediate metrics to wandb (when enabled); local CSVs stay the record."""
        if self._wandb is not None:
            self._wandb.log(metrics, step=step)

    def finish(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """Write ``metrics.json`` (the run's final numbers plus ``meta``) and close wandb.

        ``metrics.json`` is written last, so its presence marks a complete run.
        Returns the written payload.
        """
        self.meta["wall_time_s"] = round(time.perf_counter() - self._started, 3)
        payload = {"experiment": self.name, **metrics, "meta": self.meta}
        path = self.write_json("metrics.json", payload)
        if self._wandb is not None:
            for key, value in metrics.items():
                if isinstance(value, (int, float, str, bool)):
                    self._wandb.summary[key] = value
            self._wandb.finish()
            self._wandb = None
        self.log.info("finished %s in %.1f s -> %s", self.name, self.meta["wall_time_s"], path)
        return payload


def _hydra_output_dir() -> Path:
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        raise RuntimeError(
            "start_run() needs a run directory: call the experiment through its Hydra "
            "entry point, or pass out_dir=... when calling run(cfg) directly."
        )
    return Path(HydraConfig.get().runtime.output_dir)


def _command_overrides() -> list[str]:
    """The Hydra overrides of this run's command line (``hydra.*`` ones left out); none
    when the experiment was called without its Hydra entry point."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return []
    return [str(item) for item in HydraConfig.get().overrides.task]


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)


# XLA flag that makes GPU reductions and scatters run-to-run reproducible (CPU already is)
DETERMINISTIC_XLA_FLAG = "--xla_gpu_deterministic_ops=true"


def _deterministic_xla(log: logging.Logger) -> bool:
    """Add :data:`DETERMINISTIC_XLA_FLAG` to ``XLA_FLAGS`` before JAX starts its backends.

    Returns whether the flag is in force. If the backends already started without it (JAX
    computed something before the run began), it cannot take effect any more: on a GPU that
    is logged as a warning, with the fix.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_gpu_deterministic_ops" in flags:
        return DETERMINISTIC_XLA_FLAG in flags.split()
    from jax._src import xla_bridge

    if xla_bridge.backends_are_initialized():
        import jax

        if jax.default_backend() == "gpu":
            log.warning(
                "deterministic=true, but JAX started its GPU backend before the run: "
                "GPU results may differ from run to run. Start the process with "
                "XLA_FLAGS=%s.",
                DETERMINISTIC_XLA_FLAG,
            )
            return False
        return True  # CPU: reproducible without the flag
    os.environ["XLA_FLAGS"] = f"{flags} {DETERMINISTIC_XLA_FLAG}".strip()
    return True


def _start_wandb(name: str, cfg: DictConfig, out_dir: Path):
    mode = os.environ.get("WANDB_MODE") or cfg.get("wandb", {}).get("mode", "offline")
    if mode not in WANDB_MODES:
        raise ConfigError(f"wandb.mode={mode!r} is not one of {WANDB_MODES}")
    if mode == "disabled":
        return None
    import wandb

    wcfg = cfg.get("wandb", {})
    # `dir` (which wins over WANDB_DIR) puts the offline run into the run directory:
    # <out_dir>/wandb/offline-run-*, under results/, never the working directory
    return wandb.init(
        project=wcfg.get("project", "spikead"),
        group=name,
        mode=mode,
        dir=str(Path(out_dir).resolve()),
        config=OmegaConf.to_container(cfg, resolve=True),
        reinit="finish_previous",
    )


def start_run(
    cfg: DictConfig, name: str, *, out_dir: str | Path | None = None, data_label: str | None = None
) -> Run:
    """Prepare the run directory, seeding, logging and wandb for an experiment.

    Args:
        cfg: the composed config; must have ``seed`` and ``profile.name``. With
            ``deterministic: true`` GPU kernels are made reproducible (XLA's
            ``--xla_gpu_deterministic_ops``, set before JAX starts; slower scatters), so the
            same seed gives the same numbers; ``meta["deterministic"]`` records it.
        name: the experiment's name.
        out_dir: where to write; default Hydra's ``runtime.output_dir``.
        data_label: which data produced the result (``"synthetic stand-in (...)"``,
            ``"real SHD"``, ``"none"``); stamped on every output and figure.

    Returns:
        The :class:`Run`; call ``run.finish(metrics)`` at the end.
    """
    out = Path(out_dir) if out_dir is not None else _hydra_output_dir()
    out.mkdir(parents=True, exist_ok=True)
    seed = int(cfg.get("seed", 0))
    _seed_everything(seed)
    log = logging.getLogger(f"spikead.{name}")
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="[%(asctime)s %(name)s] %(message)s")
    deterministic = bool(cfg.get("deterministic", False)) and _deterministic_xla(log)
    atomic_write_text(out / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    profile = cfg.get("profile", {}).get("name", "unknown")
    meta = {
        "profile": profile,
        "data": data_label or "none",
        "seed": seed,
        "deterministic": deterministic,
        "overrides": _command_overrides(),
        "hardware": hardware_summary(),
        "started": utc_now(),
        "commit": source_commit(),
    }
    log.info("run %s (profile %s) -> %s", name, profile, out)
    return Run(
        name=name,
        out_dir=out,
        cfg=cfg,
        seed=seed,
        meta=meta,
        log=log,
        _wandb=_start_wandb(name, cfg, out),
    )
