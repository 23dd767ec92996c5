"""Names a config may use: zoo models, optimizers, lr schedulers; and checked construction."""

from __future__ import annotations

import difflib
import importlib
import inspect
import typing

from ember._cli.config import ConfigError


def _is_model_factory(obj) -> bool:
    """A Module subclass, or a function annotated to return one (``resnet20 -> ResNet``)."""
    from ember.nn import Module

    if inspect.isclass(obj):
        return issubclass(obj, Module)
    if inspect.isfunction(obj):
        try:
            ret = typing.get_type_hints(obj).get("return")
        except (NameError, TypeError):
            return False
        return inspect.isclass(ret) and issubclass(ret, Module)
    return False


def models() -> dict:
    """Every model of ``ember.models`` by name: classes and builder functions."""
    import ember.models as zoo

    return {
        name: getattr(zoo, name) for name in zoo.__all__ if _is_model_factory(getattr(zoo, name))
    }


def optimizers() -> dict:
    import ember.optim as optim

    return {name: getattr(optim, name) for name in optim.__all__ if name != "Optimizer"}


def schedulers() -> dict:
    import ember.optim.lr_scheduler as sched

    return {name: getattr(sched, name) for name in sched.__all__ if name != "LRScheduler"}


def lookup(kind: str, name, registry: dict, key: str):
    """``registry[name]`` (case-insensitive; ``"pkg.module:Attr"`` imports a user class)."""
    if not isinstance(name, str) or not name:
        raise ConfigError(key, f"expected the name of a {kind}, got {name!r}")
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(key, f"cannot import {kind} {name!r}: {exc}") from exc
    if name in registry:
        return registry[name]
    folded = {k.lower(): v for k, v in registry.items()}
    if name.lower() in folded:
        return folded[name.lower()]
    close = difflib.get_close_matches(name, list(registry), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ConfigError(key, f"unknown {kind} {name!r} ({hint}choose from {', '.join(registry)})")


def construct(factory, kwargs: dict, where: str, *args):
    """``factory(*args, **kwargs)``; a keyword it does not take, a missing required one or
    an error the constructor raises becomes a ConfigError (``where``: the config section)."""
    label = getattr(factory, "__name__", str(factory))
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        sig = None
    if sig is not None:
        params = list(sig.parameters.values())[len(args) :]
        names = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        open_kwargs = any(p.kind is p.VAR_KEYWORD for p in params)
        for key in kwargs:
            if key not in names and not open_kwargs:
                raise ConfigError(
                    f"{where}.{key}",
                    f"{label} takes no argument {key!r} (arguments: {', '.join(names) or 'none'})",
                )
        missing = [
            p.name
            for p in params
            if p.default is p.empty
            and p.name not in kwargs
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if missing:
            raise ConfigError(f"{where}.{missing[0]}", f"{label} needs a value for it")
    try:
        return factory(*args, **kwargs)
    except (TypeError, ValueError, KeyError) as exc:
        text = str(exc)
        raise ConfigError(where, text if text.startswith(label) else f"{label}: {text}") from exc
