"""Normalization, dropout, embedding and parametrized modules against PyTorch: load the torch
state_dict, then compare outputs, input/parameter gradients and running buffers over a few
training steps."""

import numpy as np
import pytest

import ember
from ember.nn import modules as enn
from ember.nn.utils import parametrizations as eP

torch = pytest.importorskip("torch")
tnn = torch.nn


def _load(e, t):
    e.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})


def _perturb(t):
    """Non-trivial affine parameters so they matter in the comparison."""
    with torch.no_grad():
        for p in t.parameters():
            p.add_(torch.randn(p.shape) * 0.3)


CASES = [
    ("BatchNorm1d", (3,), {}, (6, 3)),
    ("BatchNorm1d", (3,), dict(momentum=None), (4, 3, 5)),
    ("BatchNorm2d", (4,), {}, (3, 4, 3, 3)),
    ("BatchNorm2d", (4,), dict(bias=False, momentum=0.3), (3, 4, 2, 2)),
    ("BatchNorm2d", (4,), dict(affine=False, track_running_stats=False), (3, 4, 2, 2)),
    ("InstanceNorm1d", (3,), dict(affine=True, track_running_stats=True), (2, 3, 6)),
    ("InstanceNorm2d", (2,), {}, (2, 2, 3, 3)),
    ("LayerNorm", ((3, 4),), {}, (2, 3, 4)),
    ("LayerNorm", (5,), dict(bias=False), (3, 5)),
    ("LayerNorm", (5,), dict(elementwise_affine=False), (3, 5)),
    ("GroupNorm", (2, 4), {}, (3, 4, 5)),
    ("GroupNorm", (3, 6), dict(bias=False), (2, 6, 2, 2)),
    ("LocalResponseNorm", (3,), {}, (2, 5, 3)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", CASES, ids=lambda v: str(v))
def test_module_parity_over_training_steps(name, args, kwargs, shape):
    torch.manual_seed(0)
    t = getattr(tnn, name)(*args, **kwargs)
    e = getattr(enn, name)(*args, **kwargs)
    _perturb(t)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    _load(e, t)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = (rng.standard_normal(shape) * 2 + 0.5).astype(np.float32)
        ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ey, ty = e(ex), t(tx)
        np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
        w = rng.standard_normal(shape).astype(np.float32)
        (ey * ember.tensor(w)).sum().backward()
        (ty * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
        for (n, ep), tp in zip(e.named_parameters(), t.parameters()):
            np.testing.assert_allclose(
                ep.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=n
            )
        for (n, eb), tb in zip(e.named_buffers(), t.buffers()):
            np.testing.assert_allclose(eb.numpy(), tb.numpy(), rtol=1e-5, atol=1e-6, err_msg=n)
    e.eval()
    t.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    ey, ty = e(ember.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls", ["Dropout", "Dropout1d", "Dropout2d", "AlphaDropout"])
def test_dropout_repr_and_eval_identity(cls):
    e, t = getattr(enn, cls)(0.25), getattr(tnn, cls)(0.25)
    assert repr(e) == repr(t)
    e.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    np.testing.assert_array_equal(e(ember.tensor(x)).numpy(), x)


def test_embedding_parity():
    t = tnn.Embedding(7, 3, padding_idx=2, max_norm=1.5)
    e = enn.Embedding(7, 3, padding_idx=2, max_norm=1.5)
    assert repr(e) == repr(t)
    _load(e, t)
    idx = np.array([[0, 2, 4], [4, 6, 2]])
    ey, ty = e(ember.tensor(idx)), t(torch.tensor(idx))
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-6)
    (ey**2).sum().backward()
    (ty**2).sum().backward()
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5)


@pytest.mark.parametrize("kind", ["weight_norm", "weight_norm_dim1", "spectral_norm"])
def test_parametrized_linear_parity(kind):
    torch.manual_seed(0)
    t, e = tnn.Linear(5, 4), enn.Linear(5, 4)
    if kind == "spectral_norm":
        tnn.utils.parametrizations.spectral_norm(t)
        eP.spectral_norm(e)
    else:
        dim = 1 if kind.endswith("dim1") else 0
        tnn.utils.parametrizations.weight_norm(t, dim=dim)
        eP.weight_norm(e, dim=dim)
    assert list(e.state_dict()) == list(t.state_dict())
    assert repr(e) == repr(t)
    _load(e, t)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.standard_normal((3, 5)).astype(np.float32)
        ey, ty = e(ember.tensor(x)), t(torch.tensor(x))
        np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
        ey.sum().backward()
        ty.sum().backward()
        for (n, ep), tp in zip(e.named_parameters(), t.parameters()):
            np.testing.assert_allclose(
                ep.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=n
            )
    for (n, eb), tb in zip(e.named_buffers(), t.buffers()):
        np.testing.assert_allclose(eb.numpy(), tb.numpy(), rtol=1e-4, atol=1e-6, err_msg=n)


BAGS = [
    dict(input=[[0, 2, 2], [5, 1, 3]]),
    dict(input=[0, 2, 4, 5, 4, 3, 2, 2], offsets=[0, 3, 3, 6]),  # an empty bag
    dict(input=[0, 2, 4, 5, 4, 3, 2, 2], offsets=[0, 3, 3, 8], include_last_offset=True),
]


@pytest.mark.parametrize("padding_idx", [None, 2])
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("bag", BAGS, ids=["2d", "offsets", "last_offset"])
def test_embedding_bag_parity(bag, mode, padding_idx):
    kw = dict(
        mode=mode,
        padding_idx=padding_idx,
        include_last_offset=bag.get("include_last_offset", False),
    )
    t, e = tnn.EmbeddingBag(6, 3, **kw), enn.EmbeddingBag(6, 3, **kw)
    assert repr(e) == repr(t)
    _load(e, t)
    idx, off = np.array(bag["input"]), bag.get("offsets")
    ey = e(ember.tensor(idx), None if off is None else ember.tensor(np.array(off)))
    ty = t(torch.tensor(idx), None if off is None else torch.tensor(np.array(off)))
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    (ey**2).sum().backward()
    (ty**2).sum().backward()
    np.testing.assert_allclose(e.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_embedding_bag_per_sample_weights_parity():
    t, e = tnn.EmbeddingBag(5, 2, mode="sum"), enn.EmbeddingBag(5, 2, mode="sum")
    _load(e, t)
    idx, off = np.array([1, 2, 4, 4, 0]), np.array([0, 2])
    psw = np.array([0.5, 2.0, -1.0, 1.5, 3.0], np.float32)
    ep, tp = ember.tensor(psw, requires_grad=True), torch.tensor(psw, requires_grad=True)
    ey = e(ember.tensor(idx), ember.tensor(off), per_sample_weights=ep)
    ty = t(torch.tensor(idx), torch.tensor(off), per_sample_weights=tp)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    ey.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), rtol=1e-6)
