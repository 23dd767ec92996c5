"""Handwritten digits (8x8): an MLP and a CNN, augmentation, early stopping, checkpoints,
a confusion matrix and a random hyperparameter search.

Training images get small random shifts, rotations and scalings (``ember.transforms``
applied per sample in a Dataset wrapper). ``EarlyStopping`` and ``ModelCheckpoint`` both watch
``val_acc``; the best checkpoint is reloaded for the test set. ``ember.tune.random_search``
then tries a few learning rates, weight decays and widths for the MLP and prints its ranking.

Run: python examples/02_digits_classification.py [--out runs/02_digits] [--quick]
"""

from __future__ import annotations

import os
import time

from _common import (
    Classifier,
    cli,
    loader,
    predict,
    prepare_out_dir,
    report,
    subset,
    trainer_kwargs,
)

import ember
from ember import nn
from ember.datasets import load_digits
from ember.metrics import ConfusionMatrix
from ember.models import MLP
from ember.train import EarlyStopping, ModelCheckpoint, Trainer
from ember.train.plots import plot_confusion_matrix, plot_history, show_images
from ember.transforms import RandomAffine
from ember.tune import choice, loguniform, random_search
from ember.utils.data import DataLoader, Dataset


class Augmented(Dataset):
    """Applies ``transform`` to the image of every ``(image, label)`` pair of ``dataset``."""

    def __init__(self, dataset, transform):
        self.dataset, self.transform = dataset, transform

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index):
        image, label = self.dataset[index]
        return self.transform(image), label


def make_mlp(width: int = 128, dropout: float = 0.2) -> nn.Module:
    """(N, 1, 8, 8) -> flatten -> two hidden layers -> 10 logits."""
    return nn.Sequential(nn.Flatten(), MLP([64, width, width, 10], dropout=dropout))


def make_cnn(width: int = 32) -> nn.Module:
    """(N, 1, 8, 8) -> conv blocks 8x8 -> 4x4 -> 2x2 -> linear: 10 logits."""

    def block(c_in: int, c_out: int) -> list[nn.Module]:
        return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]

    return nn.Sequential(
        *block(1, width),
        *block(width, width),
        nn.MaxPool2d(2),
        *block(width, 2 * width),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(2 * width * 4, 10),
    )


def fit_and_test(
    name: str,
    model: nn.Module,
    splits,
    out_dir: str,
    epochs: int,
    lr: float,
    seed: int,
    batch_size: int = 64,
) -> tuple[dict, Trainer, Classifier]:
    """Train with augmentation, early stopping and best-checkpointing; test the best weights."""
    augment = RandomAffine(
        degrees=10,
        translate=(0.125, 0.125),
        scale=(0.9, 1.1),
        interpolation="bilinear",
        generator=ember.Generator().manual_seed(seed),
    )
    train = DataLoader(
        Augmented(splits.train, augment),
        batch_size=batch_size,
        shuffle=True,
        generator=ember.Generator().manual_seed(seed),
    )
    val = loader(*splits.val.tensors, batch_size=256)
    module = Classifier(model, lr=lr, weight_decay=1e-4)
    ckpt = ModelCheckpoint(
        dirpath=os.path.join(out_dir, name, "checkpoints"),
        monitor="val_acc",
        mode="max",
        filename=name + "-{epoch}-{val_acc:.4f}",
    )
    stop = EarlyStopping(monitor="val_acc", mode="max", patience=max(3, epochs // 3))
    trainer = Trainer(**trainer_kwargs(os.path.join(out_dir, name), epochs, callbacks=[ckpt, stop]))
    trainer.fit(module, train, val)
    test = trainer.test(
        module, loader(*splits.test.tensors, batch_size=256), ckpt_path="best", verbose=False
    )[0]
    results = {
        f"{name}_test_acc": float(test["test_acc"]),
        f"{name}_best_val_acc": float(ckpt.best_model_score),
        f"{name}_epochs": trainer.current_epoch,
        f"{name}_checkpoint": ckpt.best_model_path,
    }
    return results, trainer, module


def search(splits, out_dir: str, n_trials: int, epochs: int, seed: int):
    """Random search over the MLP's learning rate, weight decay and width (ranked by val_acc)."""
    train_loader = loader(*splits.train.tensors, batch_size=64, shuffle=True, seed=seed)
    val_loader = loader(*splits.val.tensors, batch_size=256)

    def build(config: dict):
        model = make_mlp(config["width"])
        return Classifier(model, config["lr"], config["weight_decay"]), train_loader, val_loader

    space = {
        "lr": loguniform(3e-4, 3e-2),
        "weight_decay": loguniform(1e-5, 1e-1),
        "width": choice([32, 64, 128]),
    }
    return random_search(
        build,
        space,
        n_trials=n_trials,
        max_epochs=epochs,
        monitor="val_acc",
        mode="max",
        seed=seed,
        root_dir=os.path.join(out_dir, "tune"),
        trainer_kwargs={"num_sanity_val_steps": 0},
    )


def main(out_dir="runs/02_digits", quick: bool = False, seed: int = 0) -> dict:
    out_dir = prepare_out_dir(out_dir)
    start = time.perf_counter()
    ember.manual_seed(seed)
    splits = load_digits(seed=seed)
    if quick:  # a few hundred images and a couple of epochs
        splits = splits._replace(train=subset(splits.train, 300))
    mlp_epochs, cnn_epochs, trials, trial_epochs = (2, 2, 2, 1) if quick else (40, 20, 6, 6)

    results, written = {}, []
    mlp_results, mlp_trainer, _ = fit_and_test(
        "mlp", make_mlp(), splits, out_dir, mlp_epochs, lr=3e-3, seed=seed
    )
    results.update(mlp_results)
    cnn_results, cnn_trainer, cnn = fit_and_test(
        "cnn", make_cnn(), splits, out_dir, cnn_epochs, lr=3e-3, seed=seed
    )
    results.update(cnn_results)
    written += [results["mlp_checkpoint"], results["cnn_checkpoint"]]

    # the module holds the best weights again after trainer.test(ckpt_path="best")
    x_test, y_test = splits.test.tensors
    logits = predict(cnn, x_test)
    confusion = ConfusionMatrix(task="multiclass", num_classes=10)
    confusion.update(logits, y_test)
    paths = {
        name: os.path.join(out_dir, name)
        for name in (
            "confusion_matrix.png",
            "cnn_history.png",
            "mlp_history.png",
            "cnn_predictions.png",
        )
    }
    plot_confusion_matrix(confusion.compute(), splits.classes, paths["confusion_matrix.png"])
    plot_history(cnn_trainer, paths["cnn_history.png"])
    plot_history(mlp_trainer, paths["mlp_history.png"])
    show_images(x_test[:32], y_test[:32], logits[:32].argmax(dim=1), paths["cnn_predictions.png"])
    written += list(paths.values())

    result = search(splits, out_dir, trials, trial_epochs, seed)
    results["search_best_config"] = result.best_config
    results["search_best_val_acc"] = result.best.score
    results["search_n_trials"] = len(result.trials)
    written.append(result.csv_path)
    results["seconds"] = time.perf_counter() - start
    results["files"] = written
    report("digits: MLP vs CNN", results, written)
    return results


if __name__ == "__main__":
    cli(main, "runs/02_digits", __doc__.splitlines()[0])
