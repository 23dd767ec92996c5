"""``ember demo``: the whole job on built-in data, in well under a minute on two cores.

A small CNN learns scikit-learn's 8x8 handwritten digits with a progress bar, early stopping
and a best checkpoint; the best weights are tested, and the run folder gets the metrics CSV,
TensorBoard event files (when ember's TensorBoardLogger is present), loss curves and a
confusion matrix. Needs the extras ``datasets`` and ``plot``: ``pip install ember[datasets,plot]``.
"""

from __future__ import annotations

import contextlib
import os

from ember import nn


def digits_cnn(width: int = 16, num_classes: int = 10) -> nn.Sequential:
    """Three 3x3 conv-BN-ReLU stages (8x8 -> 8x8 -> 4x4 -> 2x2) and a linear classifier.

    Shape:
        - Input: ``(N, 1, 8, 8)``.
        - Output: ``(N, num_classes)`` logits.
    """

    def stage(c_in: int, c_out: int, pool: bool) -> list[nn.Module]:
        layers = [
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
        ]
        return layers + [nn.MaxPool2d(2)] if pool else layers

    return nn.Sequential(
        *stage(1, width, pool=False),
        *stage(width, 2 * width, pool=True),
        *stage(2 * width, 4 * width, pool=True),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(4 * width * 2 * 2, num_classes),
    )


def _loggers(out: str) -> list:
    """A CSVLogger, plus a TensorBoardLogger sharing its folder when ember has one."""
    from ember.train import CSVLogger

    csv = CSVLogger(out, name="")
    try:
        from ember.train.loggers.tensorboard import TensorBoardLogger
    except ImportError:
        return [csv]
    return [csv, TensorBoardLogger(out, name="", version=csv.version)]


def _confusion_matrix(model, dataset, num_classes: int):
    from ember.autograd.grad_mode import no_grad
    from ember.metrics import ConfusionMatrix

    x, y = dataset.tensors
    model.eval()
    with no_grad():
        logits = model(x)
    metric = ConfusionMatrix(task="multiclass", num_classes=num_classes)
    metric.update(logits, y)
    return metric.compute()


def _one_blas_thread():
    """Limit BLAS to one thread while the demo runs.

    Its matrices are small (at most 4096 x 288 @ 288 x 64), so a second BLAS thread gains
    little on an idle machine, while on a busy one spin-waiting BLAS threads made each epoch
    5-20x slower in our runs. threadpoolctl comes with scikit-learn, which the demo needs.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def run_demo(out: str = "runs/demo", epochs: int = 20, seed: int = 0, width: int = 16) -> dict:
    """Train, test and plot; returns ``{"test_acc", "epochs", "run_dir", "best_checkpoint",
    "stop_reason", "files"}``.

    Args:
        out: parent folder; each run writes a fresh ``version_<N>`` folder in it.
        epochs: the most epochs to train (early stopping may end sooner).
        seed: seeds the data split, the initial weights and the shuffling.
        width: channels of the first convolution (doubled in each later stage).
    """
    if epochs < 1:
        raise ValueError(f"run_demo: epochs must be >= 1, got {epochs}")
    with _one_blas_thread():
        return _run(out, epochs, seed, width)


def _run(out: str, epochs: int, seed: int, width: int) -> dict:
    from ember._cli.task import SupervisedModule
    from ember.datasets import load_digits
    from ember.optim import AdamW
    from ember.optim.lr_scheduler import CosineAnnealingLR
    from ember.train import EarlyStopping, ModelCheckpoint, ProgressBar, Trainer, seed_everything
    from ember.train.plots import plot_confusion_matrix, plot_history
    from ember.utils.data import DataLoader

    seed_everything(seed)
    data = load_digits(seed=seed)
    module = SupervisedModule(
        digits_cnn(width, len(data.classes)),
        num_classes=len(data.classes),
        optimizer=lambda params: AdamW(params, lr=3e-3, weight_decay=1e-4),
        scheduler=lambda opt: CosineAnnealingLR(opt, T_max=epochs),
    )
    checkpoint = ModelCheckpoint(
        monitor="val_acc", mode="max", filename="best-{epoch}-{val_acc:.4f}"
    )
    trainer = Trainer(
        max_epochs=epochs,
        callbacks=[ProgressBar(), EarlyStopping(monitor="val_loss", patience=4), checkpoint],
        logger=_loggers(out),
        default_root_dir=out,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    trainer.fit(
        module,
        DataLoader(data.train, batch_size=64, shuffle=True),
        DataLoader(data.val, batch_size=256),
    )
    # the test and the pictures use the best checkpoint's weights
    tested = trainer.test(
        module,
        DataLoader(data.test, batch_size=256),
        ckpt_path=checkpoint.best_model_path or None,
        verbose=False,
    )
    for lg in trainer.loggers:
        lg.save()
    run_dir = trainer.log_dir
    plot_history(trainer, path=os.path.join(run_dir, "loss_curves.png"))
    matrix = _confusion_matrix(module, data.test, len(data.classes))
    plot_confusion_matrix(matrix, data.classes, path=os.path.join(run_dir, "confusion_matrix.png"))
    files = sorted(os.path.join(root, f) for root, _, names in os.walk(run_dir) for f in names)
    return {
        "test_acc": tested[0]["test_acc"],
        "epochs": trainer.current_epoch,
        "run_dir": run_dir,
        "best_checkpoint": checkpoint.best_model_path,
        "stop_reason": trainer.stop_reason,
        "files": files,
    }
