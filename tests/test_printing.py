"""repr of tensors: PyTorch's text, character for character (expected strings are torch's output
with ``torch.`` replaced by ``ember.``)."""

from __future__ import annotations

import pytest

import ember

CASES = [
    ("ember.tensor([1.0, 2.0])", "tensor([1., 2.])"),
    ("ember.tensor([1.5, 2.0])", "tensor([1.5000, 2.0000])"),
    ("ember.tensor([1, 2])", "tensor([1, 2])"),
    ("ember.tensor([True, False])", "tensor([ True, False])"),
    ("ember.tensor([True, True])", "tensor([True, True])"),
    ("ember.tensor([[1.0, 10.0], [3.0, 4.0]])", "tensor([[ 1., 10.],\n        [ 3.,  4.]])"),
    ("ember.tensor([[1.5, 10.0], [3.0, 4.0]])",
     "tensor([[ 1.5000, 10.0000],\n        [ 3.0000,  4.0000]])"),
    ("ember.tensor([[-1, 200], [3, 4]])", "tensor([[ -1, 200],\n        [  3,   4]])"),
    ("ember.tensor([-1.0, 2.0])", "tensor([-1.,  2.])"),
    ("ember.tensor(3.5)", "tensor(3.5000)"),
    ("ember.tensor(3)", "tensor(3)"),
    ("ember.tensor(True)", "tensor(True)"),
    ("ember.tensor([1.0, 2.0], dtype=ember.float64)", "tensor([1., 2.], dtype=ember.float64)"),
    ("ember.tensor([1, 2], dtype=ember.int32)", "tensor([1, 2], dtype=ember.int32)"),
    ("ember.tensor([1.0, 2.0], dtype=ember.float16)", "tensor([1., 2.], dtype=ember.float16)"),
    ("ember.tensor([1.0, 2.0], requires_grad=True)", "tensor([1., 2.], requires_grad=True)"),
    ("ember.tensor([1e-5, 1.0])", "tensor([1.0000e-05, 1.0000e+00])"),
    ("ember.tensor([1e10, 1.0])", "tensor([1.0000e+10, 1.0000e+00])"),
    ("ember.tensor([1.0, 1001.0])", "tensor([1.0000e+00, 1.0010e+03])"),
    ("ember.tensor([1.0e3, 1.5])", "tensor([1000.0000,    1.5000])"),
    ("ember.tensor([123456789.0])", "tensor([1.2346e+08])"),
    ("ember.tensor([-1e-5, 5.0])", "tensor([-1.0000e-05,  5.0000e+00])"),
    ("ember.tensor([float('nan'), 1.5, float('-inf')])", "tensor([   nan, 1.5000,   -inf])"),
    ("ember.tensor([float('nan'), 100.0, 1.0])", "tensor([ nan, 100.,   1.])"),
    ("ember.tensor([])", "tensor([])"),
    ("ember.zeros(0, dtype=ember.int64)", "tensor([], dtype=ember.int64)"),
    ("ember.zeros(2, 0)", "tensor([], size=(2, 0))"),
    ("ember.zeros(0, 3, dtype=ember.int32)", "tensor([], size=(0, 3), dtype=ember.int32)"),
    ("ember.arange(1001)", "tensor([   0,    1,    2,  ...,  998,  999, 1000])"),
    ("ember.arange(1001.0)", "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])"),
    ("ember.arange(24).reshape(2, 3, 4)",
     "tensor([[[ 0,  1,  2,  3],\n         [ 4,  5,  6,  7],\n         [ 8,  9, 10, 11]],\n\n"
     "        [[12, 13, 14, 15],\n         [16, 17, 18, 19],\n         [20, 21, 22, 23]]])"),
    ("ember.arange(30.0).reshape(3, 10) * 1.5",
     "tensor([[ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
     "         12.0000, 13.5000],\n"
     "        [15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000, 24.0000, 25.5000,\n"
     "         27.0000, 28.5000],\n"
     "        [30.0000, 31.5000, 33.0000, 34.5000, 36.0000, 37.5000, 39.0000, 40.5000,\n"
     "         42.0000, 43.5000]])"),
    ("ember.arange(2000).reshape(40, 50)",
     "tensor([[   0,    1,    2,  ...,   47,   48,   49],\n"
     "        [  50,   51,   52,  ...,   97,   98,   99],\n"
     "        [ 100,  101,  102,  ...,  147,  148,  149],\n"
     "        ...,\n"
     "        [1850, 1851, 1852,  ..., 1897, 1898, 1899],\n"
     "        [1900, 1901, 1902,  ..., 1947, 1948, 1949],\n"
     "        [1950, 1951, 1952,  ..., 1997, 1998, 1999]])"),
    ("ember.arange(12.0, dtype=ember.float64) / 7",
     "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
     "        1.2857, 1.4286, 1.5714], dtype=ember.float64)"),
    # a suffix that does not fit on the last line goes to its own line
    ("ember.arange(9.0, dtype=ember.float64) / 7",
     "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429],\n"
     "       dtype=ember.float64)"),
    ("ember.tensor([[1e-3, 2.0]], requires_grad=True)",
     "tensor([[1.0000e-03, 2.0000e+00]], requires_grad=True)"),
    ("ember.tensor([1.0], dtype=ember.float64, requires_grad=True)",
     "tensor([1.], dtype=ember.float64, requires_grad=True)"),
]


