"""LambdaCallback: a callback made of plain functions, e.g. ``LambdaCallback(on_fit_end=f)``."""

from __future__ import annotations

from ember.train.callback import HOOKS, Callback


class LambdaCallback(Callback):
    """Each keyword names a hook and gives the function to run, called with the hook's
    arguments ``(trainer, module, ...)``."""

    def __init__(self, **hooks):
        unknown = sorted(set(hooks) - set(HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hooks {unknown}; known hooks: {HOOKS}")
        for name, fn in hooks.items():
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be callable, got {type(fn).__name__}")
            setattr(self, name, fn)
