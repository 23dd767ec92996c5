"""Logger base: where the Trainer sends metrics and hyperparameters."""

from __future__ import annotations

import json
import os
import re


def next_version(root: str) -> int:
    """The smallest ``N`` greater than every existing ``version_N`` folder under ``root``."""
    if not os.path.isdir(root):
        return 0
    found = [
        int(m.group(1))
        for d in os.listdir(root)
        if (m := re.fullmatch(r"version_(\d+)", d)) and os.path.isdir(os.path.join(root, d))
    ]
    return max(found) + 1 if found else 0


def _jsonable(value):
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)


def write_hparams_files(log_dir: str, params: dict, metrics: dict | None = None) -> None:
    """``hparams.json`` (and ``hparams.yaml`` when PyYAML is installed) in ``log_dir``."""
    os.makedirs(log_dir, exist_ok=True)
    data = _jsonable(dict(params))
    if metrics:
        data = {"hparams": data, "metrics": _jsonable(metrics)}
    with open(os.path.join(log_dir, "hparams.json"), "w") as fh:
        json.dump(data, fh, indent=2)
    try:
        import yaml
    except ImportError:
        return
    with open(os.path.join(log_dir, "hparams.yaml"), "w") as fh:
        yaml.safe_dump(data, fh)


class Logger:
    """Writes to ``<save_dir>/<name>/version_<N>/`` (``log_dir``)."""

    def __init__(self, save_dir: str, name: str = "ember_logs", version: int | str | None = None):
        self.save_dir = os.fspath(save_dir)
        self.name = name
        self._version = version

    @property
    def version(self) -> int | str:
        if self._version is None:
            self._version = next_version(os.path.join(self.save_dir, self.name))
        return self._version

    @property
    def log_dir(self) -> str:
        v = self.version
        return os.path.join(self.save_dir, self.name, v if isinstance(v, str) else f"version_{v}")

    def log_metrics(self, metrics: dict, step: int) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement log_metrics")

    def log_hyperparams(self, params: dict, metrics: dict | None = None) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement log_hyperparams")

    def save(self) -> None:
        """Flush what is buffered."""

    def finalize(self, status: str) -> None:
        """Called once at the end of fit/validate/test with "success", "failed" or
        "interrupted"."""
        self.save()
