"""Every optimizer against PyTorch (trajectories, state dicts, errors) and resume equality."""

import numpy as np
import pytest

import ember
from ember import optim

# one shared problem: a tiny linear model with a quartic penalty (non-quadratic, so the
# adaptive methods' state matters), on fixed data
_RNG = np.random.default_rng(0)
X = _RNG.standard_normal((8, 4))
Y = _RNG.standard_normal((8, 3))
W0 = _RNG.standard_normal((3, 4)) * 0.5
B0 = _RNG.standard_normal(3) * 0.5

CASES = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "dampening": 0.3, "maximize": True}),
    ("Adam", {"lr": 0.02}),
    ("Adam", {"lr": 0.02, "amsgrad": True, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.02, "betas": (0.8, 0.9), "eps": 1e-3, "maximize": True}),
    ("Adam", {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.02}),
    ("AdamW", {"lr": 0.02, "amsgrad": True, "weight_decay": 0.3, "maximize": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.1, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.3}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}),
    ("Adadelta", {"lr": 0.5, "maximize": True}),
    ("Adamax", {"lr": 0.02}),
    ("Adamax", {"lr": 0.02, "betas": (0.8, 0.95), "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {"lr": 0.02}),
    ("NAdam", {"lr": 0.02, "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {"lr": 0.02}),
    ("RAdam", {"lr": 0.02, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for name, kw in CASES]


def _loss(lib, w, b, x, y):
    err = x @ w.t() + b - y
    return (err * err).mean() + 0.01 * (w**4).sum()


class Problem:
    """The parameters, data and an ``iterate`` that runs optimizer steps, for ember or torch."""

    def __init__(self, lib, dtype="float64"):
        self.lib = lib
        self.x, self.y = lib.tensor(X.astype(dtype)), lib.tensor(Y.astype(dtype))
        self.w = lib.nn.Parameter(lib.tensor(W0.astype(dtype)))
        self.b = lib.nn.Parameter(lib.tensor(B0.astype(dtype)))

    def closure_for(self, opt):
        def closure():
            opt.zero_grad()
            loss = _loss(self.lib, self.w, self.b, self.x, self.y)
            loss.backward()
            return loss

        return closure

    def iterate(self, opt, steps, every=5):
        """Run ``steps`` steps; return copies of the parameters every ``every`` steps."""
        snaps = []
        closure = self.closure_for(opt)
        for i in range(steps):
            closure()
            opt.step()
            if (i + 1) % every == 0:
                snaps.append([p.detach().numpy().copy() for p in (self.w, self.b)])
        return snaps


def _torch():
    return pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _torch_single_thread():
    """PyTorch's thread pool on a busy 2-core machine makes these tiny steps very slow."""
    try:
        import torch
    except ImportError:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _assert_close(ours, theirs, rtol, atol=0.0):
    for s_ours, s_theirs in zip(ours, theirs, strict=True):
        for a, b in zip(s_ours, s_theirs, strict=True):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=IDS)
def test_trajectory_matches_torch_float64(name, kwargs):
    torch = _torch()
    pe, pt = Problem(ember), Problem(torch)
    ours = pe.iterate(getattr(optim, name)([pe.w, pe.b], **kwargs), 30)
    theirs = pt.iterate(getattr(torch.optim, name)([pt.w, pt.b], **kwargs), 30)
    # NOTE: centered RMSprop takes sqrt(E[g^2] - E[g]^2), which cancels for a steady gradient;
    # PyTorch computes it with a fused multiply-add, so the last bits differ and get amplified
    rtol = 1e-8 if kwargs.get("centered") else 1e-10
    _assert_close(ours, theirs, rtol=rtol, atol=1e-13)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "NAdam", "RAdam", "Adadelta"])
def test_trajectory_matches_torch_float32(name):
    torch = _torch()
    kwargs = {"lr": 0.01, "momentum": 0.9} if name == "SGD" else {}
    pe, pt = Problem(ember, "float32"), Problem(torch, "float32")
    opt_e = getattr(optim, name)([pe.w, pe.b], **kwargs)
    opt_t = getattr(torch.optim, name)([pt.w, pt.b], **kwargs)
    _assert_close(pe.iterate(opt_e, 30), pt.iterate(opt_t, 30), rtol=2e-5, atol=1e-6)
    assert pe.w.dtype == ember.float32 and opt_e.state[pe.w]  # dtype kept, state created
    for value in opt_e.state[pe.w].values():
        if value.ndim:
            assert value.dtype == ember.float32


def test_param_groups_with_different_lr_match_torch():
    torch = _torch()
    pe, pt = Problem(ember), Problem(torch)

    def groups(p):
        return [{"params": [p.w]}, {"params": [p.b], "lr": 0.1, "betas": (0.5, 0.6)}]

    opt_e = optim.Adam(groups(pe), lr=0.01)
    opt_t = torch.optim.Adam(groups(pt), lr=0.01)
    _assert_close(pe.iterate(opt_e, 20), pt.iterate(opt_t, 20), rtol=1e-10)
    assert opt_e.param_groups[1]["lr"] == 0.1 and opt_e.param_groups[0]["lr"] == 0.01


@pytest.mark.parametrize(("name", "kwargs"), CASES[::3], ids=IDS[::3])
def test_state_dict_layout_matches_torch(name, kwargs):
    torch = _torch()
    pe, pt = Problem(ember), Problem(torch)
    opt_e = getattr(optim, name)([pe.w, pe.b], **kwargs)
    opt_t = getattr(torch.optim, name)([pt.w, pt.b], **kwargs)
    pe.iterate(opt_e, 3)
    pt.iterate(opt_t, 3)
    sd_e, sd_t = opt_e.state_dict(), opt_t.state_dict()
    assert sd_e["param_groups"] == sd_t["param_groups"]
    assert sd_e["state"].keys() == sd_t["state"].keys()
    for idx, st_t in sd_t["state"].items():
        st_e = sd_e["state"][idx]
        assert list(st_e) == list(st_t)
        for key, value in st_t.items():
            assert st_e[key].shape == tuple(value.shape), key
            assert str(st_e[key].dtype).split(".")[-1] == str(value.dtype).split(".")[-1], key
            np.testing.assert_allclose(st_e[key].numpy(), value.numpy(), rtol=1e-10)


def _to_ember(value):
    """A PyTorch state value converted for ember (tensors become ember tensors)."""
    torch = _torch()
    if isinstance(value, torch.Tensor):
        return ember.tensor(value.numpy())
    if isinstance(value, dict):
        return {k: _to_ember(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_ember(v) for v in value]
    return value


@pytest.mark.parametrize(("name", "kwargs"), CASES[1::3], ids=IDS[1::3])
def test_loading_torch_state_dict_continues_like_torch(name, kwargs):
    torch = _torch()
    pt = Problem(torch)
    opt_t = getattr(torch.optim, name)([pt.w, pt.b], **kwargs)
    pt.iterate(opt_t, 7)
    pe = Problem(ember)
    pe.w.data = ember.tensor(pt.w.detach().numpy())
    pe.b.data = ember.tensor(pt.b.detach().numpy())
    opt_e = getattr(optim, name)([pe.w, pe.b], **kwargs)
    opt_e.load_state_dict(_to_ember(opt_t.state_dict()))
    _assert_close(pe.iterate(opt_e, 10), pt.iterate(opt_t, 10), rtol=1e-10, atol=1e-13)


def _lbfgs_problem(lib, dtype):
    """A smooth, well-conditioned objective in two parameter tensors (one of them 2-d)."""
    rng = np.random.default_rng(3)
    a = lib.tensor((rng.standard_normal((6, 6)) * 0.3 + 2 * np.eye(6)).astype(dtype))
    w = lib.nn.Parameter(lib.tensor(rng.standard_normal((2, 3)).astype(dtype)))
    b = lib.nn.Parameter(lib.tensor(rng.standard_normal(2).astype(dtype)))
    return a, w, b


@pytest.mark.parametrize(
    ("kwargs", "dtype"),
    [
        ({}, "float64"),
        ({"line_search_fn": "strong_wolfe"}, "float64"),
        ({"lr": 0.5, "history_size": 3, "max_iter": 7}, "float64"),
        ({"line_search_fn": "strong_wolfe", "history_size": 2, "max_eval": 9}, "float64"),
        ({"line_search_fn": "strong_wolfe"}, "float32"),
    ],
)
def test_lbfgs_matches_torch(kwargs, dtype):
    torch = _torch()
    results = []
    for lib in (ember, torch):
        a, w, b = _lbfgs_problem(lib, dtype)
        opt = lib.optim.LBFGS([w, b], **kwargs)

        def closure(lib=lib, a=a, w=w, b=b, opt=opt):
            opt.zero_grad()
            v = w.reshape(-1)
            z = a @ v
            loss = (
                (z * z).sum() + (lib.tanh(v) * 1.5).sum() + ((b - 1) ** 4).sum() + (v * b[0]).sum()
            )
            loss.backward()
            return loss

        losses = [float(opt.step(closure)) for _ in range(4)]
        st = opt.state[w]
        results.append((losses, w.detach().numpy().copy(), st["func_evals"], st["n_iter"]))
    (le, we, fe, ne), (lt, wt, ft, nt) = results
    rtol = 1e-9 if dtype == "float64" else 1e-4
    np.testing.assert_allclose(le, lt, rtol=rtol)
    np.testing.assert_allclose(we, wt, rtol=rtol, atol=rtol)
    assert (fe, ne) == (ft, nt)


# -- no torch needed below ----------------------------------------------------------------------
ALL = [(name, kw) for name, kw in CASES[::2]] + [("LBFGS", {"history_size": 3, "max_iter": 4})]


@pytest.mark.parametrize(("name", "kwargs"), ALL, ids=[n for n, _ in ALL])
def test_state_dict_resume_is_exact(name, kwargs):
    def make():
        p = Problem(ember)
        return p, getattr(optim, name)([p.w, p.b], **kwargs)

    def run(p, opt, steps):
        closure = p.closure_for(opt)
        for _ in range(steps):
            if name == "LBFGS":
                opt.step(closure)
            else:
                closure()
                opt.step()

    p_full, opt_full = make()
    run(p_full, opt_full, 20)

    p1, opt1 = make()
    run(p1, opt1, 10)
    saved = opt1.state_dict()
    p2, opt2 = make()
    p2.w.data, p2.b.data = p1.w.detach().clone(), p1.b.detach().clone()
    opt2.load_state_dict(saved)
    run(p1, opt1, 10)  # the original keeps going: the loaded copy must not share its state
    run(p2, opt2, 10)
    for p in (p1, p2):
        np.testing.assert_array_equal(p.w.detach().numpy(), p_full.w.detach().numpy())
        np.testing.assert_array_equal(p.b.detach().numpy(), p_full.b.detach().numpy())


def test_float32_params_keep_dtype_and_state_dtype():
    p = Problem(ember, "float32")
    opt = optim.Adam([p.w, p.b], lr=0.01)
    p.iterate(opt, 3)
    st = opt.state[p.w]
    assert p.w.dtype == ember.float32
    assert st["exp_avg"].dtype == ember.float32 and st["step"].dtype == ember.float32
    assert float(st["step"]) == 3.0


# -- chunked updates of large tensors -----------------------------------------------------------
CHUNK_CASES = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5, "maximize": True}),
    ("Adam", {"lr": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.1, "maximize": True}),
    ("RMSprop", {"lr": 0.1, "momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    ("Adadelta", {"weight_decay": 0.1}),
    ("Adamax", {"lr": 0.1}),
    ("NAdam", {"lr": 0.1, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.1, "weight_decay": 0.1, "decoupled_weight_decay": True}),
]


def _large_run(lib, name, kwargs, dtype):
    """Steps on a tensor spanning several chunks (with a ragged tail), a transposed
    (non-contiguous) parameter and a small one, with per-element quadratic gradients."""
    rng = np.random.default_rng(5)
    inits = [rng.standard_normal(s).astype(dtype) for s in ((66001,), (120, 50), (3,))]
    params = [lib.nn.Parameter(lib.tensor(a)) for a in inits]
    params[1] = lib.nn.Parameter(lib.tensor(inits[1]).t())  # a non-contiguous storage
    coefs = [lib.tensor(rng.uniform(0.5, 2.0, tuple(p.shape)).astype(dtype)) for p in params]
    opt = getattr(lib.optim, name)(params, **kwargs)
    for step in range(4):
        opt.zero_grad()
        loss = sum(((c * (p - 0.1 * step) ** 2).sum() for p, c in zip(params, coefs)))
        loss.backward()
        opt.step()
    return [p.detach().numpy().copy() for p in params]


@pytest.mark.parametrize(("name", "kwargs"), CHUNK_CASES, ids=[n for n, _ in CHUNK_CASES])
def test_chunked_update_equals_whole_tensor_update(name, kwargs, monkeypatch):
    from ember.optim import optimizer as base

    monkeypatch.setattr(base, "_CHUNK_BYTES", 1 << 16)  # 16,384 floats: 66,001 is 5 chunks
    chunked = _large_run(ember, name, kwargs, "float32")
    monkeypatch.setattr(base, "_CHUNK_BYTES", 1 << 40)  # one chunk: the whole tensor
    whole = _large_run(ember, name, kwargs, "float32")
    for a, b in zip(chunked, whole, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("name", "kwargs"), CHUNK_CASES, ids=[n for n, _ in CHUNK_CASES])
def test_blas_updates_equal_numpy_updates(name, kwargs, monkeypatch):
    from ember import _blas

    if not _blas.available():
        pytest.skip("NumPy's BLAS has no ?axpby here")
    with_blas = _large_run(ember, name, kwargs, "float32")
    monkeypatch.setattr(_blas, "_bound", {})  # nothing bound: every update in NumPy ufuncs
    with_numpy = _large_run(ember, name, kwargs, "float32")
    for a, b in zip(with_blas, with_numpy, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("name", "kwargs"), CHUNK_CASES[::3], ids=[n for n, _ in CHUNK_CASES[::3]])
def test_large_and_non_contiguous_params_match_torch(name, kwargs):
    torch = _torch()
    ours, theirs = (
        _large_run(ember, name, kwargs, "float64"),
        _large_run(torch, name, kwargs, "float64"),
    )
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
