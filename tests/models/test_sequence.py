import math

import numpy as np
import pytest

import ember
from ember.models import GRUClassifier, LSTMClassifier, TransformerClassifier
from ember.models.sequence import sinusoidal_positions
from ember.nn import functional as F
from tests.models._helpers import assert_step_reduces_loss


def _padded_tokens():
    tokens = ember.randint(1, 10, (3, 6))
    tokens[0, 4:] = 0
    tokens[2, 2:] = 0
    return tokens


@pytest.mark.parametrize("cls", [LSTMClassifier, GRUClassifier])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_recurrent_shapes_and_padding(cls, bidirectional, pooling):
    ember.manual_seed(0)
    m = cls(3, vocab_size=10, embedding_dim=4, hidden_size=5, num_layers=2,
            bidirectional=bidirectional, pooling=pooling, padding_idx=0)  # fmt: skip
    m.eval()
    tokens = _padded_tokens()
    out = m(tokens)
    assert out.shape == (3, 3)
    lengths = (tokens != 0).sum(dim=1)
    changed = tokens.clone()
    changed[0, 4:] = 7
    changed[2, 2:] = 3
    moved = m(changed, lengths=lengths)
    if not bidirectional:
        # right padding after the last valid step cannot reach a forward RNN's state there
        np.testing.assert_allclose(moved.detach().numpy(), out.detach().numpy(), atol=1e-5)
    # the full-length row 1 is unaffected either way
    np.testing.assert_allclose(moved[1].detach().numpy(), out[1].detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("cls", [LSTMClassifier, GRUClassifier])
def test_recurrent_continuous_input_training(cls):
    ember.manual_seed(0)
    m = cls(2, input_size=4, hidden_size=6, pooling="mean")
    x, y = ember.randn(4, 5, 4), ember.randint(0, 2, (4,))
    assert m(x).shape == (4, 2)
    assert_step_reduces_loss(m, lambda: F.cross_entropy(m(x), y), lr=0.5)
    with pytest.raises(ValueError, match=r"expected input \(N, T, 4\)"):
        m(ember.randn(4, 5, 3))
    with pytest.raises(ValueError, match="exactly one of vocab_size"):
        cls(2, vocab_size=5, input_size=4)


def test_last_state_equals_final_output_step():
    ember.manual_seed(0)
    m = LSTMClassifier(2, input_size=3, hidden_size=4)
    x = ember.randn(2, 5, 3)
    out, _ = m.rnn(x)
    expected = m.fc(out[:, -1])
    np.testing.assert_allclose(m(x).detach().numpy(), expected.detach().numpy(), atol=1e-6)


def test_sinusoidal_positions_values():
    pe = sinusoidal_positions(6, 4).numpy()
    p, i = 3, 1
    assert np.isclose(pe[p, 2 * i], math.sin(p / 10000 ** (2 * i / 4)), atol=1e-6)
    assert np.isclose(pe[p, 2 * i + 1], math.cos(p / 10000 ** (2 * i / 4)), atol=1e-6)
    with pytest.raises(ValueError, match="even"):
        sinusoidal_positions(4, 3)


@pytest.mark.parametrize("positional", ["learned", "sinusoidal"])
@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_transformer_shapes_padding_and_training(positional, pooling):
    ember.manual_seed(0)
    m = TransformerClassifier(10, 3, d_model=8, nhead=2, num_layers=1, max_len=8,
                              positional=positional, pooling=pooling, padding_idx=0)  # fmt: skip
    tokens = _padded_tokens()
    m.eval()
    out = m(tokens)
    assert out.shape == (3, 3)
    changed = tokens.clone()
    changed[0, 4:] = 7
    changed[2, 2:] = 3
    mask = tokens == 0
    np.testing.assert_allclose(
        m(changed, padding_mask=mask).detach().numpy(), out.detach().numpy(), atol=1e-5
    )
    m.train()
    y = ember.randint(0, 3, (3,))
    assert_step_reduces_loss(m, lambda: F.cross_entropy(m(tokens), y), lr=0.1)


def test_transformer_errors():
    m = TransformerClassifier(10, 2, d_model=8, nhead=2, num_layers=1, max_len=4, pooling="cls")
    with pytest.raises(ValueError, match="max_len=4"):
        m(ember.randint(0, 10, (2, 4)))  # 4 tokens + the cls token do not fit
    with pytest.raises(ValueError, match="pooling"):
        TransformerClassifier(10, 2, pooling="max")
