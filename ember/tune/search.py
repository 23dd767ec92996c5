"""Grid and random hyperparameter search: each trial is a Trainer run with early stopping."""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field

import numpy as np

from ember.tune.space import grid_configs, sample_config


@dataclass
class Trial:
    """One configuration's run: its best monitored score, checkpoint and fate."""

    index: int
    config: dict
    score: float = math.nan
    epochs: int = 0
    status: str = "pending"  # ok | pruned | failed
    error: str = ""
    checkpoint: str = ""
    last_checkpoint: str = ""


@dataclass
class SearchResult:
    """Trials ranked best first (failed ones last), with the best config and checkpoint."""

    trials: list
    monitor: str
    mode: str
    csv_path: str = ""
    ranked: list = field(init=False)

    def __post_init__(self):
        sign = 1 if self.mode == "min" else -1

        def key(t):
            bad = t.status == "failed" or not math.isfinite(t.score)
            return (bad, t.status == "pruned", sign * t.score if not bad else 0.0, t.index)

        self.ranked = sorted(self.trials, key=key)

    @property
    def best(self) -> Trial:
        return self.ranked[0]

    @property
    def best_config(self) -> dict:
        return self.best.config

    @property
    def best_checkpoint(self) -> str:
        return self.best.checkpoint

    def table(self) -> str:
        """The ranked trials as a markdown table."""
        keys = sorted({k for t in self.trials for k in t.config})
        head = ["rank", "trial", *keys, self.monitor, "epochs", "status"]
        rows = [head, ["---"] * len(head)]
        for rank, t in enumerate(self.ranked, 1):
            cells = [_fmt(t.config.get(k, "")) for k in keys]
            status = t.status + (f" ({t.error})" if t.error else "")
            rows.append([str(rank), str(t.index), *cells, _fmt(t.score), str(t.epochs), status])
        return "\n".join("| " + " | ".join(r) + " |" for r in rows)

    def to_csv(self, path: str) -> str:
        keys = sorted({k for t in self.trials for k in t.config})
        with open(path, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(
                ["rank", "trial", *keys, self.monitor, "epochs", "status", "error", "checkpoint"]
            )
            for rank, t in enumerate(self.ranked, 1):
                writer.writerow(
                    [
                        rank,
                        t.index,
                        *[t.config.get(k, "") for k in keys],
                        t.score,
                        t.epochs,
                        t.status,
                        t.error,
                        t.checkpoint,
                    ]
                )
        self.csv_path = path
        return path


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


class SuccessiveHalving:
    """Prune bad trials: all run ``min_epochs``; the best 1/``reduction_factor`` continue
    (resumed exactly from their checkpoints) for ``reduction_factor`` times more epochs, and
    so on up to ``max_epochs``."""

    def __init__(self, min_epochs: int = 1, reduction_factor: int = 2):
        if min_epochs < 1 or reduction_factor < 2:
            raise ValueError(
                "SuccessiveHalving: need min_epochs >= 1 and reduction_factor >= 2, "
                f"got {min_epochs}, {reduction_factor}"
            )
        self.min_epochs, self.reduction_factor = min_epochs, reduction_factor

    def rungs(self, max_epochs: int) -> list[int]:
        out, e = [], self.min_epochs
        while e < max_epochs:
            out.append(e)
            e *= self.reduction_factor
        return out + [max_epochs]


_BUILD = None  # the user's build function, inherited by forked worker processes


def _run_trial(args) -> dict:
    """Train one trial (in this process or a worker); never raises."""
    index, config, epochs, rung, settings = args
    from ember.train import CSVLogger, EarlyStopping, ModelCheckpoint, Trainer, seed_everything

    trial_dir = os.path.join(settings["root_dir"], f"trial_{index:03d}")
    out = {"index": index}
    try:
        seed_everything(settings["seed"] + index)
        built = _BUILD(dict(config))
        module, *data = built if isinstance(built, tuple) else (built,)
        monitor, mode = settings["monitor"], settings["mode"]
        ckpt = ModelCheckpoint(dirpath=trial_dir, monitor=monitor, mode=mode)
        trainer = Trainer(
            max_epochs=epochs,
            default_root_dir=trial_dir,
            enable_progress_bar=False,
            enable_model_summary=False,
            logger=CSVLogger(trial_dir, name="logs", version=f"rung_{rung}"),
            callbacks=[
                EarlyStopping(monitor=monitor, mode=mode, patience=settings["patience"]),
                ckpt,
            ],
            **settings["trainer_kwargs"],
        )
        resume = os.path.join(trial_dir, "last.ckpt") if rung else None
        if len(data) == 1 and hasattr(data[0], "train_dataloader"):
            trainer.fit(module, datamodule=data[0], ckpt_path=resume)
        else:
            trainer.fit(module, *data, ckpt_path=resume)
        score = ckpt.best_model_score
        out.update(
            score=math.nan if score is None else float(score),
            epochs=trainer.current_epoch,
            checkpoint=ckpt.best_model_path,
            last_checkpoint=ckpt.last_model_path,
            status="ok",
        )
    except Exception as exc:  # a crashing trial is reported, the search goes on
        out.update(status="failed", error=f"{type(exc).__name__}: {exc}")
    return out


def _run_batch(jobs: list, n_jobs: int) -> list[dict]:
    if n_jobs == 1 or len(jobs) == 1:
        return [_run_trial(j) for j in jobs]
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as pool:
        return list(pool.map(_run_trial, jobs))


def _search(
    build,
    configs,
    *,
    max_epochs,
    monitor,
    mode,
    patience,
    seed,
    n_jobs,
    prune,
    root_dir,
    trainer_kwargs,
    verbose,
) -> SearchResult:
    global _BUILD
    if mode not in ("min", "max"):
        raise ValueError(f"search: mode must be 'min' or 'max', got {mode!r}")
    if n_jobs < 1:
        raise ValueError(f"search: n_jobs must be >= 1, got {n_jobs}")
    _BUILD = build
    os.makedirs(root_dir, exist_ok=True)
    settings = dict(
        root_dir=root_dir,
        seed=seed,
        monitor=monitor,
        mode=mode,
        patience=patience,
        trainer_kwargs=dict(trainer_kwargs or {}),
    )
    trials = [Trial(i, c) for i, c in enumerate(configs)]
    alive = list(trials)
    rungs = prune.rungs(max_epochs) if prune is not None else [max_epochs]
    for rung, epochs in enumerate(rungs):
        results = _run_batch([(t.index, t.config, epochs, rung, settings) for t in alive], n_jobs)
        for r in results:
            t = trials[r["index"]]
            for key in ("score", "epochs", "status", "error", "checkpoint", "last_checkpoint"):
                if key in r:
                    setattr(t, key, r[key])
        ok = [t for t in alive if t.status == "ok"]
        if rung + 1 < len(rungs):
            keep = max(1, math.ceil(len(ok) / prune.reduction_factor))
            ok.sort(
                key=lambda t: (not math.isfinite(t.score), t.score if mode == "min" else -t.score)
            )
            for t in ok[keep:]:
                t.status = "pruned"
            alive = ok[:keep]
    result = SearchResult(trials, monitor, mode)
    result.to_csv(os.path.join(root_dir, "results.csv"))
    if verbose:
        print(result.table())
    return result


def random_search(
    build,
    space: dict,
    n_trials: int = 10,
    *,
    max_epochs: int = 10,
    monitor: str = "val_loss",
    mode: str = "min",
    patience: int = 3,
    seed: int = 0,
    n_jobs: int = 1,
    prune: SuccessiveHalving | None = None,
    root_dir: str = "runs/tune",
    trainer_kwargs: dict | None = None,
    verbose: bool = True,
) -> SearchResult:
    """Sample ``n_trials`` configs from ``space`` and train each.

    Args:
        build: ``build(config)`` returns ``(module, train_loader, val_loader)`` or
            ``(module, datamodule)``.
        space: key -> ``uniform``/``loguniform``/``randint``/``choice``, a list (a choice) or
            a fixed value.
        n_jobs: trials trained at once, in worker processes.
        prune: e.g. ``SuccessiveHalving(min_epochs=1)`` to stop bad trials early.

    Returns:
        A :class:`SearchResult` (ranked table, best config, best checkpoint; also written to
        ``<root_dir>/results.csv``). Configs and trial seeds depend only on ``seed``.
    """
    rng = np.random.default_rng(seed)
    configs = [sample_config(space, rng) for _ in range(n_trials)]
    return _search(
        build,
        configs,
        max_epochs=max_epochs,
        monitor=monitor,
        mode=mode,
        patience=patience,
        seed=seed,
        n_jobs=n_jobs,
        prune=prune,
        root_dir=root_dir,
        trainer_kwargs=trainer_kwargs,
        verbose=verbose,
    )


def grid_search(
    build,
    space: dict,
    *,
    max_epochs: int = 10,
    monitor: str = "val_loss",
    mode: str = "min",
    patience: int = 3,
    seed: int = 0,
    n_jobs: int = 1,
    prune: SuccessiveHalving | None = None,
    root_dir: str = "runs/tune",
    trainer_kwargs: dict | None = None,
    verbose: bool = True,
) -> SearchResult:
    """Train every combination of the values in ``space`` (lists, ``choice``, ``randint``);
    arguments as :func:`random_search`."""
    return _search(
        build,
        grid_configs(space),
        max_epochs=max_epochs,
        monitor=monitor,
        mode=mode,
        patience=patience,
        seed=seed,
        n_jobs=n_jobs,
        prune=prune,
        root_dir=root_dir,
        trainer_kwargs=trainer_kwargs,
        verbose=verbose,
    )
