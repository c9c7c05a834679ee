"""What determines a run's result, as short digests the workflow compares between runs.

The Snakemake workflow gives every experiment rule these digests as ``params``, so that a
changed config value, a changed override or a changed module of the package reruns the
experiment (Snakemake's ``params`` rerun trigger), and nothing else does:

- :func:`config_digest`: the experiment's Hydra config, composed from ``configs/`` with the
  rule's overrides and resolved (Hydra's own ``hydra:`` node, which holds run folders and
  times, is left out).
- :func:`code_digest`: the files of every ``spikead`` subpackage the entry point imports,
  directly or through other subpackages (found by reading the sources, not by running them).
- :func:`variant_suffix`: the short key (``"@1a2b3c4d"``) of a run with user overrides, whose
  results and figures land beside the default ones.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path

from .config import ConfigError

__all__ = [
    "code_digest",
    "compose_config",
    "config_digest",
    "package_closure",
    "referenced_subpackages",
    "variant_suffix",
]

PACKAGE = "spikead"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the spikead package this module belongs to


def _sha(text: str | bytes, n: int = 16) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:n]


@cache
def compose_config(config_dir: str, name: str, overrides: tuple[str, ...] = ()) -> str:
    """The resolved YAML of ``configs/<name>.yaml`` composed with Hydra ``overrides``.

    Args:
        config_dir: absolute path of the ``configs`` folder.
        name: the primary config (the experiment's name).
        overrides: Hydra overrides, e.g. ``("profile=smoke", "optimizer.peak_lr=3e-3")``; no
            ``hydra.*`` overrides (they do not change the result).

    Raises:
        ConfigError: the config does not compose (unknown key, unknown group option, a value
            that does not resolve); the message names the experiment and the overrides.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if not Path(config_dir).is_absolute():
        raise ValueError(f"config_dir={config_dir!r} must be an absolute path")
    GlobalHydra.instance().clear()  # a caller's Hydra (or ours, after an error) must not leak in
    try:
        with initialize_config_dir(config_dir=config_dir, version_base=None):
            cfg = compose(config_name=name, overrides=list(overrides))
            return OmegaConf.to_yaml(cfg, resolve=True)
    except (HydraException, OmegaConfBaseException, ValueError, KeyError) as err:
        # Hydra's message of a bad override ("Error merging override scale.epochs=abc")
        # leaves the reason (type expected, full key) to the exception it chains
        cause = f" ({err.__cause__})" if err.__cause__ is not None else ""
        raise ConfigError(
            f"the config of {name} does not compose with overrides {list(overrides)}: "
            f"{type(err).__name__}: {err}{cause}".replace("\n", " ")
            + f" (check the overrides against {config_dir}/{name}.yaml; "
            f"`python experiments/{name}.py --cfg job` prints the composed config)"
        ) from None
    finally:
        GlobalHydra.instance().clear()


def config_digest(config_dir: str | Path, name: str, overrides: Iterable[str] = ()) -> str:
    """Digest (16 hex digits) of :func:`compose_config`: equal iff the resolved configs are."""
    return _sha(compose_config(str(Path(config_dir).absolute()), name, tuple(overrides)))


# ``spikead.x`` anywhere (imports, ``python -m spikead.x`` commands, prose), and the names of
# ``from spikead import x, y`` (parenthesised lists may span lines)
_DOTTED = re.compile(rf"\b{PACKAGE}\.([A-Za-z_]\w*)")
_FROM = re.compile(
    rf"^[ \t]*from[ \t]+{PACKAGE}[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)", re.MULTILINE
)


def referenced_subpackages(source: str) -> set[str]:
    """Names ``x`` that ``source`` refers to as ``spikead.x``: imports anywhere in the file
    (``import spikead.x``, ``from spikead.x import ...``, ``from spikead import x``), module
    names in strings (``python -m spikead.x``), and mentions in comments and docstrings.

    A superset of what the file imports (read as text, never run): a mention that is not an
    import costs an unneeded rerun, a missed import would cost a stale result.
    """
    names = set(_DOTTED.findall(source))
    for group in _FROM.findall(source):
        for item in group.strip("()").replace("\\", " ").split(","):
            words = item.split()
            if words and words[0].isidentifier():
                names.add(words[0])
    return names


def _members(package_dir: Path, sub: str) -> list[Path]:
    """The files of subpackage (or module) ``sub``: every file of its folder, caches left out."""
    folder, module = package_dir / sub, package_dir / f"{sub}.py"
    if folder.is_dir():
        return sorted(
            p
            for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
        )
    return [module] if module.is_file() else []


def package_closure(*scripts: str | Path, package_dir: str | Path = PACKAGE_DIR) -> list[str]:
    """The subpackages of ``package_dir`` that ``scripts`` import, directly or through the
    subpackages they import (:func:`referenced_subpackages`, followed to a fixed point)."""
    package_dir = Path(package_dir)
    seen: set[str] = set()
    todo = [Path(script) for script in scripts]
    while todo:
        path = todo.pop()
        for sub in sorted(referenced_subpackages(path.read_text()) - seen):
            files = _members(package_dir, sub)
            if files:  # a name that is no subpackage (``spikead.__version__``) holds no code
                seen.add(sub)
                todo.extend(p for p in files if p.suffix == ".py")
    return sorted(seen)


def code_digest(*scripts: str | Path, package_dir: str | Path = PACKAGE_DIR) -> str:
    """Digest (16 hex digits) of the package code ``scripts`` run: the names and contents of
    every file of :func:`package_closure`, plus the package's ``__init__.py``. (The scripts
    themselves are not part of it: the workflow lists them as inputs.)"""
    package_dir = Path(package_dir)
    digest = hashlib.sha256()
    files = [package_dir / "__init__.py"]
    for sub in package_closure(*scripts, package_dir=package_dir):
        files += _members(package_dir, sub)
    for path in files:
        digest.update(str(path.relative_to(package_dir)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def variant_suffix(overrides: Mapping[str, Sequence[str]]) -> str:
    """``""`` when no experiment has overrides, else ``"@"`` and 8 hex digits of their digest.

    ``overrides`` maps experiment names to Hydra overrides; empty lists count as none, and the
    order of experiments does not matter (the order of one experiment's overrides does: Hydra
    applies them in order).
    """
    given = {name: list(values) for name, values in sorted(overrides.items()) if values}
    return "@" + _sha(json.dumps(given, sort_keys=True), 8) if given else ""
