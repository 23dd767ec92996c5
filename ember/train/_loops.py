"""The loops the Trainer runs: fit (epochs of training steps), evaluation and prediction."""

from __future__ import annotations

import math

from ember.autograd.grad_mode import no_grad
from ember.train._data_setup import limited_batches, loader_generators
from ember.train._results import StageResults
from ember.train.module import _batch_size_of
from ember.train.seed import capture_rng_state, restore_rng_state


def run_fit(t) -> None:
    """Sanity check, then epochs until max_epochs/max_steps or an early stop."""
    t._call("on_fit_start")
    if t._resume_position is None and t.global_step == 0 and t.current_epoch == 0:
        run_sanity_check(t)
    t._call("on_train_start")
    while not t._fit_done():
        run_train_epoch(t)
    t._call("on_train_end")
    t._call("on_fit_end")


def run_train_epoch(t) -> None:
    """One epoch (or its remainder, when resuming a checkpoint taken mid-epoch)."""
    loader, module = t.train_dataloader, t.module
    gens = loader_generators([loader])
    resume, t._resume_position = t._resume_position, None
    if resume is not None:
        restore_rng_state(resume["epoch_start_rng"], gens)
    else:
        t._train_results = StageResults()
    t._epoch_start_rng = capture_rng_state(gens)
    t._epoch_done = False
    t._stage, t._results = "train", t._train_results
    module.train()
    t._call("on_train_epoch_start")
    batches = iter(loader)
    start = 0
    if resume is not None:  # replay the epoch's data order up to where the checkpoint was taken
        start = resume["batch"]
        for _ in range(start):
            next(batches)
        restore_rng_state(resume["rng"], gens)
        if t._val_due(start):
            run_validation(t)
    for batch_idx in range(start, int(min(t.num_training_batches, 2**62))):
        batch = next(batches, _END)
        if batch is _END:
            break
        t._current_batch_size = _batch_size_of(batch)
        if t._call("on_train_batch_start", batch, batch_idx) == -1:
            break
        outputs = training_step(t, batch, batch_idx)
        t.batch_in_epoch = batch_idx + 1
        t._log_step_metrics()
        t._call("on_train_batch_end", outputs, batch, batch_idx)
        if t._val_due(batch_idx + 1):
            run_validation(t)
        if t.should_stop or t._max_steps_reached():
            break
    finish_train_epoch(t)


_END = object()


def finish_train_epoch(t) -> None:
    """Epoch metrics, epoch-interval schedulers, then the on_train_epoch_end hooks."""
    t._stage, t._results = "train", t._train_results
    if t.num_training_batches == math.inf and t._val_due(None):
        run_validation(t)
    t._epoch_done = True
    t._publish(*t._train_results.epoch_metrics())
    step_schedulers(t, "epoch")
    t._call("on_train_epoch_end")
    t.current_epoch += 1
    t.batch_in_epoch = 0
    t._epoch_done = False


def training_step(t, batch, batch_idx: int):
    """Forward, loss, backward and (at the end of an accumulation group) the optimizer step."""
    module = t.module
    out = module.training_step(batch, batch_idx)
    if not module.automatic_optimization:
        return out
    loss = out["loss"] if isinstance(out, dict) else out
    if loss is None:  # the step chose to skip this batch
        return out
    value = float(loss.item())
    if not math.isfinite(value):
        t._stop_on_nonfinite(value, batch_idx)
        return out
    t._record_loss(value)
    group_size, closes_group = t._accumulation_group(batch_idx)
    # scale by the number of batches actually in this group, so a short last group counts fully
    scaled = loss / group_size if group_size > 1 else loss
    t._call("on_before_backward", scaled)
    scaled.backward()
    t._call("on_after_backward")
    if closes_group:
        optimizer_step(t)
    return out


def optimizer_step(t) -> None:
    optimizer = t.optimizers[0]
    t._call("on_before_optimizer_step", optimizer)
    t._clip_gradients()
    optimizer.step()
    optimizer.zero_grad()
    t.global_step += 1
    step_schedulers(t, "step")


