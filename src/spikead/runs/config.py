"""Typed validation of config sections against dataclass schemas.

Hydra already rejects unknown keys (struct mode) and unknown group choices; this adds
type checks: ``typed_config(cfg.scale, ScaleSchema)`` fails at start-up with a message
naming the key, the value and the expected type.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

T = TypeVar("T")


class ConfigError(ValueError):
    """A config value is missing, misspelled, of the wrong type or out of range."""


def typed_config(section: DictConfig | dict, schema: type[T], *, where: str = "config") -> T:
    """Validate ``section`` against the dataclass ``schema`` and return an instance.

    Args:
        section: the config node (for example ``cfg.scale``).
        schema: a dataclass whose fields (with type hints) list every allowed key.
        where: the node's path, used in error messages (for example ``"scale"``).

    Raises:
        ConfigError: unknown key, missing key, or a value of the wrong type.
    """
    if not dataclasses.is_dataclass(schema):
        raise TypeError(f"schema must be a dataclass, got {schema!r}")
    if isinstance(section, DictConfig):
        section = OmegaConf.to_container(section, resolve=True)
    known = {f.name for f in dataclasses.fields(schema)}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {unknown}; allowed keys are {sorted(known)}. "
            "Check the spelling in the config file or the override."
        )
    try:
        merged = OmegaConf.merge(OmegaConf.structured(schema), section)
        return OmegaConf.to_object(merged)
    except OmegaConfBaseException as err:
        raise ConfigError(f"{where}: {err}".replace("\n", " ")) from None


def check_choice(value: Any, choices, *, name: str) -> Any:
    """Raise ConfigError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ConfigError(f"{name}={value!r} is not one of {sorted(map(str, choices))}")
    return value
