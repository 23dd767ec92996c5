"""A tiny classification problem and module shared by the training-engine tests."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.train import TrainModule
from ember.utils.data import DataLoader, Dataset, TensorDataset


def make_data(n: int = 96, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    y = ((x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)).astype(np.int64)
    return x, y


class NoisyDataset(Dataset):
    """Augmentation drawn from ember's, NumPy's and Python's generators on every access."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        import random

        noise = ember.randn(4) * 0.1 + float(np.random.rand()) * 0.01 + random.random() * 0.01
        return ember.tensor(self.x[i]) + noise, int(self.y[i])


class TinyModule(TrainModule):
    def __init__(
        self, lr: float = 0.1, hidden: int = 16, dropout: float = 0.0, optimizer: str = "sgd"
    ):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.Linear(4, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 3)
        )
        self.losses: list[float] = []

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.losses.append(loss.item())
        self.log("train_loss", loss, on_epoch=True, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        out = self(x)
        self.log("val_loss", F.cross_entropy(out, y), prog_bar=True)
        self.log("val_acc", (out.argmax(1) == y).float().mean())

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test_loss", F.cross_entropy(self(x), y))

    def configure_optimizers(self):
        if self.hparams["optimizer"] == "adam":
            return ember.optim.Adam(self.parameters(), lr=self.hparams["lr"])
        return ember.optim.SGD(self.parameters(), lr=self.hparams["lr"], momentum=0.9)


def loaders(
    batch_size: int = 16,
    n: int = 96,
    shuffle: bool = True,
    noisy: bool = False,
    num_workers: int = 0,
):
    x, y = make_data(n)
    ds = NoisyDataset(x, y) if noisy else TensorDataset(ember.tensor(x), ember.tensor(y))
    vx, vy = make_data(48, seed=1)
    val = TensorDataset(ember.tensor(vx), ember.tensor(vy))
    return (
        DataLoader(ds, batch_size=batch_size, shuffle=shuffle, num_workers=num_workers),
        DataLoader(val, batch_size=24),
    )


@pytest.fixture
def quiet():
    """Trainer keyword arguments that keep test output small."""
    return {"enable_progress_bar": False, "enable_model_summary": False}
