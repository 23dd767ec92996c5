"""Sequence classification (LSTM vs Transformer) and collaborative filtering, on generated data.

1. Sequences of random tokens; the label says whether the motif ``1 2 3`` occurs in a row
   somewhere. Order matters (a bag of tokens cannot tell), so the models must read positions.
2. Ratings: users and items get hidden latent factors and biases; each observed rating is
   their dot product plus biases plus noise, clipped to 1..5. ``EmbeddingDotBias`` recovers
   them from 30% of the matrix; its test RMSE is compared with predicting the mean rating and
   with the noise floor.

Run: python examples/07_sequences_and_recommenders.py [--out runs/07_sequences] [--quick]
"""

from __future__ import annotations

import os
import time

import numpy as np
from _common import (
    Classifier,
    accuracy,
    cli,
    epoch_values,
    loader,
    predict,
    prepare_out_dir,
    report,
    trainer_kwargs,
)

import ember
from ember.models import EmbeddingDotBias, LSTMClassifier, TransformerClassifier
from ember.nn import functional as F
from ember.train import Trainer, TrainModule

VOCAB, LENGTH, MOTIF = 8, 16, np.array([1, 2, 3])
NOISE = 0.3  # std of the rating noise: the best achievable RMSE (before clipping)


def contains_motif(tokens: np.ndarray) -> np.ndarray:
    """``(N,)`` bool: does each row of ``tokens (N, T)`` hold MOTIF at consecutive positions?"""
    windows = np.lib.stride_tricks.sliding_window_view(tokens, len(MOTIF), axis=1)
    return (windows == MOTIF).all(axis=-1).any(axis=1)


def make_sequences(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Token ids ``(n, LENGTH)`` and labels ``(n,)``; half the rows get the motif planted."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, VOCAB, size=(n, LENGTH))
    plant = rng.random(n) < 0.5
    starts = rng.integers(0, LENGTH - len(MOTIF) + 1, size=n)
    for row in np.flatnonzero(plant):
        tokens[row, starts[row] : starts[row] + len(MOTIF)] = MOTIF
    return tokens.astype(np.int64), contains_motif(tokens).astype(np.int64)


def make_ratings(n_users: int, n_items: int, factors: int, seed: int):
    """Observed ``(user, item)`` pairs ``(M, 2)`` and ratings ``(M,)`` from hidden factors."""
    rng = np.random.default_rng(seed)
    users = rng.normal(0, 1, (n_users, factors)) / np.sqrt(factors)
    items = rng.normal(0, 1, (n_items, factors))
    scores = 3.2 + users @ items.T + rng.normal(0, 0.4, (n_users, 1)) + rng.normal(0, 0.4, n_items)
    ratings = np.clip(scores + rng.normal(0, NOISE, scores.shape), 1, 5)
    observed = np.argwhere(rng.random((n_users, n_items)) < 0.3)
    return observed.astype(np.int64), ratings[observed[:, 0], observed[:, 1]].astype(np.float32)


class RatingRegressor(TrainModule):
    """Mean squared error on ratings; logs RMSE."""

    def __init__(self, model: EmbeddingDotBias, lr: float = 0.03, weight_decay: float = 1e-4):
        super().__init__()
        self.model, self.lr, self.weight_decay = model, lr, weight_decay

    def forward(self, pairs):
        return self.model(pairs)

    def training_step(self, batch, batch_idx):
        pairs, ratings = batch
        loss = F.mse_loss(self(pairs), ratings)
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        pairs, ratings = batch
        self.log("val_mse", F.mse_loss(self(pairs), ratings))

    def configure_optimizers(self):
        return ember.optim.Adam(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)


def sequence_models(quick: bool) -> dict:
    small = (
        dict(embedding_dim=16, hidden_size=32) if quick else dict(embedding_dim=32, hidden_size=64)
    )
    return {
        "lstm": LSTMClassifier(num_classes=2, vocab_size=VOCAB, **small),
        "transformer": TransformerClassifier(
            VOCAB,
            2,
            d_model=32,
            nhead=4,
            num_layers=1 if quick else 2,
            dim_feedforward=64,
            dropout=0.0,
            max_len=LENGTH,
        ),
    }


def main(out_dir="runs/07_sequences", quick: bool = False, seed: int = 0) -> dict:
    out_dir = prepare_out_dir(out_dir)
    start = time.perf_counter()
    ember.manual_seed(seed)
    n_seq, seq_epochs, n_users, n_items, cf_epochs = (
        (256, 3, 60, 40, 20) if quick else (3000, 20, 300, 200, 20)
    )
    results, written = {}, []
    x_train, y_train = make_sequences(n_seq, seed)
    x_val, y_val = make_sequences(n_seq // 4, seed + 1)
    x_test, y_test = make_sequences(n_seq // 4, seed + 2)
    results["motif_fraction"] = float(y_train.mean())
    for name, model in sequence_models(quick).items():
        ember.manual_seed(seed)
        trainer = Trainer(
            **trainer_kwargs(os.path.join(out_dir, name), seq_epochs, enable_checkpointing=False)
        )
        trainer.fit(
            Classifier(model, lr=3e-3),
            loader(x_train, y_train, batch_size=64, shuffle=True, seed=seed),
            loader(x_val, y_val, batch_size=256),
        )
        test = ember.utils.data.TensorDataset(ember.tensor(x_test), ember.tensor(y_test))
        results[f"{name}_test_acc"] = accuracy(model, test)
        losses = epoch_values(trainer, "train_loss")
        results[f"{name}_loss_first"], results[f"{name}_loss_last"] = losses[0], losses[-1]
        written.append(trainer.logger.metrics_file_path)

    pairs, ratings = make_ratings(n_users, n_items, factors=4, seed=seed)
    order = np.random.default_rng(seed).permutation(len(pairs))
    cut = int(0.9 * len(order))
    train_idx, test_idx = order[:cut], order[cut:]
    ember.manual_seed(seed)
    recommender = EmbeddingDotBias(n_users, n_items, n_factors=8, y_range=(0.5, 5.5))
    trainer = Trainer(
        **trainer_kwargs(os.path.join(out_dir, "collab"), cf_epochs, enable_checkpointing=False)
    )
    trainer.fit(
        RatingRegressor(recommender),
        loader(pairs[train_idx], ratings[train_idx], 64 if quick else 256, shuffle=True, seed=seed),
        loader(pairs[test_idx], ratings[test_idx], 1024),
    )
    pred = predict(recommender, ember.tensor(pairs[test_idx])).numpy()
    target = ratings[test_idx]
    results["collab_rmse"] = float(np.sqrt(np.mean((pred - target) ** 2)))
    results["collab_mean_baseline_rmse"] = float(np.std(target - ratings[train_idx].mean()))
    results["collab_noise_rmse"] = NOISE
    weights = os.path.join(out_dir, "collab", "embedding_dot_bias.safetensors")
    ember.save(recommender.state_dict(), weights)
    written += [trainer.logger.metrics_file_path, weights]
    results["seconds"] = time.perf_counter() - start
    results["files"] = written
    report("sequences and recommenders", results, written)
    return results


if __name__ == "__main__":
    cli(main, "runs/07_sequences", __doc__.splitlines()[0])
