"""Search spaces: what each hyperparameter may be, and how to draw it."""

from __future__ import annotations

import itertools
import math

import numpy as np


class Space:
    """One hyperparameter's domain; ``sample(rng)`` draws a value."""

    def sample(self, rng: np.random.Generator):
        raise NotImplementedError(f"{type(self).__name__}.sample")

    def grid(self) -> list:
        raise TypeError(f"{self!r} is continuous; grid_search needs choice([...]) or a list")


class uniform(Space):  # noqa: N801 - lowercase like the functions people know from Ray/Optuna
    """Uniform on [low, high)."""

    def __init__(self, low: float, high: float):
        if not low < high:
            raise ValueError(f"uniform: need low < high, got {low}, {high}")
        self.low, self.high = float(low), float(high)

    def sample(self, rng):
        return float(rng.uniform(self.low, self.high))

    def __repr__(self):
        return f"uniform({self.low}, {self.high})"


class loguniform(Space):  # noqa: N801
    """Uniform in log space on [low, high): right for learning rates and weight decay."""

    def __init__(self, low: float, high: float):
        if not 0 < low < high:
            raise ValueError(f"loguniform: need 0 < low < high, got {low}, {high}")
        self.low, self.high = float(low), float(high)

    def sample(self, rng):
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def __repr__(self):
        return f"loguniform({self.low}, {self.high})"


class randint(Space):  # noqa: N801
    """An integer in [low, high] (both ends included)."""

    def __init__(self, low: int, high: int):
        if not int(low) <= int(high):
            raise ValueError(f"randint: need low <= high, got {low}, {high}")
        self.low, self.high = int(low), int(high)

    def sample(self, rng):
        return int(rng.integers(self.low, self.high + 1))

    def grid(self) -> list:
        return list(range(self.low, self.high + 1))

    def __repr__(self):
        return f"randint({self.low}, {self.high})"


class choice(Space):  # noqa: N801
    """One of the given values."""

    def __init__(self, values):
        self.values = list(values)
        if not self.values:
            raise ValueError("choice: needs at least one value")

    def sample(self, rng):
        return self.values[int(rng.integers(len(self.values)))]

    def grid(self) -> list:
        return list(self.values)

    def __repr__(self):
        return f"choice({self.values})"


def sample_config(space: dict, rng: np.random.Generator) -> dict:
    """One config: Space entries drawn, lists drawn as choices, other values kept fixed."""
    out = {}
    for key, dom in space.items():
        if isinstance(dom, Space):
            out[key] = dom.sample(rng)
        elif isinstance(dom, list):
            out[key] = choice(dom).sample(rng)
        else:
            out[key] = dom
    return out


def grid_configs(space: dict) -> list[dict]:
    """Every combination of the listed/choice/randint values (fixed values kept)."""
    keys = list(space)
    axes = []
    for key in keys:
        dom = space[key]
        axes.append(
            dom.grid() if isinstance(dom, Space) else dom if isinstance(dom, list) else [dom]
        )
    return [dict(zip(keys, values)) for values in itertools.product(*axes)]
