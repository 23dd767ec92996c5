"""Self-supervised pretraining: an autoencoder learns the digits without labels, then its frozen
encoder feeds a classifier trained on only 20 labelled images (2 per class).

The same classifier (same encoder architecture + linear head) trained from scratch on the same
few labels is the baseline; the pretrained encoder wins clearly. Both are averaged over three
random draws of the labelled images.

Run: python examples/03_autoencoder_transfer.py [--out runs/03_autoencoder] [--quick]
"""

from __future__ import annotations

import os
import time

import numpy as np
from _common import (
    Classifier,
    accuracy,
    cli,
    loader,
    predict,
    prepare_out_dir,
    report,
    save_grid,
    subset,
    trainer_kwargs,
)

import ember
from ember import nn
from ember.datasets import load_digits
from ember.models import ConvAutoencoder
from ember.nn import functional as F
from ember.train import Trainer, TrainModule
from ember.utils.data import DataLoader, TensorDataset

CHANNELS = (32, 64)  # encoder widths: (N, 1, 8, 8) -> (N, 64, 2, 2) codes


class Reconstruct(TrainModule):
    """Trains an autoencoder to reproduce its input; labels unused.

    The autoencoder outputs logits and the loss is BCE with logits against pixels in [0, 1]:
    more stable than a sigmoid followed by BCE when outputs saturate.
    """

    def __init__(self, autoencoder: nn.Module, lr: float = 3e-3):
        super().__init__()
        self.autoencoder, self.lr = autoencoder, lr

    def forward(self, x):
        return self.autoencoder(x)

    def training_step(self, batch, batch_idx):
        x = batch[0]
        loss = F.binary_cross_entropy_with_logits(self(x), x)
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x = batch[0]
        self.log("val_loss", F.binary_cross_entropy_with_logits(self(x), x))

    def configure_optimizers(self):
        return ember.optim.Adam(self.parameters(), lr=self.lr)


def few_labels(dataset: TensorDataset, per_class: int, seed: int) -> TensorDataset:
    """``per_class`` images of each class, drawn at random."""
    x, y = dataset.tensors
    labels = y.numpy()
    rng = np.random.default_rng(seed)
    picks = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(10)]
    index = ember.tensor(np.sort(np.concatenate(picks)))
    return TensorDataset(x[index], y[index])


def head(encoder: nn.Module) -> nn.Module:
    """Encoder, then flatten and a linear layer to 10 logits."""
    return nn.Sequential(encoder, nn.Flatten(), nn.Linear(CHANNELS[-1] * 4, 10))


def train_classifier(name: str, model: nn.Module, labelled, test, out_dir, epochs, seed) -> float:
    """Fit ``model`` on the labelled images (no validation: there are too few labels)."""
    ember.manual_seed(seed)
    trainer = Trainer(
        **trainer_kwargs(os.path.join(out_dir, name), epochs, enable_checkpointing=False)
    )
    trainer.fit(
        Classifier(model, lr=3e-3, weight_decay=1e-3),
        loader(*labelled.tensors, batch_size=32, shuffle=True, seed=seed),
    )
    return accuracy(model, test)


def main(out_dir="runs/03_autoencoder", quick: bool = False, seed: int = 0) -> dict:
    out_dir = prepare_out_dir(out_dir)
    start = time.perf_counter()
    ember.manual_seed(seed)
    splits = load_digits(seed=seed)
    pretrain_set = subset(splits.train, 400 if quick else None)
    ae_epochs, clf_epochs, per_class, draws = (3, 30, 2, 1) if quick else (30, 100, 2, 3)

    autoencoder = ConvAutoencoder(1, CHANNELS, output_activation=None)
    module = Reconstruct(autoencoder)
    trainer = Trainer(
        **trainer_kwargs(os.path.join(out_dir, "pretrain"), ae_epochs, enable_checkpointing=False)
    )
    # images only: the labels never reach the autoencoder
    unlabelled = TensorDataset(pretrain_set.tensors[0])
    trainer.fit(
        module,
        DataLoader(unlabelled, batch_size=64, shuffle=True),
        DataLoader(TensorDataset(splits.val.tensors[0]), batch_size=256),
    )
    recon_loss = float(trainer.callback_metrics["val_loss"])

    x_test = splits.test.tensors[0][:16]
    grid = save_grid(
        ember.cat([x_test, predict(autoencoder, x_test).sigmoid()]),
        os.path.join(out_dir, "reconstructions.png"),
    )
    encoder_path = os.path.join(out_dir, "encoder.safetensors")
    ember.save(autoencoder.encoder.state_dict(), encoder_path)

    encoder = autoencoder.freeze_encoder()
    transfer, scratch = [], []
    for draw in range(draws):  # several random labelled subsets: small-sample results vary
        labelled = few_labels(splits.train, per_class, seed + draw)
        fresh = ConvAutoencoder(1, CHANNELS).encoder  # same architecture, random weights
        for name, features, accs in (("transfer", encoder, transfer), ("scratch", fresh, scratch)):
            run = (f"{name}_{draw}", head(features), labelled, splits.test, out_dir, clf_epochs)
            accs.append(train_classifier(*run, seed + draw))
    results = {
        "n_labels": len(labelled),
        "n_draws": draws,
        "autoencoder_val_bce": recon_loss,
        "transfer_test_acc": float(np.mean(transfer)),
        "scratch_test_acc": float(np.mean(scratch)),
        "transfer_accs": transfer,
        "scratch_accs": scratch,
        "seconds": time.perf_counter() - start,
    }
    results["files"] = [grid, encoder_path]
    report(f"autoencoder transfer with {len(labelled)} labels", results, results["files"])
    return results


if __name__ == "__main__":
    cli(main, "runs/03_autoencoder", __doc__.splitlines()[0])
