"""``ember tune``: a config's ``search`` section drives ember.tune over dotted config keys.

search:
  method: random          # or grid
  n_trials: 8             # random only
  max_epochs: 5           # default: trainer.max_epochs, else 10
  monitor: val_loss       # mode: min; patience: 3; seed: the config's; n_jobs: 1
  space:
    optimizer.lr: {type: loguniform, low: 1.0e-4, high: 1.0e-1}
    model.dropout: {type: choice, values: [0.0, 0.2]}
    data.batch_size: [32, 64]     # a list is a choice; a plain value is fixed
"""

from __future__ import annotations

import os

from ember._cli import experiment, registry
from ember._cli.config import ConfigError, check_keys, section, want, with_overrides

SEARCH_KEYS = (
    "method",
    "n_trials",
    "max_epochs",
    "monitor",
    "mode",
    "patience",
    "seed",
    "n_jobs",
    "root_dir",
    "space",
)
# Trainer arguments each trial sets itself
TRIAL_OWNED = (
    "max_epochs",
    "default_root_dir",
    "enable_progress_bar",
    "enable_model_summary",
    "logger",
    "callbacks",
)


def parse_space(space) -> dict:
    """Config ``space`` -> {dotted key: ember.tune Space, list or fixed value}."""
    from ember import tune

    kinds = {
        "uniform": tune.uniform,
        "loguniform": tune.loguniform,
        "randint": tune.randint,
        "choice": tune.choice,
    }
    if not isinstance(space, dict) or not space:
        raise ConfigError("search.space", f"expected a mapping of dotted keys, got {space!r}")
    out = {}
    for key, spec in space.items():
        where = f"search.space.{key}"
        top = str(key).split(".")[0]
        if top not in experiment.SECTIONS or top == "search":
            raise ConfigError(
                where,
                f"a search key starts with a config section "
                f"({', '.join(experiment.SECTIONS[:-1])})",
            )
        if isinstance(spec, dict):
            spec = dict(spec)
            kind = spec.pop("type", None)
            factory = registry.lookup("search space type", kind, kinds, f"{where}.type")
            out[key] = registry.construct(factory, spec, where)
        else:
            out[key] = spec
    return out


def run_tune(config: dict, name: str):
    """Run the search; returns ember.tune's SearchResult (its table is printed)."""
    from ember.tune import grid_search, random_search

    search = section(config, "search")
    check_keys(search, SEARCH_KEYS, "search")
    space = parse_space(search.get("space"))
    base = {k: v for k, v in config.items() if k != "search"}
    method = search.get("method", "random")
    if method not in ("random", "grid"):
        raise ConfigError("search.method", f"expected 'random' or 'grid', got {method!r}")
    root = search.get("root_dir", os.path.join("runs", "tune", name))
    trainer_kwargs = {
        k: v for k, v in section(base, "trainer", False).items() if k not in TRIAL_OWNED
    }
    options = dict(
        max_epochs=want(
            search.get("max_epochs", base.get("trainer", {}).get("max_epochs", 10)),
            int,
            "search.max_epochs",
            "a positive integer",
            lambda v: v > 0,
        ),
        monitor=want(search.get("monitor", "val_loss"), str, "search.monitor", "a metric name"),
        mode=search.get("mode", "min"),
        patience=want(
            search.get("patience", 3), int, "search.patience", "an integer >= 0", lambda v: v >= 0
        ),
        seed=want(search.get("seed", base.get("seed", 0)), int, "search.seed", "an integer"),
        n_jobs=want(
            search.get("n_jobs", 1), int, "search.n_jobs", "a positive integer", lambda v: v > 0
        ),
        root_dir=root,
        trainer_kwargs=trainer_kwargs,
    )
    if options["mode"] not in ("min", "max"):
        raise ConfigError("search.mode", f"expected 'min' or 'max', got {options['mode']!r}")
    experiment.build(base, root)  # check the base config before any trial runs

    def build_trial(point: dict):
        exp = experiment.build(with_overrides(base, point.items()), root, seed=False)
        return exp.module, exp.train_loader, exp.val_loader

    try:
        if method == "grid":
            return grid_search(build_trial, space, **options)
        n_trials = want(
            search.get("n_trials", 10),
            int,
            "search.n_trials",
            "a positive integer",
            lambda v: v > 0,
        )
        return random_search(build_trial, space, n_trials, **options)
    except (TypeError, ValueError) as exc:  # e.g. a continuous range in a grid search
        raise ConfigError("search", str(exc)) from exc
