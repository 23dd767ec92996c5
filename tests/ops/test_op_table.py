"""Forward vs NumPy, float64 gradcheck and gradgradcheck for every case in the op table."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from tests.ops.cases import all_cases

CASES = all_cases()


def _ember_inputs(case, arrays):
    diff = case.diff_indices(arrays)
    return [
        ember.tensor(a, requires_grad=i in diff)
        if np.asarray(a).dtype.kind == "f" else ember.tensor(a)
        for i, a in enumerate(arrays)
    ]


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("case", [c for c in CASES if c.ref is not None], ids=repr)
def test_forward_matches_numpy(case):
    arrays = case.inputs(np.random.default_rng(0))
    got = _as_list(case.fn(*_ember_inputs(case, arrays)))
    want = _as_list(case.ref(*[np.asarray(a) for a in arrays]))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.detach().numpy(), w, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", [c for c in CASES if c.diff != ()], ids=repr)
def test_gradcheck(case):
    arrays = case.inputs(np.random.default_rng(1))
    assert gradcheck(case.fn, _ember_inputs(case, arrays), eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("case", [c for c in CASES if c.gradgrad and c.diff != ()], ids=repr)
def test_gradgradcheck(case):
    arrays = case.inputs(np.random.default_rng(2))
    assert gradgradcheck(case.fn, _ember_inputs(case, arrays), eps=1e-6, atol=1e-5, rtol=1e-3)
