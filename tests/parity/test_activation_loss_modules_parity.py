"""Activation and loss modules against PyTorch: repr, attributes, state_dict, outputs, gradients."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.modules as emods

torch = pytest.importorskip("torch")


def _x(*shape, scale=1.0):
    return lambda rng: rng.standard_normal(shape) * scale


def _pos(*shape):
    return lambda rng: rng.uniform(0.5, 2.0, shape)


def _cls(n, *shape):
    return lambda rng: rng.integers(0, n, shape).astype(np.int64)


def _unit(*shape):
    return lambda rng: rng.uniform(0.05, 0.95, shape)


def _sign(*shape):
    return lambda rng: rng.choice([-1.0, 1.0], shape)


W4 = np.array([0.5, 1.0, 2.0, 1.5])

# (class name, constructor kwargs (ndarrays become tensors), input makers, indices needing grad)
ACTIVATIONS = [
    ("ReLU", {}), ("ReLU", {"inplace": True}), ("ReLU6", {}), ("ReLU6", {"inplace": True}),
    ("LeakyReLU", {"negative_slope": 0.2}), ("LeakyReLU", {"inplace": True}),
    ("ELU", {"alpha": 2}), ("ELU", {"alpha": 0.5, "inplace": True}), ("SELU", {}),
    ("CELU", {"alpha": 2.0}), ("GELU", {}), ("GELU", {"approximate": "tanh"}), ("SiLU", {}),
    ("Mish", {"inplace": True}), ("Softplus", {"beta": 2, "threshold": 10}), ("Softsign", {}),
    ("Hardtanh", {"min_val": -2, "max_val": 2}), ("Hardtanh", {"inplace": True}),
    ("Hardsigmoid", {}), ("Hardswish", {"inplace": True}), ("Sigmoid", {}), ("Tanh", {}),
    ("LogSigmoid", {}), ("PReLU", {}), ("PReLU", {"num_parameters": 3, "init": 0.1}),
    ("GLU", {}), ("GLU", {"dim": 2}), ("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": -1}),
    ("Softmin", {"dim": 0}),
]

LOSSES = [
    ("MSELoss", {}, [_x(3, 4), _x(3, 4)], (0, 1)),
    ("MSELoss", {"reduction": "sum"}, [_x(3, 4), _x(3, 4)], (0, 1)),
    ("L1Loss", {"reduction": "none"}, [_x(3, 4), _x(3, 4)], (0, 1)),
    ("SmoothL1Loss", {"beta": 0.5}, [_x(3, 4), _x(3, 4)], (0, 1)),
    ("HuberLoss", {"delta": 0.5, "reduction": "sum"}, [_x(3, 4), _x(3, 4)], (0, 1)),
    ("CrossEntropyLoss", {}, [_x(5, 4), _cls(4, 5)], (0,)),
    ("CrossEntropyLoss", {"weight": W4, "ignore_index": 1, "label_smoothing": 0.1},
     [_x(5, 4), _cls(4, 5)], (0,)),
    ("CrossEntropyLoss", {"reduction": "none"}, [_x(2, 4, 3, 2), _cls(4, 2, 3, 2)], (0,)),
    ("NLLLoss", {"weight": W4}, [_x(5, 4), _cls(4, 5)], (0,)),
    ("BCELoss", {"weight": W4}, [_unit(3, 4), _unit(3, 4)], (0,)),
    ("BCEWithLogitsLoss", {"weight": W4, "pos_weight": W4[::-1].copy()},
     [_x(3, 4, scale=3), _unit(3, 4)], (0, 1)),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": W4}, [_x(5, 4), _cls(4, 5)], (0,)),
    ("MultiLabelSoftMarginLoss", {"weight": W4},
     [_x(3, 4), lambda rng: (rng.random((3, 4)) < 0.5) * 1.0], (0,)),
    ("HingeEmbeddingLoss", {"margin": 0.5}, [_x(3, 4), _sign(3, 4)], (0,)),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, [_x(3, 4), _x(3, 4)], (0, 1)),
    ("PoissonNLLLoss", {"log_input": False, "full": True},
     [_pos(3, 4), lambda rng: rng.uniform(0, 5, (3, 4))], (0,)),
    ("GaussianNLLLoss", {"full": True, "eps": 1e-3}, [_x(3, 4), _x(3, 4), _pos(3, 1)], (0, 2)),
    ("CosineEmbeddingLoss", {"margin": 0.1}, [_x(4, 3), _x(4, 3), _sign(4)], (0, 1)),
    ("MarginRankingLoss", {"margin": 0.2}, [_x(5), _x(5), _sign(5)], (0, 1)),
    ("TripletMarginLoss", {"margin": 1.5, "p": 1.0, "swap": True}, [_x(4, 3), _x(4, 3), _x(4, 3)],
     (0, 1, 2)),
]


def _build(lib, name, kwargs, dtype):
    kw = {k: lib.tensor(v.astype(dtype)) if isinstance(v, np.ndarray) else v
          for k, v in kwargs.items()}
    mod = getattr(emods if lib is ember else torch.nn, name)(**kw)
    return mod.double() if dtype == "float64" else mod


def _tensors(lib, arrays, diff, dtype):
    return [lib.tensor(a.astype(dtype) if a.dtype.kind == "f" else a, requires_grad=i in diff)
            for i, a in enumerate(arrays)]


def _check(name, kwargs, makers, diff, dtype):
    rng = np.random.default_rng(0)
    arrays = [m(rng) for m in makers]
    e_mod, t_mod = _build(ember, name, kwargs, dtype), _build(torch, name, kwargs, dtype)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    assert [n for n, _ in e_mod.named_buffers()] == [n for n, _ in t_mod.named_buffers()]
    if name == "PReLU":  # a learnt weight: load torch's (random) values
        with torch.no_grad():
            t_mod.weight.uniform_(0.05, 0.5)
        e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    inplace = getattr(t_mod, "inplace", False)
    e_in, t_in = _tensors(ember, arrays, diff, dtype), _tensors(torch, arrays, diff, dtype)
    # in-place modules need a non-leaf input
    e_out = e_mod(*(e_in[:1] and [e_in[0] * 1] if inplace else e_in))
    t_out = t_mod(*(t_in[:1] and [t_in[0] * 1] if inplace else t_in))
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-7, atol=1e-9)
    assert tuple(e_out.shape) == tuple(t_out.shape)
    assert str(e_out.dtype).split(".")[-1] == str(t_out.dtype).split(".")[-1]
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), **tol)
    w = np.random.default_rng(1).standard_normal(tuple(t_out.shape)).astype(dtype)
    (e_out * ember.tensor(w)).sum().backward()
    (t_out * torch.tensor(w)).sum().backward()
    for i in diff:
        np.testing.assert_allclose(e_in[i].grad.numpy(), t_in[i].grad.numpy(), **tol)
    for (en, ep), (tn, tp) in zip(e_mod.named_parameters(), t_mod.named_parameters()):
        assert en == tn
        np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), **tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", ACTIVATIONS, ids=lambda v: v if isinstance(v, str) else "")
def test_activation_module_matches_torch(name, kwargs, dtype):
    shape = (2, 3, 4) if name in ("PReLU", "GLU") else (3, 4)
    scale = 4.0 if name in ("ReLU6", "Hardtanh", "Hardsigmoid", "Hardswish") else 1.5
    _check(name, kwargs, [_x(*shape, scale=scale)], (0,), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs,makers,diff", LOSSES,
                         ids=lambda v: v if isinstance(v, str) else "")
def test_loss_module_matches_torch(name, kwargs, makers, diff, dtype):
    _check(name, kwargs, makers, diff, dtype)


def test_default_reprs_and_attributes_match():
    names = [n for n, _ in ACTIVATIONS] + [n for n, *_ in LOSSES]
    for name in dict.fromkeys(names):
        e_mod, t_mod = getattr(emods, name)(), getattr(torch.nn, name)()
        assert repr(e_mod) == repr(t_mod)
        public = {k for k in vars(t_mod) if not k.startswith("_") and k != "training"}
        for k in public:
            assert getattr(e_mod, k) == getattr(t_mod, k), (name, k)