def step_schedulers(t, interval: str) -> None:
    """Step every scheduler configured with this interval whose frequency is due."""
    for config in t.lr_scheduler_configs:
        if config["interval"] != interval:
            continue
        count = t.global_step if interval == "step" else t.current_epoch + 1
        if count % config["frequency"]:
            continue
        monitor = config["monitor"]
        if monitor is None:
            config["scheduler"].step()
            continue
        if monitor not in t.callback_metrics:
            if config["strict"]:
                raise RuntimeError(
                    f"ReduceLROnPlateau conditioned on metric {monitor!r} which is not "
                    f"available. Available metrics are: {sorted(t.callback_metrics)}"
                )
            continue
        config["scheduler"].step(t.callback_metrics[monitor])


def run_sanity_check(t) -> None:
    if t.num_sanity_val_steps and t.val_dataloaders and t._has_step("validation_step"):
        t._call("on_sanity_check_start")
        run_evaluation(t, "sanity_check", t.val_dataloaders, t.num_sanity_val_steps)
        t._call("on_sanity_check_end")


def run_validation(t) -> None:
    if t.val_dataloaders and t._has_step("validation_step"):
        run_evaluation(t, "validate", t.val_dataloaders, t.limit_val_batches)


def run_evaluation(t, stage: str, loaders: list, limit) -> list[dict]:
    """Validation or test over every loader under no_grad in eval mode; returns metrics."""
    hook = "test" if stage == "test" else "validation"
    module = t.module
    was_training, saved = module.training, (t._stage, t._results)
    t._stage = stage
    module.eval()
    t._call(f"on_{hook}_start")
    t._call(f"on_{hook}_epoch_start")
    step = getattr(module, f"{hook}_step")
    per_loader = [StageResults() for _ in loaders]
    with_idx = len(loaders) > 1 and _accepts_dataloader_idx(step)
    with no_grad():
        for di, loader in enumerate(loaders):
            t._results = per_loader[di]
            n = (
                limited_batches(
                    loader, limit, f"limit_{'test' if hook == 'test' else 'val'}_batches"
                )
                if stage != "sanity_check"
                else limit
            )
            for bi, batch in enumerate(loader):
                if bi >= n:
                    break
                t._current_batch_size = _batch_size_of(batch)
                t._call(f"on_{hook}_batch_start", batch, bi, di)
                out = step(batch, bi, di) if with_idx else step(batch, bi)
                t._call(f"on_{hook}_batch_end", out, batch, bi, di)
    t._call(f"on_{hook}_epoch_end")
    metrics = []
    for di, res in enumerate(per_loader):
        values, bar, log = res.epoch_metrics()
        if len(loaders) > 1:
            suffix = f"/dataloader_idx_{di}"
            values, bar, log = ({k + suffix: v for k, v in d.items()} for d in (values, bar, log))
        metrics.append(values)
        if stage != "sanity_check":
            t._publish(values, bar, log)
    t._call(f"on_{hook}_end")
    t._stage, t._results = saved
    module.train(was_training)
    return metrics


def run_predict(t, loaders: list) -> list:
    """``predict_step`` over every loader; one list of outputs per loader."""
    module = t.module
    was_training = module.training
    module.eval()
    t._stage = "predict"
    t._call("on_predict_start")
    t._call("on_predict_epoch_start")
    results = []
    with_idx = len(loaders) > 1 and _accepts_dataloader_idx(module.predict_step)
    with no_grad():
        for di, loader in enumerate(loaders):
            n = limited_batches(loader, t.limit_predict_batches, "limit_predict_batches")
            outputs = []
            for bi, batch in enumerate(loader):
                if bi >= n:
                    break
                t._call("on_predict_batch_start", batch, bi, di)
                out = (
                    module.predict_step(batch, bi, di)
                    if with_idx
                    else module.predict_step(batch, bi)
                )
                t._call("on_predict_batch_end", out, batch, bi, di)
                outputs.append(out)
            results.append(outputs)
    t._call("on_predict_epoch_end")
    t._call("on_predict_end")
    module.train(was_training)
    return results[0] if len(results) == 1 else results


def _accepts_dataloader_idx(step) -> bool:
    """Whether a ``*_step`` takes a third argument (``dataloader_idx``), as Lightning passes
    it only with several loaders."""
    import inspect

    params = [
        p
        for p in inspect.signature(step).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    return len(params) >= 3 or any(p.kind == p.VAR_POSITIONAL for p in params)
