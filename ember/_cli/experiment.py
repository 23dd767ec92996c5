"""Build and run the experiment a config describes (``ember train`` and ``ember tune``).

Sections (see examples/configs/): ``seed``; ``model`` (``name`` from ember.models + its
arguments); ``data`` (``dataset``: digits, breast_cancer, iris, diabetes or a .csv path,
``batch_size``, ``val_split``, ``test_split``, ``target`` for CSV, ``flatten``); ``optimizer``
(``name`` + arguments); ``scheduler`` (optional: ``name`` + arguments, ``interval``,
``monitor``); ``trainer`` (Trainer arguments); ``early_stopping`` and ``checkpoint`` (optional
EarlyStopping / ModelCheckpoint arguments); ``search`` (``ember tune`` only).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from ember._cli import registry
from ember._cli.config import ConfigError, check_keys, section, want

SECTIONS = (
    "seed",
    "model",
    "data",
    "optimizer",
    "scheduler",
    "trainer",
    "early_stopping",
    "checkpoint",
    "search",
)
DATA_KEYS = ("dataset", "batch_size", "val_split", "test_split", "target", "flatten", "seed")
BUNDLED = ("digits", "breast_cancer", "iris", "diabetes")
SCHEDULER_OPTIONS = ("interval", "frequency", "monitor")


@dataclass
class Experiment:
    """What a config builds: the module, its loaders and a ready Trainer."""

    module: object
    train_loader: object
    val_loader: object
    test_loader: object
    trainer: object


# -- data -----------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _bundled(name: str, fractions: tuple, seed: int):
    import ember.datasets as ds

    splits = getattr(ds, f"load_{name}")(fractions=fractions, seed=seed)
    return splits.train, splits.val, splits.test, splits.classes


def _csv(path: str, target, fractions: tuple, seed: int):
    from ember.datasets import CSVDataset, train_val_test_split

    try:
        data = CSVDataset(path, target=target)
    except (KeyError, ValueError, OSError) as exc:
        raise ConfigError("data.dataset", str(exc)) from exc
    return (*train_val_test_split(data, fractions, seed=seed), data.classes)


def _flattened(dataset):
    from ember.utils.data import TensorDataset

    x, y = dataset.tensors
    return TensorDataset(x.reshape(len(x), -1), y)


def load_data(data: dict, seed: int):
    """(train, val, test) datasets and the class count (None for regression)."""
    check_keys(data, DATA_KEYS, "data")
    name = data.get("dataset")
    val = want(
        data.get("val_split", 0.1),
        (int, float),
        "data.val_split",
        "a fraction in [0, 1)",
        lambda v: 0 <= v < 1,
    )
    test = want(
        data.get("test_split", 0.1),
        (int, float),
        "data.test_split",
        "a fraction in [0, 1)",
        lambda v: 0 <= v < 1 - val,
    )
    fractions = (1.0 - val - test, float(val), float(test))
    split_seed = want(data.get("seed", seed), int, "data.seed", "an integer")
    if isinstance(name, str) and name.lower().endswith(".csv"):
        if "target" not in data:
            raise ConfigError("data.target", "a CSV dataset needs the target column name")
        train, val_set, test_set, classes = _csv(name, data["target"], fractions, split_seed)
    elif name in BUNDLED:
        train, val_set, test_set, classes = _bundled(name, fractions, split_seed)
    else:
        raise ConfigError(
            "data.dataset",
            f"unknown dataset {name!r} (choose from "
            f"{', '.join(BUNDLED)}, or a path to a .csv file)",
        )
    if want(data.get("flatten", False), bool, "data.flatten", "true or false"):
        if not hasattr(train, "tensors"):
            raise ConfigError("data.flatten", f"{name!r} rows are flat already")
        train, val_set, test_set = (_flattened(d) for d in (train, val_set, test_set))
    return train, val_set, test_set, (len(classes) if classes else None)


def make_loaders(train, val, test, batch_size: int):
    from ember.utils.data import DataLoader

    def loader(ds, shuffle):
        return DataLoader(ds, batch_size=batch_size, shuffle=shuffle) if len(ds) else None

    return loader(train, True), loader(val, False), loader(test, False)


# -- model, optimizer, scheduler ------------------------------------------------------------------
def _named(config: dict, name: str, kind: str, table: dict):
    """(factory, kwargs) of a section ``{name: ..., **kwargs}``."""
    cfg = section(config, name)
    factory = registry.lookup(kind, cfg.pop("name", None), table, f"{name}.name")
    return factory, cfg


def build_model(config: dict):
    factory, kwargs = _named(config, "model", "model", registry.models())
    return registry.construct(factory, kwargs, "model")


def optimizer_factory(config: dict):
    factory, kwargs = _named(config, "optimizer", "optimizer", registry.optimizers())
    return lambda params: registry.construct(factory, kwargs, "optimizer", params)


def scheduler_factory(config: dict):
    if config.get("scheduler") is None:
        return None
    factory, kwargs = _named(config, "scheduler", "lr scheduler", registry.schedulers())
    options = {k: kwargs.pop(k) for k in SCHEDULER_OPTIONS if k in kwargs}

    def make(opt):
        return {"scheduler": registry.construct(factory, kwargs, "scheduler", opt), **options}

    return make


# -- the experiment -------------------------------------------------------------------------------
def build(config: dict, root_dir: str, seed: bool = True) -> Experiment:
    """Everything ``config`` describes, checked; ``seed=False`` leaves the RNGs as they are."""
    from ember._cli.task import SupervisedModule
    from ember.train import EarlyStopping, ModelCheckpoint, Trainer, seed_everything
    from ember.train.module import TrainModule

    check_keys(config, SECTIONS)
    config_seed = want(
        config.get("seed", 0), int, "seed", "an integer in [0, 2**32)", lambda v: 0 <= v < 2**32
    )
    if seed:
        seed_everything(config_seed)
    model = build_model(config)
    if isinstance(model, TrainModule):
        raise ConfigError("model.name", "expected a plain nn.Module, got a TrainModule")
    make_opt, make_sched = optimizer_factory(config), scheduler_factory(config)
    opt = make_opt(model.parameters())  # built once now so that errors surface before training
    if make_sched is not None:
        make_sched(opt)
    data = section(config, "data")
    batch_size = want(
        data.get("batch_size", 64), int, "data.batch_size", "a positive integer", lambda v: v > 0
    )
    train, val, test, num_classes = load_data(data, config_seed)
    train_loader, val_loader, test_loader = make_loaders(train, val, test, batch_size)
    module = SupervisedModule(model, num_classes, make_opt, make_sched)
    # the config goes to the loggers' hparams files and into every checkpoint
    module.hparams.update({k: v for k, v in config.items() if k != "search"})
    monitor = "val_loss" if val_loader is not None else None
    callbacks = [
        registry.construct(
            ModelCheckpoint,
            {"monitor": monitor, **section(config, "checkpoint", False)},
            "checkpoint",
        )
    ]
    if config.get("early_stopping") is not None:
        callbacks.append(
            registry.construct(EarlyStopping, section(config, "early_stopping"), "early_stopping")
        )
    kwargs = section(config, "trainer", False)
    if "callbacks" in kwargs:
        raise ConfigError("trainer.callbacks", "use the early_stopping and checkpoint sections")
    kwargs.setdefault("default_root_dir", root_dir)
    trainer = registry.construct(Trainer, {**kwargs, "callbacks": callbacks}, "trainer")
    return Experiment(module, train_loader, val_loader, test_loader, trainer)


def run_train(config: dict, name: str) -> dict:
    """Fit, then test the best checkpoint; returns the paths and test metrics."""
    exp = build(config, os.path.join("runs", name))
    trainer = exp.trainer
    trainer.fit(exp.module, exp.train_loader, exp.val_loader)
    best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
    result = {"log_dir": trainer.log_dir, "best_checkpoint": best, "test": {}}
    if exp.test_loader is not None and not trainer.interrupted:
        metrics = trainer.test(exp.module, exp.test_loader, ckpt_path=best or None)
        result["test"] = metrics[0] if metrics else {}
    return result
