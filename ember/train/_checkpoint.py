"""Trainer checkpoints: everything needed to continue a run bit for bit, via ember.save."""

from __future__ import annotations

import glob
import os

from ember.train._data_setup import loader_generators
from ember.train.seed import capture_rng_state, restore_rng_state

CHECKPOINT_VERSION = 1
_PLAIN = (str, int, float, bool, type(None))


def _plain(value):
    """Hyperparameters as data ember.save accepts: containers kept, other objects as repr."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if isinstance(k, (str, int))}
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return value
    return repr(value)


def dump_checkpoint(t) -> dict:
    """The trainer's full state. ``epoch`` counts completed epochs; ``batch_in_epoch`` > 0
    marks a checkpoint taken mid-epoch, which resumes at that batch of the same data order."""
    module = t.module
    done = t._epoch_done or t.batch_in_epoch == 0
    gens = loader_generators([t.train_dataloader]) if t.train_dataloader is not None else []
    ckpt = {
        "ember_checkpoint_version": CHECKPOINT_VERSION,
        "epoch": t.current_epoch + (1 if t._epoch_done else 0),
        "global_step": t.global_step,
        "batch_in_epoch": 0 if done else t.batch_in_epoch,
        "state_dict": module.state_dict(),
        "optimizer_states": [o.state_dict() for o in t.optimizers],
        "lr_schedulers": [c["scheduler"].state_dict() for c in t.lr_scheduler_configs],
        "callbacks": {cb.state_key: cb.state_dict() for cb in t.callbacks},
        "hyper_parameters": _plain(dict(getattr(module, "hparams", {}))),
        "rng": capture_rng_state(gens),
        "loops": {
            "epoch_start_rng": None if done else t._epoch_start_rng,
            "train_results": {} if done else t._train_results.state_dict(),
            "accumulate_grad_batches": t.accumulate_grad_batches,
        },
    }
    if t.datamodule is not None:
        ckpt["datamodule"] = t.datamodule.state_dict()
    t._call("on_save_checkpoint", ckpt)
    return ckpt


def find_last_checkpoint(t) -> str:
    """Path of the newest ``last*.ckpt`` of this trainer's checkpoint folders."""
    dirs = [cb.dirpath for cb in t.checkpoint_callbacks if cb.dirpath]
    dirs.append(os.path.join(t.default_root_dir, "ember_logs", "version_*", "checkpoints"))
    dirs.append(os.path.join(t.default_root_dir, "checkpoints"))
    found = []
    for d in dirs:
        found += glob.glob(os.path.join(d, "last*.ckpt"))
    if not found:
        raise FileNotFoundError(f"Trainer.fit(ckpt_path='last'): no last*.ckpt found in {dirs}")
    return max(found, key=os.path.getmtime)


def restore_checkpoint(t, path: str) -> dict:
    """Load ``path`` into the attached module, optimizers, schedulers, callbacks and loops."""
    from ember.serialization import load

    ckpt = load(path)
    if not isinstance(ckpt, dict) or "ember_checkpoint_version" not in ckpt:
        raise ValueError(
            f"{path!r} is not an ember Trainer checkpoint (no "
            "'ember_checkpoint_version' key); load weights with ember.load and "
            "module.load_state_dict instead"
        )
    t.module.load_state_dict(ckpt["state_dict"])
    _load_each("optimizer", t.optimizers, ckpt["optimizer_states"], path)
    _load_each(
        "lr scheduler",
        [c["scheduler"] for c in t.lr_scheduler_configs],
        ckpt["lr_schedulers"],
        path,
    )
    for cb in t.callbacks:
        if cb.state_key in ckpt["callbacks"]:
            cb.load_state_dict(ckpt["callbacks"][cb.state_key])
    if t.datamodule is not None and "datamodule" in ckpt:
        t.datamodule.load_state_dict(ckpt["datamodule"])
    t.current_epoch, t.global_step = int(ckpt["epoch"]), int(ckpt["global_step"])
    loops = ckpt["loops"]
    t.accumulate_grad_batches = loops["accumulate_grad_batches"]
    gens = loader_generators([t.train_dataloader]) if t.train_dataloader is not None else []
    if ckpt["batch_in_epoch"]:
        t._resume_position = {
            "batch": int(ckpt["batch_in_epoch"]),
            "rng": ckpt["rng"],
            "epoch_start_rng": loops["epoch_start_rng"],
        }
        t._train_results.load_state_dict(loops["train_results"])
        t.batch_in_epoch = int(ckpt["batch_in_epoch"])
    else:
        restore_rng_state(ckpt["rng"], gens)
    t._call("on_load_checkpoint", ckpt)
    return ckpt


def _load_each(what: str, objects: list, states: list, path: str) -> None:
    if len(objects) != len(states):
        raise ValueError(
            f"checkpoint {path!r} holds {len(states)} {what} states, but the "
            f"module configured {len(objects)}"
        )
    for obj, state in zip(objects, states):
        obj.load_state_dict(state)
