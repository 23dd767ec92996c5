"""Embedding and one_hot: init, padding_idx, max_norm, from_pretrained, errors, torch grads."""

import numpy as np
import pytest

import ember
from ember.nn import functional as F
from ember.nn import modules as nn


def test_padding_row_starts_at_zero_and_gets_no_gradient():
    m = nn.Embedding(6, 3, padding_idx=2)
    assert np.all(m.weight.detach().numpy()[2] == 0)
    m(ember.tensor([[2, 1], [2, 2]])).sum().backward()
    g = m.weight.grad.numpy()
    assert np.all(g[2] == 0) and np.all(g[1] == 1)
    assert repr(nn.Embedding(6, 3, padding_idx=-1)) == "Embedding(6, 3, padding_idx=5)"


def test_max_norm_renormalizes_rows_in_place():
    w = ember.tensor([[3.0, 4.0], [0.3, 0.4], [6.0, 8.0]])
    m = nn.Embedding.from_pretrained(w, max_norm=1.0)
    out = m(ember.tensor([0, 1, 0]))
    norms = np.linalg.norm(m.weight.detach().numpy(), axis=1)
    np.testing.assert_allclose(norms[:2], [1.0, 0.5], rtol=1e-5)
    assert norms[2] == pytest.approx(10.0)  # not looked up: untouched
    np.testing.assert_allclose(out.numpy()[0], [0.6, 0.8], rtol=1e-5)


def test_from_pretrained_freeze():
    w = ember.randn(4, 2)
    assert not nn.Embedding.from_pretrained(w).weight.requires_grad
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="2-dimensional"):
        nn.Embedding.from_pretrained(ember.randn(4))


def test_index_errors_name_the_layer():
    with pytest.raises(IndexError, match=r"Embedding\(5, 2\): .*index out of range"):
        nn.Embedding(5, 2)(ember.tensor([1, 5]))
    with pytest.raises(IndexError, match="out of range"):
        F.embedding(ember.tensor([-1]), ember.randn(3, 2))
    with pytest.raises(RuntimeError, match="int64 or int32"):
        F.embedding(ember.tensor([1.0]), ember.randn(3, 2))


def test_one_hot():
    out = F.one_hot(ember.tensor([0, 2]), 4)
    assert out.dtype == ember.int64
    np.testing.assert_array_equal(out.numpy(), [[1, 0, 0, 0], [0, 0, 1, 0]])
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(ember.tensor([3]), 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(ember.tensor([-1]))
    with pytest.raises(RuntimeError, match="LongTensor"):
        F.one_hot(ember.tensor([1.0]))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(padding_idx=1),
        dict(scale_grad_by_freq=True),
        dict(padding_idx=0, scale_grad_by_freq=True),
    ],
)
def test_gradients_match_torch(kwargs):
    torch = pytest.importorskip("torch")
    idx = np.array([[0, 1, 1], [3, 1, 0]])
    w = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    ew, tw = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    (F.embedding(ember.tensor(idx), ew, **kwargs) ** 2).sum().backward()
    (torch.nn.functional.embedding(torch.tensor(idx), tw, **kwargs) ** 2).sum().backward()
    np.testing.assert_allclose(ew.grad.numpy(), tw.grad.numpy(), rtol=1e-6)


def test_embedding_bag_errors():
    bag = nn.EmbeddingBag(4, 2, mode="max")
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor"):
        bag(ember.tensor([0, 1]))
    with pytest.raises(ValueError, match="offsets\\[0\\] has to be 0"):
        bag(ember.tensor([0, 1]), ember.tensor([1]))
    with pytest.raises(NotImplementedError, match="per_sample_weights is only"):
        bag(ember.tensor([[0, 1]]), per_sample_weights=ember.ones(1, 2))
    with pytest.raises(IndexError, match="EmbeddingBag"):
        bag(ember.tensor([[0, 4]]))
    assert repr(bag) == "EmbeddingBag(4, 2, mode='max')"
