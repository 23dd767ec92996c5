"""Experiment configs: YAML/JSON files, ``key.sub=value`` overrides and config errors.

A config is a nested dict. Errors name the dotted key they are about and exit with code 2.
"""

from __future__ import annotations

import copy
import json
import os
import re

# a float written the way people write it (1e-3, .5, -2.0E+4, inf, nan); PyYAML's own rule
# (YAML 1.1) demands a dot in the mantissa and so reads ``lr: 1e-3`` as the string "1e-3"
_FLOAT = re.compile(
    r"""^[-+]?(?:[0-9][0-9_]*\.?[0-9_]*(?:[eE][-+]?[0-9]+)?|\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""",
    re.X,
)


class CLIError(Exception):
    """A user error the command line reports in one line (exit code 2, no traceback)."""


class ConfigError(CLIError):
    """A bad config value; ``key`` is its dotted path (None: the whole file)."""

    def __init__(self, key: str | None, message: str):
        self.key, self.message = key, message
        where = f" at {key!r}" if key else ""
        super().__init__(f"config error{where}: {message}")


def _yaml():
    try:
        import yaml
    except ImportError as exc:
        raise CLIError(
            "reading YAML needs PyYAML: pip install ember[train] (or write the config as .json)"
        ) from exc
    return yaml


def _yaml_loader():
    """A SafeLoader that also reads ``1e-3`` as a float (YAML 1.2's rule)."""
    yaml = _yaml()

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
    return Loader


def load_config(path: str) -> dict:
    """Read a ``.yaml``/``.yml`` (needs PyYAML) or ``.json`` config into a dict."""
    if not os.path.isfile(path):
        raise ConfigError(None, f"no such config file {path!r}")
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".yaml", ".yml", ".json"):
        raise ConfigError(None, f"{path!r}: expected a .yaml, .yml or .json file")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if ext == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(None, f"cannot parse {path!r}: {exc}") from exc
    else:
        yaml = _yaml()
        try:
            data = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:  # its message gives the line and column
            raise ConfigError(None, f"cannot parse {path!r}: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            None, f"{path!r} must hold a mapping of sections, got {type(data).__name__}"
        )
    return data


def parse_value(text: str):
    """A command-line value as a YAML scalar or flow collection (``3``, ``1e-3``, ``true``,
    ``[64, 10]``, ``null``); JSON rules when PyYAML is missing; else the text itself."""
    try:
        yaml = _yaml()
    except CLIError:
        try:
            return json.loads(text)
        except ValueError:
            return float(text) if _FLOAT.match(text) else text
    try:
        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError:
        return text


def split_override(item: str) -> tuple[str, object]:
    """``"optimizer.lr=0.01"`` -> ``("optimizer.lr", 0.01)``."""
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(None, f"override {item!r} must look like key.sub=value")
    return key, parse_value(value)


def set_dotted(config: dict, key: str, value) -> None:
    """Set ``config[a][b][c] = value`` for ``key = "a.b.c"``, creating missing sections."""
    node = config
    parts = key.split(".")
    for i, part in enumerate(parts[:-1]):
        rest = ".".join(parts[i:])
        if rest in node:  # a key that itself has dots, e.g. search.space's "optimizer.lr"
            node[rest] = value
            return
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        if not isinstance(nxt, dict):
            where = ".".join(parts[: i + 1])
            raise ConfigError(key, f"cannot set it: {where!r} is {nxt!r}, not a section")
        node = nxt
    node[parts[-1]] = value


def get_dotted(config: dict, key: str, default=None):
    """``config[a][b]`` for ``key = "a.b"``, or ``default`` when a part is missing."""
    node = config
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def with_overrides(config: dict, overrides) -> dict:
    """A deep copy of ``config`` with ``(key, value)`` pairs (or ``"k=v"`` strings) applied."""
    out = copy.deepcopy(config)
    for item in overrides:
        key, value = split_override(item) if isinstance(item, str) else item
        set_dotted(out, key, value)
    return out


def section(config: dict, name: str, required: bool = True) -> dict:
    """The mapping under ``name`` (a copy); {} when optional and absent."""
    value = config.get(name)
    if value is None:
        if required:
            raise ConfigError(name, "this section is required")
        return {}
    if not isinstance(value, dict):
        raise ConfigError(name, f"expected a mapping of settings, got {value!r}")
    return dict(value)


def check_keys(config: dict, allowed, where: str | None = None) -> None:
    """Raise a ConfigError naming the first key of ``config`` not in ``allowed``."""
    for key in config:
        if key not in allowed:
            path = f"{where}.{key}" if where else str(key)
            raise ConfigError(path, f"unknown key {key!r} (expected one of {', '.join(allowed)})")


def want(value, kind, key: str, what: str, check=lambda v: True):
    """``value`` if it is a ``kind`` passing ``check``, else a ConfigError about ``key``."""
    bad_bool = isinstance(value, bool) and kind is not bool  # True is an int to Python
    if bad_bool or not isinstance(value, kind) or not check(value):
        raise ConfigError(key, f"expected {what}, got {value!r}")
    return value
