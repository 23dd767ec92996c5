"""ember.nn.utils: clipping (vs torch), vector conversion, parametrizations, max_norm_."""

import math

import numpy as np
import pytest

import ember
from ember.nn import modules as nn
from ember.nn import utils
from ember.nn.utils import parametrizations as P


def _params_with_grads(lib, seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for shape in [(3, 4), (4,), (2, 2, 2)]:
        p = lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
        p.grad = lib.tensor(rng.standard_normal(shape).astype(np.float32) * 3)
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    ep, tp = _params_with_grads(ember), _params_with_grads(torch)
    e_total = utils.clip_grad_norm_(ep, max_norm, norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type)
    assert e_total.ndim == 0
    np.testing.assert_allclose(e_total.numpy(), t_total.numpy(), rtol=1e-5)
    for e, t in zip(ep, tp):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_edge_cases():
    assert float(utils.clip_grad_norm_([ember.zeros(2, requires_grad=True)], 1.0)) == 0.0
    p = ember.zeros(2, requires_grad=True)
    p.grad = ember.tensor([float("nan"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_():
    p = ember.zeros(3, requires_grad=True)
    p.grad = ember.tensor([-5.0, 0.5, 5.0])
    utils.clip_grad_value_([p], 1.0)
    np.testing.assert_array_equal(p.grad.numpy(), [-1.0, 0.5, 1.0])


def test_parameters_to_vector_round_trip():
    m = nn.Linear(3, 2)
    vec = utils.parameters_to_vector(m.parameters())
    assert tuple(vec.shape) == (8,)
    utils.vector_to_parameters(ember.arange(8.0), m.parameters())
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(m.bias.detach().numpy(), [6.0, 7.0])
    with pytest.raises(TypeError, match="expected ember.Tensor"):
        utils.vector_to_parameters([1.0], m.parameters())


def test_weight_norm_keys_value_and_gradients():
    m = nn.Linear(4, 3)
    w0 = m.weight.detach().numpy().copy()
    P.weight_norm(m)
    assert type(m).__name__ == "ParametrizedLinear"
    assert list(m.state_dict()) == [
        "bias",
        "parametrizations.weight.original0",
        "parametrizations.weight.original1",
    ]
    np.testing.assert_allclose(m.weight.detach().numpy(), w0, rtol=1e-6)
    m(ember.randn(2, 4)).sum().backward()
    assert m.parametrizations.weight.original0.grad is not None
    assert utils.is_parametrized(m, "weight") and not utils.is_parametrized(m, "bias")
    assert not hasattr(nn.Linear(1, 1), "parametrizations")  # the Linear class is untouched


def test_assigning_goes_through_right_inverse_and_remove():
    m = P.weight_norm(nn.Linear(2, 2))
    m.weight = ember.tensor([[3.0, 4.0], [1.0, 0.0]])
    np.testing.assert_allclose(m.parametrizations.weight.original0.detach().numpy(), [[5.0], [1.0]])
    utils.remove_parametrizations(m, "weight")
    # as in PyTorch the restored parameter is registered last
    assert type(m) is nn.Linear and list(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(m.weight.detach().numpy(), [[3.0, 4.0], [1.0, 0.0]], rtol=1e-6)


def test_spectral_norm_normalizes_largest_singular_value():
    ember.manual_seed(0)
    m = P.spectral_norm(nn.Linear(6, 5))
    assert list(m.state_dict()) == [
        "bias",
        "parametrizations.weight.original",
        "parametrizations.weight.0._u",
        "parametrizations.weight.0._v",
    ]
    for _ in range(20):
        w = m.weight
    assert np.linalg.svd(w.detach().numpy(), compute_uv=False)[0] == pytest.approx(1, rel=1e-3)
    u = m.parametrizations.weight[0]._u.numpy().copy()
    m.eval()
    m.weight
    np.testing.assert_array_equal(m.parametrizations.weight[0]._u.numpy(), u)  # frozen in eval


def test_max_norm_constraint():
    m = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    with ember.no_grad():
        m[0].weight.mul_(100)
    bias = m[0].bias.detach().numpy().copy()
    constrained = utils.max_norm_(m, 2.0)
    assert len(constrained) == 2
    assert np.all(np.linalg.norm(m[0].weight.detach().numpy(), axis=1) <= 2.0 + 1e-5)
    np.testing.assert_array_equal(m[0].bias.detach().numpy(), bias)
    t = ember.tensor([[3.0, 4.0], [0.3, 0.4]])
    utils.max_norm_([t], 1.0, dim=1)
    assert np.all(np.linalg.norm(t.numpy(), axis=0) <= 1.0 + 1e-5)


def test_parametrized_linear_forward_uses_the_parametrized_weight():
    # Linear.forward reads its parameters from _parameters; a parametrized weight is a property
    m = nn.Linear(3, 2)
    x = ember.randn(4, 3)
    P.weight_norm(m)
    with ember.no_grad():
        m.parametrizations.weight.original0.mul_(2.0)  # scale g: the weight doubles
    expected = x.numpy() @ m.weight.detach().numpy().T + m.bias.detach().numpy()
    np.testing.assert_allclose(m(x).detach().numpy(), expected, rtol=1e-5)
