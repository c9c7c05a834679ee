"""`DataConfig` / `SyntheticConfig` validation and construction from mappings."""

from __future__ import annotations

import pytest

from spikead.data import DataConfig, DataConfigError, SyntheticConfig


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"name": "mnist"}, "name='mnist'"),
        ({"n_bins": 0}, "n_bins=0"),
        ({"duration": 0.0}, "duration=0.0"),
        ({"overflow": "wrap"}, "overflow='wrap'"),
        ({"pool": 0}, "pool=0"),
        ({"val_fraction": 1.0}, "val_fraction=1.0"),
    ],
)
def test_bad_values_name_themselves(kw, match):
    with pytest.raises(DataConfigError, match=match):
        DataConfig(**kw)


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"n_classes": 1}, "n_classes=1"),
        ({"n_train": -1}, "n_train=-1"),
        ({"p_min": 0.5, "p_max": 0.2}, "p_min=0.5"),
        ({"time_spread": 2.0}, "time_spread=2.0"),
    ],
)
def test_bad_synthetic_values(kw, match):
    with pytest.raises(DataConfigError, match=match):
        SyntheticConfig(**kw)


def test_from_dict_builds_nested_config():
    cfg = DataConfig.from_dict(
        {"name": "synthetic_ssc", "pool": 5, "synthetic": {"n_train": 7, "n_classes": 35}}
    )
    assert cfg.synthetic == SyntheticConfig(n_train=7, n_classes=35)
    assert cfg.is_synthetic and cfg.kind == "ssc"
    assert not DataConfig(name="shd").is_synthetic


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(DataConfigError, match="n_bin"):
        DataConfig.from_dict({"n_bin": 3})
