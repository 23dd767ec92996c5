"""Tensor creation, dtype promotion and repr compared with PyTorch itself."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

NAMES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _dt(t) -> str:
    return str(t.dtype).split(".")[-1]


def _same(e, t):
    assert tuple(e.shape) == tuple(t.shape), f"shape {tuple(e.shape)} vs {tuple(t.shape)}"
    assert _dt(e) == _dt(t), f"dtype {e.dtype} vs {t.dtype}"
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())


@pytest.fixture(autouse=True)
def _restore_global_state():
    yield
    ember.set_printoptions(profile="default")
    torch.set_printoptions(profile="default", sci_mode=None)
    ember.set_default_dtype(ember.float32)
    torch.set_default_dtype(torch.float32)


# -- creation -------------------------------------------------------------------------------------
CREATION = [
    "L.tensor(1.5)", "L.tensor(3)", "L.tensor(True)", "L.tensor([1, 2.5])", "L.tensor([True, 2])",
    "L.tensor([[1, 2], [3, 4]])", "L.tensor([])", "L.tensor([[]])", "L.tensor(range(4))",
    "L.tensor(np.array([1.0, 2.0]))", "L.tensor(np.array([1, 2], dtype=np.int32))",
    "L.tensor(np.float64(2.5))", "L.tensor(np.array(3, dtype=np.int16))",
    "L.tensor([5.7, -1.2], dtype=L.int32)", "L.tensor([1, 0, 2], dtype=L.bool)",
    "L.tensor([1.5, 2.5], dtype=L.float16)", "L.as_tensor([1, 2])",
    "L.as_tensor(np.array([1.0, 2.0]), dtype=L.float32)",
    "L.zeros(2, 3)", "L.zeros((2, 3), dtype=L.int32)", "L.ones([3])", "L.ones(())",
    "L.zeros(2, dtype=float)", "L.zeros(2, dtype=int)", "L.zeros(2, dtype=bool)",
    "L.full((2, 2), 3)", "L.full((2,), 3.0)", "L.full((2,), True)",
    "L.full((2,), 1.5, dtype=L.int64)",
    "L.full([1, 2], -1, dtype=L.float64)",
    "L.zeros_like(L.tensor([1, 2]))", "L.ones_like(L.tensor([1.0]), dtype=L.float64)",
    "L.full_like(L.tensor([1, 2]), 2.7)", "L.full_like(L.tensor([1.0, 2.0]), 7)",
    "L.eye(3)", "L.eye(2, 4)", "L.eye(3, dtype=L.int64)", "L.eye(0)", "L.eye(2, 0)",
    "L.linspace(0, 1, 5)", "L.linspace(-1, 1, 4)", "L.linspace(2, 3, 1)", "L.linspace(0, 10, 0)",
    "L.linspace(0, 1, 7, dtype=L.float64)", "L.linspace(0, 10, 5, dtype=L.int64)",
    "L.linspace(10, 0, 6)", "L.logspace(0, 2, 3)", "L.logspace(0, 3, 4, base=2)",
    "L.tensor([1.0, 2.0]).to(float)", "L.tensor([1.0, 2.7]).to(int)",
    "L.tensor([0.0, 2.0]).to(bool)",
    "L.tensor([1.7, -2.2]).long()", "L.tensor([1.7, -2.2]).int()", "L.tensor([1.7, -2.2]).char()",
    "L.tensor([1.7, 2.2]).byte()", "L.tensor([1.7, -2.2]).short()", "L.tensor([1, 2]).half()",
    "L.tensor([0, 3]).bool()", "L.tensor([1, 2]).double()", "L.tensor([True]).float()",
]


@pytest.mark.parametrize("expr", CREATION)
def test_creation_matches_torch(expr):
    e = eval(expr, {"L": ember, "np": np})
    t = eval(expr, {"L": torch, "np": np})
    np.testing.assert_allclose(e.numpy().astype(np.float64), t.numpy().astype(np.float64),
                               rtol=1e-6, atol=1e-6)
    assert tuple(e.shape) == tuple(t.shape) and _dt(e) == _dt(t)


ARANGE = [
    (5,), (0,), (1, 4), (0, 10, 3), (10, 0, -3), (0, -5, -1), (3, 3), (5.0,), (1, 2.5, 0.5),
    (0.5, 3), (-1.0, 1.0, 0.25), (0, 1, 0.1), (0, 1.0001, 0.1), (0, 10, 0.7), (-3, 3, 0.1),
    (0, 1, 1 / 3), (1, 10, 2.5), (1e6, 1e6 + 3), (10.0, 0.0, -0.3), (0, 2, 0.2),
]


@pytest.mark.parametrize("args", ARANGE, ids=str)
def test_arange_matches_torch(args):
    e, t = ember.arange(*args), torch.arange(*args)
    assert tuple(e.shape) == tuple(t.shape) and _dt(e) == _dt(t)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float64", "int32", "float16", "int64"])
def test_arange_dtype_argument_matches_torch(dtype):
    e = ember.arange(0, 7, 2, dtype=getattr(ember, dtype))
    t = torch.arange(0, 7, 2, dtype=getattr(torch, dtype))
    _same(e, t)


def test_default_dtype_float64_matches_torch():
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    for expr in ["L.tensor([1.5])", "L.zeros(2)", "L.arange(0.0, 1.0, 0.5)", "L.linspace(0, 1, 3)",
                 "L.tensor([1, 2]) * 1.5", "L.tensor([1, 2]) / 2", "L.full((2,), 1.5)",
                 "L.ones(2, dtype=L.float32) * 2.5", "L.tensor([1.0]).to(float)"]:
        e = eval(expr, {"L": ember})
        t = eval(expr, {"L": torch})
        assert _dt(e) == _dt(t), expr


def test_tensor_protocol_matches_torch():
    for lib in (ember, torch):
        t = lib.tensor([[1, 2], [3, 4]])
        f = lib.tensor([2.5])
        assert (len(t), t.ndim, t.dim(), t.numel(), t.size(1), tuple(t.T.shape)) == (2, 2, 2, 4, 2,
                                                                                     (2, 2))
        assert t.tolist() == [[1, 2], [3, 4]] and f.item() == 2.5 and int(f) == 2
        assert type(t[0, 0].item()) is int and type(f.item()) is float
        assert [r.tolist() for r in t] == [[1, 2], [3, 4]]
        assert 3 in t and 7 not in t
        assert t.stride() == (2, 1) and t.T.stride() == (1, 2) and not t.T.is_contiguous()
        assert t.element_size() == 8 and f.element_size() == 4
        assert repr(t.shape).split(".")[-1] == "Size([2, 2])"
        assert isinstance(t.shape[1:], type(t.shape))


# -- promotion ------------------------------------------------------------------------------------
def _make(lib, kind, name):
    return lib.ones((2,) if kind == "dim" else (), dtype=getattr(lib, name))


@pytest.mark.parametrize("op", ["add", "mul", "div", "maximum", "eq"])
def test_promotion_matrix_tensor_tensor(op):
    wrong = []
    for (a, ka), (b, kb) in itertools.product(itertools.product(NAMES, ["dim", "0d"]), repeat=2):
        t = getattr(torch, op)(_make(torch, ka, a), _make(torch, kb, b))
        e = getattr(ember, op)(_make(ember, ka, a), _make(ember, kb, b))
        if _dt(e) != _dt(t):
            wrong.append(f"{op}({ka} {a}, {kb} {b}): ember {e.dtype}, torch {t.dtype}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("op", ["add", "mul", "div"])
@pytest.mark.parametrize("default", ["float32", "float64"])
def test_promotion_matrix_tensor_scalar(op, default):
    ember.set_default_dtype(getattr(ember, default))
    torch.set_default_dtype(getattr(torch, default))
    fns = {"add": lambda x, y: x + y, "mul": lambda x, y: x * y, "div": lambda x, y: x / y}
    fn = fns[op]
    wrong = []
    for a, ka, s in itertools.product(NAMES, ["dim", "0d"], [True, 2, 1.5, 0.25]):
        for order in ("ts", "st"):
            args = lambda lib: (_make(lib, ka, a), s) if order == "ts" else (s, _make(lib, ka, a))  # noqa: E731, B023
            t, e = fn(*args(torch)), fn(*args(ember))
            if _dt(e) != _dt(t):
                wrong.append(f"{order} {op} {ka} {a} with {s!r}: ember {e.dtype}, torch {t.dtype}")
            elif not np.allclose(e.numpy().astype(np.float64), t.numpy().astype(np.float64),
                                 rtol=1e-3, equal_nan=True):
                wrong.append(f"{order} {op} {ka} {a} with {s!r}: values differ")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "name",
    ["int32", "uint8", "float16"],
)
def test_promotion_of_three_operands(name):
    # addcmul(input, t1, t2) promotes its three operands together, in one step
    e = ember.addcmul(ember.ones(2, dtype=getattr(ember, name)),
                      ember.ones((), dtype=ember.float64), ember.ones(2, dtype=ember.int64))
    t = torch.addcmul(torch.ones(2, dtype=getattr(torch, name)),
                      torch.ones((), dtype=torch.float64), torch.ones(2, dtype=torch.int64))
    assert _dt(e) == _dt(t)


# -- repr -----------------------------------------------------------------------------------------
REPRS = [
    "L.tensor([1.0, 2.0])", "L.tensor([1.5, 2.0])", "L.tensor([1, 2])", "L.tensor([True, False])",
    "L.tensor([True, True])", "L.tensor([[1.0, 10.0], [3.0, 4.0]])",
    "L.tensor([[1.5, 10.0], [3.0, 4.0]])", "L.tensor([[-1, 200], [3, 4]])", "L.tensor(3.5)",
    "L.tensor(-7)", "L.tensor(True)", "L.tensor(-0.0)", "L.tensor([0.0, 0.0])",
    "L.tensor([1.0, 2.0], dtype=L.float64)", "L.tensor([1, 2], dtype=L.int32)",
    "L.tensor([1, -2], dtype=L.int8)", "L.tensor([1, 2], dtype=L.uint8)",
    "L.tensor([12.5, -3.25, 1e3], dtype=L.float16)", "L.tensor([0.1, 0.2], dtype=L.float16)",
    "L.tensor([1.0, 2.0], requires_grad=True)", "L.tensor([1e-5, 1.0])", "L.tensor([1e10, 1.0])",
    "L.tensor([1e-4, 1.0])", "L.tensor([1.0, 1000.0])", "L.tensor([1.0, 1001.0])",
    "L.tensor([1.5, 1001.0])", "L.tensor([1e8])", "L.tensor([100000001.0])",
    "L.tensor([123456789.0])", "L.tensor([1e-8, 1e-9], dtype=L.float64)",
    "L.tensor([1e30, 1e-30])", "L.tensor([1e300], dtype=L.float64)", "L.tensor([-1e-5, 5.0])",
    "L.tensor([float('nan')])", "L.tensor([float('nan'), 1.5, float('-inf')])",
    "L.tensor([float('nan'), 100.0, 1.0])", "L.tensor([float('inf'), 1.0])",
    "L.tensor([float('nan'), 1e-5])", "L.tensor([])", "L.tensor([[]])", "L.zeros(0, 3)",
    "L.zeros(0, dtype=L.int64)", "L.zeros(0, dtype=L.float64)", "L.zeros(0, dtype=L.bool)",
    "L.zeros(2, 0, dtype=L.int32)", "L.zeros(0, 2, requires_grad=True)", "L.ones(3, 3, 3)",
    "L.ones(2, 2, 2, 2)", "L.arange(24).reshape(2, 3, 4)", "L.arange(100.0).reshape(2, 5, 10)",
    "L.arange(10.0) / 3", "L.arange(25.0) / 3", "L.arange(40.0).reshape(2, 20) / 7",
    "L.arange(30.0).reshape(3, 10) * 1.5", "L.arange(1000.0)", "L.arange(1001.0)",
    "L.arange(1001)", "L.arange(2000).reshape(2, 1000)", "L.arange(2000).reshape(10, 10, 20)",
    "L.arange(1e4).reshape(10, 10, 100)", "L.arange(3000.0).reshape(1000, 3)",
    "L.arange(30) * 1000000", "L.tensor([123456789012])", "L.tensor([[1, -100000000000]])",
    "L.tensor([0.5] * 30)", "L.tensor([[True, False, True]] * 2)",
    "L.tensor([[1.5, 2.5]] * 40, dtype=L.float64, requires_grad=True)",
    "L.arange(12.0, dtype=L.float64) / 7", "L.arange(9.0, dtype=L.float64) / 7",
    "L.tensor([[1e-3, 2.0]], requires_grad=True)",
    "L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)",
]


@pytest.mark.parametrize("expr", REPRS)
def test_repr_matches_torch(expr):
    e = eval(expr, {"L": ember})
    t = eval(expr, {"L": torch})
    assert repr(e) == repr(t).replace("torch.", "ember.")


@pytest.mark.parametrize("seed", range(12))
def test_repr_of_random_data_matches_torch(seed):
    rng = np.random.default_rng(seed)
    ndim = int(rng.integers(0, 4))
    shape = tuple(int(s) for s in rng.integers(1, 9, size=ndim))
    scale = 10.0 ** rng.integers(-6, 10)
    kind = ["float32", "float64", "float16", "int64", "int32", "bool"][seed % 6]
    data = rng.standard_normal(shape) * scale
    if kind.startswith("float"):
        data = np.clip(data, -6e4, 6e4).astype(kind) if kind == "float16" else data.astype(kind)
        if data.size > 2 and seed % 3 == 0:
            data.reshape(-1)[0] = np.nan
            data.reshape(-1)[1] = np.inf
        if seed % 4 == 0:
            data = np.round(data)
    elif kind == "bool":
        data = data > 0
    else:
        data = np.clip(np.round(data), -2**31, 2**31 - 1).astype(kind)
    e, t = ember.tensor(data), torch.tensor(data)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    big = np.repeat(data.reshape(-1), max(1, 1200 // max(data.size, 1)))
    assert repr(ember.tensor(big)) == repr(torch.tensor(big)).replace("torch.", "ember.")


def test_repr_with_grad_fn_matches_torch():
    def reprs(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        return [repr(x * 2), repr((x * 2).sum()), repr(x.exp()), repr(x / 3), repr(x - 1)]

    assert reprs(ember) == reprs(torch)


@pytest.mark.parametrize(
    "options, expr",
    [
        (dict(precision=2), "L.tensor([1.2345, 2.5])"),
        (dict(precision=6), "L.arange(5.0) / 3"),
        (dict(sci_mode=False), "L.tensor([1e-5, 1.0])"),
        (dict(sci_mode=True), "L.tensor([1.5, 2.0])"),
        (dict(sci_mode=True), "L.tensor([0.0, 0.0])"),
        (dict(threshold=5, edgeitems=2), "L.arange(10)"),
        (dict(threshold=5, edgeitems=1), "L.arange(60.0).reshape(3, 4, 5)"),
        (dict(linewidth=30), "L.arange(12.0)"),
        (dict(linewidth=120), "L.arange(40.0) / 7"),
        (dict(profile="short"), "L.arange(2000.0) / 3"),
        (dict(profile="full"), "L.arange(1200)"),
    ],
)
def test_printoptions_match_torch(options, expr):
    ember.set_printoptions(**options)
    torch.set_printoptions(**options)
    e = eval(expr, {"L": ember})
    t = eval(expr, {"L": torch})
    assert repr(e) == repr(t).replace("torch.", "ember.")


# -- random: what can be compared without sharing torch's generator --------------------------------
def test_random_shapes_and_dtypes_match_torch():
    for expr in ["L.rand(2, 3)", "L.randn(4, dtype=L.float64)", "L.randint(5, (3,))",
                 "L.randint(1, 5, (2, 2), dtype=L.int32)", "L.randperm(5)",
                 "L.normal(0.0, 1.0, (2,))", "L.normal(L.zeros(3, dtype=L.float64), 1.0)",
                 "L.normal(1.0, L.ones(2, 2))", "L.bernoulli(L.full((3,), 0.5))",
                 "L.multinomial(L.ones(2, 5), 3)", "L.multinomial(L.ones(4), 6, True)",
                 "L.rand_like(L.zeros(2, dtype=L.float64))", "L.randint_like(L.zeros(3), 4)"]:
        e = eval(expr, {"L": ember})
        t = eval(expr, {"L": torch})
        assert tuple(e.shape) == tuple(t.shape) and _dt(e) == _dt(t), expr


def test_multinomial_zero_weights_last_like_torch():
    for lib in (ember, torch):
        x = lib.multinomial(lib.tensor([0.0, 1.0, 0.0, 2.0]), 4).tolist()
        assert sorted(x[:2]) == [1, 3] and sorted(x[2:]) == [0, 2]
