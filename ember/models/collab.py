"""Collaborative filtering: :class:`EmbeddingDotBias` (matrix factorisation with biases)."""

from __future__ import annotations

from ember import nn
from ember._tensor import Tensor
from ember.models._common import check_positive, check_y_range, sigmoid_range

__all__ = ["EmbeddingDotBias"]


class EmbeddingDotBias(nn.Module):
    """Predict a rating as ``u_weight[u] . i_weight[i] + u_bias[u] + i_bias[i]``.

    With ``y_range=(low, high)`` the score is squashed by ``sigmoid(x) * (high - low) + low``
    (as fastai does; a slightly wider range than the ratings, e.g. ``(0, 5.5)``, helps).
    Embeddings start ``N(0, 0.01)``.

    Args:
        n_users: number of users.
        n_items: number of items.
        n_factors: latent factors per user/item.
        y_range: optional ``(low, high)`` output range.

    Shape:
        - Input: ``x (N, 2)`` of ``[user, item]`` ids, or ``users (N,)`` and ``items (N,)``.
        - Output: ``(N,)`` predicted ratings.
    """

    def __init__(
        self,
        n_users: int,
        n_items: int,
        n_factors: int,
        y_range: tuple[float, float] | None = None,
    ) -> None:
        super().__init__()
        check_positive("EmbeddingDotBias", n_users=n_users, n_items=n_items, n_factors=n_factors)
        self.y_range = check_y_range(y_range, "EmbeddingDotBias")
        self.u_weight = nn.Embedding(n_users, n_factors)
        self.i_weight = nn.Embedding(n_items, n_factors)
        self.u_bias = nn.Embedding(n_users, 1)
        self.i_bias = nn.Embedding(n_items, 1)
        for emb in (self.u_weight, self.i_weight, self.u_bias, self.i_bias):
            nn.init.normal_(emb.weight, 0.0, 0.01)

    def forward(self, users: Tensor, items: Tensor | None = None) -> Tensor:
        if items is None:
            if users.ndim != 2 or users.shape[1] != 2:
                raise ValueError(
                    f"EmbeddingDotBias: expected ids of shape (N, 2), got {tuple(users.shape)}"
                )
            users, items = users[:, 0], users[:, 1]
        dot = (self.u_weight(users) * self.i_weight(items)).sum(dim=-1)
        score = dot + self.u_bias(users).squeeze(-1) + self.i_bias(items).squeeze(-1)
        return sigmoid_range(score, self.y_range)
