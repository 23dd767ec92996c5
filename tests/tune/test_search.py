"""Hyperparameter search: spaces, grid/random search, pruning, crashes, parallel trials."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from ember.tune import (
    SuccessiveHalving,
    choice,
    grid_search,
    loguniform,
    randint,
    random_search,
    uniform,
)
from ember.tune.space import grid_configs, sample_config
from tests.train.conftest import TinyModule, loaders


def build(config):
    module = TinyModule(lr=config["lr"], hidden=config.get("hidden", 16))
    train, val = loaders()
    return module, train, val


QUIET = {"num_sanity_val_steps": 0}


def test_spaces_sample_in_range_and_reproducibly():
    space = {
        "lr": loguniform(1e-4, 1e-1),
        "p": uniform(0, 0.5),
        "w": randint(8, 10),
        "act": choice(["relu", "gelu"]),
        "opt": ["sgd", "adam"],
        "fixed": 3,
    }
    rng = np.random.default_rng(0)
    configs = [sample_config(space, rng) for _ in range(200)]
    assert all(1e-4 <= c["lr"] < 1e-1 and 0 <= c["p"] < 0.5 for c in configs)
    assert {c["w"] for c in configs} == {8, 9, 10} and {c["fixed"] for c in configs} == {3}
    assert {c["act"] for c in configs} == {"relu", "gelu"}
    logs = np.log10([c["lr"] for c in configs])
    assert abs(np.mean(logs) + 2.5) < 0.2  # log-uniform: mean of log10 in the middle
    again = [sample_config(space, rng2) for rng2 in [np.random.default_rng(0)] for _ in range(3)]
    assert again == configs[:3]
    assert len(grid_configs({"a": [1, 2], "b": randint(0, 2), "c": 5})) == 6
    with pytest.raises(TypeError, match="continuous"):
        grid_configs({"lr": loguniform(1e-3, 1e-1)})
    with pytest.raises(ValueError):
        loguniform(0, 1)


def test_grid_search_finds_the_known_best_and_survives_a_crash(tmp_path):
    space = {"lr": [1e-4, 0.1, 50.0], "hidden": [16, -1]}
    result = grid_search(
        build,
        space,
        max_epochs=4,
        root_dir=str(tmp_path),
        seed=0,
        trainer_kwargs=QUIET,
        verbose=False,
    )
    assert len(result.trials) == 6
    assert result.best_config == {"lr": 0.1, "hidden": 16}
    failed = [t for t in result.trials if t.status == "failed"]
    assert len(failed) == 3 and all(t.config["hidden"] == -1 for t in failed)
    assert all("negative dimension" in t.error for t in failed)
    assert result.best_checkpoint.endswith(".ckpt")
    rows = list(csv.DictReader(open(tmp_path / "results.csv")))
    assert rows[0]["rank"] == "1" and float(rows[0]["lr"]) == 0.1
    table = result.table()
    assert table.splitlines()[2].startswith("| 1 |") and "failed" in table


def test_random_search_is_reproducible_and_parallel(tmp_path):
    space = {"lr": loguniform(1e-3, 0.3)}
    a = random_search(
        build,
        space,
        n_trials=4,
        max_epochs=2,
        seed=3,
        n_jobs=2,
        root_dir=str(tmp_path / "a"),
        trainer_kwargs=QUIET,
        verbose=False,
    )
    b = random_search(
        build,
        space,
        n_trials=4,
        max_epochs=2,
        seed=3,
        n_jobs=1,
        root_dir=str(tmp_path / "b"),
        trainer_kwargs=QUIET,
        verbose=False,
    )
    assert [t.config for t in a.trials] == [t.config for t in b.trials]
    assert [t.score for t in a.trials] == [t.score for t in b.trials]
    assert all(t.status == "ok" and math.isfinite(t.score) for t in a.trials)


def test_successive_halving_prunes_and_resumes_survivors(tmp_path):
    space = {"lr": [1e-4, 3e-4, 0.03, 0.1]}
    result = grid_search(
        build,
        space,
        max_epochs=4,
        prune=SuccessiveHalving(1, 2),
        root_dir=str(tmp_path),
        trainer_kwargs=QUIET,
        verbose=False,
    )
    assert SuccessiveHalving(1, 2).rungs(4) == [1, 2, 4]
    statuses = {t.config["lr"]: (t.status, t.epochs) for t in result.trials}
    assert statuses[1e-4][0] == statuses[3e-4][0] == "pruned"
    assert statuses[1e-4][1] == 1
    assert result.best.status == "ok" and result.best.epochs == 4
    assert result.best_config["lr"] in (0.03, 0.1)
