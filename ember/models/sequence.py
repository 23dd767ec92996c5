"""Sequence classifiers: recurrent (:class:`LSTMClassifier`, :class:`GRUClassifier`) and
:class:`TransformerClassifier`. All take batch-first input."""

from __future__ import annotations

import math

import ember
from ember import nn
from ember._tensor import Tensor
from ember.models._common import check_positive

__all__ = ["LSTMClassifier", "GRUClassifier", "TransformerClassifier", "sinusoidal_positions"]


def _lengths_from_padding(tokens: Tensor, padding_idx: int | None) -> Tensor | None:
    # right-padded sequences: the length is the count of non-padding tokens
    if padding_idx is None:
        return None
    return (tokens != padding_idx).sum(dim=1)


def _masked_mean(x: Tensor, keep: Tensor) -> Tensor:
    """Mean of ``x (N, T, D)`` over T where ``keep (N, T)`` is true (at least one per row)."""
    weights = keep.to(x.dtype).unsqueeze(-1)
    return (x * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


class _RecurrentClassifier(nn.Module):
    """Shared body of the recurrent classifiers; ``rnn_cls`` is ``nn.LSTM`` or ``nn.GRU``."""

    rnn_cls: type[nn.Module] = nn.LSTM

    def __init__(
        self,
        num_classes: int,
        vocab_size: int | None = None,
        input_size: int | None = None,
        embedding_dim: int = 128,
        hidden_size: int = 128,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        pooling: str = "last",
        padding_idx: int | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if (vocab_size is None) == (input_size is None):
            raise ValueError(
                f"{name}: give exactly one of vocab_size (token input) or input_size "
                f"(continuous input), got vocab_size={vocab_size}, input_size={input_size}"
            )
        if pooling not in ("last", "mean"):
            raise ValueError(f"{name}: pooling must be 'last' or 'mean', got {pooling!r}")
        check_positive(name, num_classes=num_classes, hidden_size=hidden_size)
        self.pooling = pooling
        self.padding_idx = padding_idx
        self.num_directions = 2 if bidirectional else 1
        self.hidden_size = hidden_size
        if vocab_size is not None:
            self.embedding: nn.Module | None = nn.Embedding(
                vocab_size, embedding_dim, padding_idx=padding_idx
            )
            rnn_in = embedding_dim
        else:
            self.embedding = None
            rnn_in = input_size
        self.input_size = rnn_in
        self.rnn = self.rnn_cls(
            rnn_in,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size * self.num_directions, num_classes)

    def _embed(self, x: Tensor) -> Tensor:
        name = type(self).__name__
        if self.embedding is not None:
            if x.ndim != 2:
                raise ValueError(f"{name}: expected token ids (N, T), got shape {tuple(x.shape)}")
            return self.embedding(x)
        if x.ndim != 3 or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input (N, T, {self.input_size}), got shape {tuple(x.shape)}"
            )
        return x

    def _last(self, out: Tensor, h_n: Tensor, lengths: Tensor | None) -> Tensor:
        if lengths is None:
            # h_n: (num_layers * directions, N, H); keep the top layer's directions
            return ember.cat(list(h_n[-self.num_directions :]), dim=1)
        rows = ember.arange(out.shape[0])
        fwd = out[rows, lengths.long() - 1, : self.hidden_size]
        if self.num_directions == 1:
            return fwd
        # the reverse direction ends its sweep at t = 0
        return ember.cat([fwd, out[:, 0, self.hidden_size :]], dim=1)

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        if lengths is None and self.embedding is not None:
            lengths = _lengths_from_padding(x, self.padding_idx)
        out, state = self.rnn(self._embed(x))
        if self.pooling == "mean":
            if lengths is None:
                feats = out.mean(dim=1)
            else:
                keep = ember.arange(out.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)
                feats = _masked_mean(out, keep)
        else:
            h_n = state[0] if isinstance(state, tuple) else state
            feats = self._last(out, h_n, lengths)
        return self.fc(self.dropout(feats))


_RECURRENT_DOC = """{kind} sequence classifier: [embedding] -> {kind} -> pooling -> linear.

    Args:
        num_classes: output classes.
        vocab_size: token vocabulary (input is token ids); or
        input_size: features per step (input is continuous). Give exactly one.
        embedding_dim: token embedding size. Default: 128.
        hidden_size, num_layers, bidirectional, dropout: as for ``nn.{kind}``.
        pooling: ``"last"`` (final hidden state, concatenating directions) or ``"mean"``
            (mean of the outputs over valid steps). Default: ``"last"``.
        padding_idx: padding token; sequences are then taken as right-padded and their
            lengths counted from it when ``lengths`` is not passed.

    Shape:
        - Input: ``(N, T)`` token ids or ``(N, T, input_size)``; optional ``lengths (N,)``.
        - Output: ``(N, num_classes)`` logits.
    """


class LSTMClassifier(_RecurrentClassifier):
    __doc__ = _RECURRENT_DOC.format(kind="LSTM")
    rnn_cls = nn.LSTM


class GRUClassifier(_RecurrentClassifier):
    __doc__ = _RECURRENT_DOC.format(kind="GRU")
    rnn_cls = nn.GRU


def sinusoidal_positions(max_len: int, d_model: int) -> Tensor:
    """Fixed encodings ``pe[p, 2i] = sin(p / 10000^(2i/d))``, ``pe[p, 2i+1] = cos(...)``.

    Shape:
        - Output: ``(max_len, d_model)``, d_model even.
    """
    if d_model % 2:
        raise ValueError(f"sinusoidal_positions: d_model must be even, got {d_model}")
    position = ember.arange(max_len, dtype=ember.float32).unsqueeze(1)
    freq = (ember.arange(0, d_model, 2, dtype=ember.float32) * (-math.log(10000.0) / d_model)).exp()
    angles = position * freq  # (max_len, d_model / 2)
    return ember.stack([angles.sin(), angles.cos()], dim=-1).reshape(max_len, d_model)


class TransformerClassifier(nn.Module):
    """Token + positional embeddings -> ``nn.TransformerEncoder`` -> pooling -> linear.

    Args:
        vocab_size: token vocabulary.
        num_classes: output classes.
        d_model: model width. Default: 64.
        nhead: attention heads. Default: 4.
        num_layers: encoder layers. Default: 2.
        dim_feedforward: feed-forward width; None means ``4 * d_model``.
        dropout: dropout in the encoder. Default: 0.1.
        max_len: longest sequence (positions). Default: 512.
        positional: ``"learned"`` (an ``nn.Embedding`` of positions) or ``"sinusoidal"``.
        pooling: ``"mean"`` (over non-padding tokens) or ``"cls"`` (a learned token prepended
            to every sequence; its output is used). Default: ``"mean"``.
        padding_idx: padding token; when given and no ``padding_mask`` is passed, the mask
            is ``tokens == padding_idx``.

    Shape:
        - Input: ``tokens (N, T)`` with ``T <= max_len`` (``max_len - 1`` with cls pooling);
          optional ``padding_mask (N, T)`` bool, True at padding.
        - Output: ``(N, num_classes)`` logits.
    """

    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        d_model: int = 64,
        nhead: int = 4,
        num_layers: int = 2,
        dim_feedforward: int | None = None,
        dropout: float = 0.1,
        max_len: int = 512,
        positional: str = "learned",
        pooling: str = "mean",
        padding_idx: int | None = None,
    ) -> None:
        super().__init__()
        check_positive("TransformerClassifier", vocab_size=vocab_size, num_classes=num_classes)
        if positional not in ("learned", "sinusoidal"):
            raise ValueError(
                f"TransformerClassifier: positional must be 'learned' or 'sinusoidal', "
                f"got {positional!r}"
            )
        if pooling not in ("mean", "cls"):
            raise ValueError(
                f"TransformerClassifier: pooling must be 'mean' or 'cls', got {pooling!r}"
            )
        self.pooling, self.padding_idx, self.max_len = pooling, padding_idx, max_len
        self.token_embedding = nn.Embedding(vocab_size, d_model, padding_idx=padding_idx)
        if positional == "learned":
            self.pos_embedding: nn.Module | None = nn.Embedding(max_len, d_model)
        else:
            self.pos_embedding = None
            self.register_buffer("pe", sinusoidal_positions(max_len, d_model), persistent=False)
        if pooling == "cls":
            self.cls_token = nn.Parameter(ember.zeros(1, 1, d_model))
        layer = nn.TransformerEncoderLayer(
            d_model,
            nhead,
            dim_feedforward=dim_feedforward or 4 * d_model,
            dropout=dropout,
            batch_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.fc = nn.Linear(d_model, num_classes)

    def forward(self, tokens: Tensor, padding_mask: Tensor | None = None) -> Tensor:
        total = tokens.shape[-1] + (self.pooling == "cls")
        if tokens.ndim != 2 or total > self.max_len:
            raise ValueError(
                f"TransformerClassifier(max_len={self.max_len}): expected tokens (N, T) with "
                f"{'cls token + ' if self.pooling == 'cls' else ''}T <= max_len, "
                f"got {tuple(tokens.shape)}"
            )
        if padding_mask is None and self.padding_idx is not None:
            padding_mask = tokens == self.padding_idx
        x = self.token_embedding(tokens)
        n = x.shape[0]
        if self.pooling == "cls":
            x = ember.cat([self.cls_token.expand(n, 1, x.shape[-1]), x], dim=1)
            if padding_mask is not None:
                padding_mask = ember.cat([ember.zeros(n, 1, dtype=ember.bool), padding_mask], 1)
        if self.pos_embedding is not None:
            x = x + self.pos_embedding(ember.arange(total))
        else:
            x = x + self.pe[:total]
        x = self.encoder(x, src_key_padding_mask=padding_mask)
        if self.pooling == "cls":
            feats = x[:, 0]
        elif padding_mask is None:
            feats = x.mean(dim=1)
        else:
            feats = _masked_mean(x, padding_mask.logical_not())
        return self.fc(feats)