@pytest.mark.parametrize("expr, expected", CASES, ids=[c[0] for c in CASES])
def test_repr_matches_pytorch(expr, expected):
    t = eval(expr, {"ember": ember})
    assert repr(t) == expected
    assert str(t) == expected


def test_grad_fn_is_shown():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    assert repr((x * 2).sum()) == "tensor(6., grad_fn=<SumBackward0>)"
    assert repr(x.exp()) == "tensor([2.7183, 7.3891], grad_fn=<ExpBackward0>)"
    assert repr(x / 3 * 3).endswith(", grad_fn=<MulBackward0>)")
    assert repr((x * 2).detach()) == "tensor([2., 4.])"


def test_summarized_tensor_elides_the_middle():
    text = repr(ember.arange(10_000).reshape(100, 100))
    assert text.count("...") == 7  # one in each of the 6 rows shown, one for the rows left out
    assert len(text.splitlines()) == 7
    assert text.splitlines()[3] == "        ...,"


def test_default_dtype_is_not_shown(restore_print_and_dtype):
    ember.set_default_dtype(ember.float64)
    assert repr(ember.tensor([1.5])) == "tensor([1.5000])"
    assert repr(ember.tensor([1.5], dtype=ember.float32)) == "tensor([1.5000], dtype=ember.float32)"


@pytest.fixture
def restore_print_and_dtype():
    old = ember.get_default_dtype()
    yield
    ember.set_default_dtype(old)
    ember.set_printoptions(profile="default")


@pytest.mark.parametrize(
    "options, expr, expected",
    [
        (dict(precision=2), "ember.tensor([1.2345, 2.5])", "tensor([1.23, 2.50])"),
        (dict(sci_mode=False), "ember.tensor([1e-5, 1.0])", "tensor([0.0000, 1.0000])"),
        (dict(sci_mode=True), "ember.tensor([1.5, 2.0])", "tensor([1.5000e+00, 2.0000e+00])"),
        (dict(threshold=5, edgeitems=2), "ember.arange(10)", "tensor([0, 1,  ..., 8, 9])"),
        (dict(linewidth=30), "ember.arange(12.0)",
         "tensor([ 0.,  1.,  2.,  3.,\n         4.,  5.,  6.,  7.,\n         8.,  9., 10., 11.])"),
        (dict(profile="short"), "ember.arange(2000.0) / 3",
         "tensor([0.00e+00, 3.33e-01,  ..., 6.66e+02, 6.66e+02])"),
        (dict(profile="full"), "ember.arange(1001).sum()", "tensor(500500)"),
    ],
)
def test_set_printoptions(restore_print_and_dtype, options, expr, expected):
    ember.set_printoptions(**options)
    assert repr(eval(expr, {"ember": ember})) == expected


def test_full_profile_prints_every_element(restore_print_and_dtype):
    ember.set_printoptions(profile="full")
    assert "..." not in repr(ember.arange(2000))
    ember.set_printoptions(profile="default")
    assert "..." in repr(ember.arange(2000))
    assert ember.get_printoptions()["threshold"] == 1000


def test_printoptions_reject_unknown_profile():
    with pytest.raises(ValueError, match="profile"):
        ember.set_printoptions(profile="tiny")


def test_printing_does_not_change_the_tensor_or_warn():
    import warnings

    t = ember.tensor([6e4, 1e-7, float("nan")], dtype=ember.float16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        repr(t)
        repr(ember.tensor([3e38, -3e38]))
    assert t.dtype is ember.float16
