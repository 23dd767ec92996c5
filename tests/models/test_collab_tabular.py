import numpy as np
import pytest

import ember
from ember.models import EmbeddingDotBias, TabularModel
from ember.models.tabular import embedding_size_rule
from ember.nn import functional as F
from tests.models._helpers import assert_step_reduces_loss


def _ratings():
    users = ember.tensor([0, 1, 2, 3, 0, 1])
    items = ember.tensor([0, 1, 2, 3, 4, 0])
    return users, items, ember.tensor([5.0, 1.0, 4.0, 2.0, 3.0, 5.0])


def test_embedding_dot_bias_forward_forms_and_formula():
    ember.manual_seed(0)
    m = EmbeddingDotBias(4, 5, 3)
    users, items, _ = _ratings()
    out = m(users, items)
    assert out.shape == (6,)
    np.testing.assert_array_equal(
        m(ember.stack([users, items], dim=1)).detach().numpy(), out.detach().numpy()
    )
    u = m.u_weight.weight.detach().numpy()[users.numpy()]
    i = m.i_weight.weight.detach().numpy()[items.numpy()]
    bias = m.u_bias.weight.detach().numpy()[users.numpy(), 0]
    bias = bias + m.i_bias.weight.detach().numpy()[items.numpy(), 0]
    np.testing.assert_allclose(out.detach().numpy(), (u * i).sum(1) + bias, rtol=1e-5)


def test_embedding_dot_bias_y_range_and_training():
    ember.manual_seed(0)
    m = EmbeddingDotBias(4, 5, 3, y_range=(0.0, 5.5))
    users, items, target = _ratings()
    out = m(users, items).detach().numpy()
    assert (out > 0).all() and (out < 5.5).all()
    assert np.allclose(out, 2.75, atol=0.05)  # small init: sigmoid(~0) -> mid-range
    assert_step_reduces_loss(m, lambda: F.mse_loss(m(users, items), target), lr=5.0)
    with pytest.raises(ValueError, match="y_range"):
        EmbeddingDotBias(2, 2, 2, y_range=(3, 1))


def test_tabular_model_shapes_and_training():
    ember.manual_seed(0)
    m = TabularModel([3, 5], n_cont=2, out_features=1, layers=(8, 4), dropout=0.1,
                     embedding_dropout=0.1)  # fmt: skip
    assert [e.embedding_dim for e in m.embeds] == [embedding_size_rule(3), embedding_size_rule(5)]
    assert embedding_size_rule(5) == 4 and embedding_size_rule(10**6) == 600
    x_cat = ember.stack([ember.randint(0, 3, (8,)), ember.randint(0, 5, (8,))], dim=1)
    x_cont, y = ember.randn(8, 2), ember.randn(8, 1)
    assert m(x_cat, x_cont).shape == (8, 1)
    assert_step_reduces_loss(m, lambda: F.mse_loss(m(x_cat, x_cont), y), lr=0.1)


def test_tabular_model_variants_and_errors():
    m = TabularModel([], n_cont=3, out_features=2, layers=(4,), y_range=(-1.0, 1.0))
    out = m(None, ember.randn(5, 3))
    assert out.shape == (5, 2) and out.abs().max().item() < 1
    cat_only = TabularModel([4], n_cont=0, out_features=2, embedding_dims=[3], batchnorm=False)
    assert cat_only(ember.randint(0, 4, (5, 1))).shape == (5, 2)
    with pytest.raises(ValueError, match=r"expected x_cont \(N, 3\)"):
        m(None, ember.randn(5, 2))
    with pytest.raises(ValueError, match="embedding_dims"):
        TabularModel([3, 4], n_cont=1, out_features=1, embedding_dims=[2])
