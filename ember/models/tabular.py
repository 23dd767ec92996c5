"""Tabular data: :class:`TabularModel` (categorical embeddings + continuous features -> MLP)."""

from __future__ import annotations

from collections.abc import Sequence

import ember
from ember import nn
from ember._tensor import Tensor
from ember.models._common import check_positive, check_y_range, sigmoid_range
from ember.models.mlp import MLP

__all__ = ["TabularModel", "embedding_size_rule"]


def embedding_size_rule(cardinality: int) -> int:
    """fastai's default embedding width: ``min(600, round(1.6 * cardinality ** 0.56))``."""
    return min(600, round(1.6 * cardinality**0.56))


class TabularModel(nn.Module):
    """Embed each categorical column, batch-normalise the continuous ones, concatenate, MLP.

    Args:
        cardinalities: number of categories of each categorical column (ids ``0..c-1``).
        n_cont: number of continuous columns.
        out_features: outputs (classes or regression targets).
        layers: hidden widths of the MLP. Default: ``(200, 100)``.
        embedding_dims: width per categorical column; None uses :func:`embedding_size_rule`.
        dropout: dropout after each hidden layer. Default: 0.
        embedding_dropout: dropout on the concatenated embeddings. Default: 0.
        batchnorm: BatchNorm1d on continuous inputs and in the hidden layers. Default: True.
        y_range: optional ``(low, high)``; outputs go through a scaled sigmoid.

    Shape:
        - Input: ``x_cat (N, len(cardinalities))`` int ids, ``x_cont (N, n_cont)`` floats
          (either may have zero columns; pass None for an empty one).
        - Output: ``(N, out_features)``.
    """

    def __init__(
        self,
        cardinalities: Sequence[int],
        n_cont: int,
        out_features: int,
        layers: Sequence[int] = (200, 100),
        embedding_dims: Sequence[int] | None = None,
        dropout: float = 0.0,
        embedding_dropout: float = 0.0,
        batchnorm: bool = True,
        y_range: tuple[float, float] | None = None,
    ) -> None:
        super().__init__()
        cards = [int(c) for c in cardinalities]
        dims = (
            [embedding_size_rule(c) for c in cards]
            if embedding_dims is None
            else list(embedding_dims)
        )
        if len(dims) != len(cards):
            raise ValueError(
                f"TabularModel: {len(cards)} cardinalities but {len(dims)} embedding_dims"
            )
        if n_cont < 0 or (not cards and n_cont == 0):
            raise ValueError(
                f"TabularModel: need categorical or continuous columns, got {len(cards)} and "
                f"n_cont={n_cont}"
            )
        check_positive("TabularModel", out_features=out_features)
        self.n_cat, self.n_cont = len(cards), n_cont
        self.y_range = check_y_range(y_range, "TabularModel")
        self.embeds = nn.ModuleList([nn.Embedding(c, d) for c, d in zip(cards, dims)])
        self.emb_drop = nn.Dropout(embedding_dropout)
        self.bn_cont = nn.BatchNorm1d(n_cont) if batchnorm and n_cont > 0 else None
        sizes = [sum(dims) + n_cont, *layers, out_features]
        self.layers = MLP(sizes, dropout=dropout, batchnorm=batchnorm)

    def forward(self, x_cat: Tensor | None, x_cont: Tensor | None = None) -> Tensor:
        parts = []
        if self.n_cat:
            if x_cat is None or x_cat.ndim != 2 or x_cat.shape[1] != self.n_cat:
                got = None if x_cat is None else tuple(x_cat.shape)
                raise ValueError(f"TabularModel: expected x_cat (N, {self.n_cat}), got {got}")
            embs = [emb(x_cat[:, i]) for i, emb in enumerate(self.embeds)]
            parts.append(self.emb_drop(ember.cat(embs, dim=1)))
        if self.n_cont:
            if x_cont is None or x_cont.ndim != 2 or x_cont.shape[1] != self.n_cont:
                got = None if x_cont is None else tuple(x_cont.shape)
                raise ValueError(f"TabularModel: expected x_cont (N, {self.n_cont}), got {got}")
            parts.append(x_cont if self.bn_cont is None else self.bn_cont(x_cont))
        x = parts[0] if len(parts) == 1 else ember.cat(parts, dim=1)
        return sigmoid_range(self.layers(x), self.y_range)
