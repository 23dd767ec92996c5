"""Normalise what ``configure_optimizers`` returns into optimizers and scheduler configs."""

from __future__ import annotations

_SCHED_KEYS = {"scheduler", "interval", "frequency", "monitor", "strict", "name"}


def _is_optimizer(obj) -> bool:
    return hasattr(obj, "param_groups") and hasattr(obj, "step")


def _scheduler_config(obj, optimizer=None) -> dict:
    config = {
        "scheduler": None,
        "interval": "epoch",
        "frequency": 1,
        "monitor": None,
        "strict": True,
        "name": None,
    }
    if isinstance(obj, dict):
        unknown = set(obj) - _SCHED_KEYS
        if unknown or "scheduler" not in obj:
            raise ValueError(
                "configure_optimizers: a scheduler dict needs the key 'scheduler' and may have "
                f"{sorted(_SCHED_KEYS - {'scheduler'})}; got keys {sorted(obj)}"
            )
        config.update(obj)
    else:
        config["scheduler"] = obj
    if config["interval"] not in ("epoch", "step"):
        raise ValueError(
            f"configure_optimizers: scheduler interval must be 'epoch' or 'step', "
            f"got {config['interval']!r}"
        )
    sched = config["scheduler"]
    if not hasattr(sched, "step"):
        raise TypeError(
            f"configure_optimizers: expected an lr scheduler, got {type(sched).__name__}"
        )
    if type(sched).__name__ == "ReduceLROnPlateau" and config["monitor"] is None:
        raise ValueError(
            "configure_optimizers: ReduceLROnPlateau needs a metric to monitor: return "
            "{'optimizer': opt, 'lr_scheduler': {'scheduler': sched, 'monitor': 'val_loss'}}"
        )
    return config


def parse_optimizers(out) -> tuple[list, list[dict]]:
    """(optimizers, scheduler configs) from any form Lightning accepts.

    Forms: an optimizer; a list/tuple of optimizers; ``([optimizers], [schedulers])``; a dict
    with ``optimizer`` and optional ``lr_scheduler`` (a scheduler or a config dict with
    ``scheduler``, ``interval``, ``frequency``, ``monitor``); a list of such dicts.
    """
    if _is_optimizer(out):
        return [out], []
    if isinstance(out, dict):
        out = [out]
    if isinstance(out, (list, tuple)):
        if len(out) == 2 and isinstance(out[0], (list, tuple)):
            opts, scheds = list(out[0]), out[1]
            scheds = list(scheds) if isinstance(scheds, (list, tuple)) else [scheds]
            return _checked(opts), [_scheduler_config(s) for s in scheds]
        if all(isinstance(o, dict) for o in out):
            opts, configs = [], []
            for d in out:
                if "optimizer" not in d:
                    raise ValueError(
                        "configure_optimizers: a dict must have the key 'optimizer'"
                        f", got keys {sorted(d)}"
                    )
                opts.append(d["optimizer"])
                if d.get("lr_scheduler") is not None:
                    configs.append(_scheduler_config(d["lr_scheduler"]))
            return _checked(opts), configs
        return _checked(list(out)), []
    raise TypeError(
        f"configure_optimizers returned {type(out).__name__}; expected an "
        "optimizer, a list of optimizers, (optimizers, schedulers) or a dict"
    )


def _checked(opts: list) -> list:
    if not opts:
        raise ValueError("configure_optimizers returned no optimizer")
    for o in opts:
        if not _is_optimizer(o):
            raise TypeError(f"configure_optimizers: expected an optimizer, got {type(o).__name__}")
    return opts


class ManualOptimizer:
    """An optimizer handed to a manual-optimization step: ``step`` runs the trainer's hooks
    and counts a global step; everything else is the wrapped optimizer's."""

    def __init__(self, optimizer, trainer):
        self.optimizer = optimizer
        self._trainer = trainer

    def step(self, closure=None):
        self._trainer._call("on_before_optimizer_step", self.optimizer)
        out = self.optimizer.step(closure)
        self._trainer.global_step += 1
        return out

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def __getattr__(self, name):
        return getattr(self.optimizer, name)
