"""Train a spiking classifier by e-prop or BPTT on SHD/SSC (Paper A, experiment 2) or on
Paper B's Randman benchmark.

    python experiments/train_snn.py                                   # quick: synthetic SHD, LIF, e-prop
    python experiments/train_snn.py data=synthetic_ssc model=paper_a_alif algorithm=bptt
    python experiments/train_snn.py profile=paper data=shd            # Paper A's setup (real SHD)
    python experiments/train_snn.py data=randman model.depth=2 model.width=64  # Paper B Randman MLP

Writes ``history.csv`` (per epoch: train/valid/test loss and accuracy, learning rate,
epoch time; rewritten atomically every epoch), ``checkpoint.eqx`` (every epoch; running
the same command again resumes from it), ``split.json`` (how the validation split was made:
SHD holds out whole speakers by default, ``data.val_split=stratified`` splits by label; SSC
uses its valid file) and ``metrics.json`` (final numbers and the test accuracy at the best
validation epoch, the reported number). Synthetic stand-ins are labelled in every output.
"""

from __future__ import annotations

from dataclasses import asdict

import hydra
import jax
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from spikead import data, train
from spikead.runs import ConfigError, start_run, typed_config
from spikead.runs.schemas import TrainSnnScale as Scale

#: How the validation split was made (protocol, sizes, held-out speaker ids): see
#: `spikead.data.LoadedDataset.split_info`.
SPLIT_NAME = "split.json"


def data_label(cfg: data.DataConfig) -> str:
    """How the data is named in outputs and figures (synthetic stand-ins say so)."""
    if cfg.is_synthetic:
        return (
            f"synthetic stand-in (Randman-style, {cfg.kind.upper()} layout, "
            f"{cfg.synthetic.n_channels} channels)"
        )
    return f"real {cfg.kind.upper()}"


def load_configs(cfg: DictConfig):
    """Typed sections of the composed config: scale, data label, data, model, algorithm,
    optimizer, train."""
    scale = typed_config(cfg.scale, Scale, where="scale")
    try:
        data_dict = OmegaConf.to_container(cfg.data, resolve=True)
        label = str(data_dict.pop("label", data_dict.get("name")))
        data_cfg = data.DataConfig.from_dict(data_dict)
        model_cfg = train.from_mapping(
            train.ModelConfig, OmegaConf.to_container(cfg.model, resolve=True)
        )
        alg_cfg = train.from_mapping(
            train.AlgorithmConfig, OmegaConf.to_container(cfg.algorithm, resolve=True)
        )
        opt_cfg = train.from_mapping(
            train.OptimizerConfig, OmegaConf.to_container(cfg.optimizer, resolve=True)
        )
    except (data.DataConfigError, train.TrainConfigError, TypeError) as err:
        raise ConfigError(str(err)) from err
    try:
        train_cfg = train.TrainConfig(
            epochs=scale.epochs,
            batch_size=scale.batch_size,
            eval_batch_size=scale.eval_batch_size,
            max_train_batches=scale.max_train_batches,
            seed=int(cfg.seed),
            stop_after_epochs=int(cfg.stop_after_epochs),
            progress=bool(cfg.progress),
        )
    except train.TrainConfigError as err:
        raise ConfigError(
            f"{err} The overrides: scale.epochs, scale.batch_size, scale.eval_batch_size, "
            "scale.max_train_batches and stop_after_epochs."
        ) from err
    return scale, label, data_cfg, model_cfg, alg_cfg, opt_cfg, train_cfg


def _check_algorithm(model_cfg: train.ModelConfig, alg_cfg: train.AlgorithmConfig) -> None:
    """Refuse a model the algorithm cannot train before any data is loaded (a tiny model of
    the same structure is traced; see `train.check_algorithm`)."""
    try:
        train.build_model(model_cfg, 2, 2, key=jax.random.key(0), algorithm=alg_cfg)
    except train.TrainConfigError as err:
        raise ConfigError(str(err)) from err


def run(cfg: DictConfig, out_dir=None) -> dict:
    _, label, data_cfg, model_cfg, alg_cfg, opt_cfg, train_cfg = load_configs(cfg)
    _check_algorithm(model_cfg, alg_cfg)
    run_ = start_run(cfg, "train_snn", out_dir=out_dir, data_label=data_label(data_cfg))
    if cfg.profile.name == "paper" and data_cfg.is_synthetic:
        run_.log.warning(
            "profile=paper with data=%s: Paper A used the real data (data=shd/ssc)", data_cfg.name
        )
    ds = data.load_dataset(data_cfg)
    run_.write_json(SPLIT_NAME, ds.split_info)
    model = train.build_model(
        model_cfg, ds.n_channels, ds.n_classes, key=jax.random.fold_in(run_.key, 0)
    )
    result = train.fit(
        model,
        ds.splits,
        train=train_cfg,
        optimizer=opt_cfg,
        algorithm=alg_cfg,
        out_dir=run_.out_dir,
        train_neuron_params=model_cfg.train_neuron_params,
        log_metrics=run_.log_metrics,
        settings={"data": asdict(data_cfg), "model": asdict(model_cfg)},
    )
    run_.write_csv(
        train.HISTORY_NAME, pd.DataFrame(result.history, columns=list(train.HISTORY_COLUMNS))
    )
    summary = result.summary()
    if not result.completed:
        run_.log.info(
            "stopped after %d epochs (stop_after_epochs=%d); run the same command again to "
            "resume from %s",
            summary["epochs"],
            train_cfg.stop_after_epochs,
            result.checkpoint,
        )
        return {"completed": False, **summary}
    n_params = sum(int(a.size) for a in jax.tree.leaves(train.split_model(result.model)[0]))
    return run_.finish(
        {
            "completed": True,
            "dataset": ds.name,
            "dataset_label": label,
            "synthetic": ds.synthetic,
            "model": model_cfg.name or model_cfg.neuron,
            "neuron": model_cfg.neuron,
            "width": model_cfg.width,
            "depth": model_cfg.depth,
            "recurrent": model_cfg.recurrent,
            "algorithm": alg_cfg.name,
            "online_method": alg_cfg.online_method if alg_cfg.name == "eprop" else None,
            "n_classes": ds.n_classes,
            "chance_acc": 1.0 / ds.n_classes,
            "n_inputs": ds.n_channels,
            "n_bins": ds.n_bins,
            "split_sizes": {k: int(v[1].shape[0]) for k, v in ds.splits.items()},
            "val_split": ds.split_info["protocol"],
            "n_params": n_params,
            "n_devices": result.n_devices,
            "resumed_from": result.resumed_from,
            **summary,
        }
    )


@hydra.main(version_base="1.3", config_path="../configs", config_name="train_snn")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
