"""Every op-table case against PyTorch: forward values and input gradients, float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.ops.cases import all_cases

torch = pytest.importorskip("torch")

CASES = [c for c in all_cases() if c.parity]


def _inputs(case, arrays, lib, dtype_name):
    diff = case.diff_indices(arrays)
    out = []
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        if a.dtype.kind == "f":
            a = a.astype(dtype_name)
            t = lib.tensor(a, requires_grad=i in diff)
        else:
            t = lib.tensor(a)
        out.append(t)
    return out


def _as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.mark.parametrize("dtype_name", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_matches_torch(case, dtype_name):
    arrays = case.inputs(np.random.default_rng(3))
    e_in = _inputs(case, arrays, ember, dtype_name)
    t_in = _inputs(case, arrays, torch, dtype_name)
    e_out = _as_list(case.fn(*e_in))
    t_out = _as_list((case.torch_fn or case.fn)(*t_in))
    assert len(e_out) == len(t_out)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype_name == "float32" else dict(rtol=1e-7, atol=1e-9)
    for e, t in zip(e_out, t_out):
        assert tuple(e.shape) == tuple(t.shape), f"shape {tuple(e.shape)} vs {tuple(t.shape)}"
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), **tol)
    # gradients through a fixed random projection of every differentiable output
    rng = np.random.default_rng(4)
    e_loss, t_loss = 0, 0
    for e, t in zip(e_out, t_out):
        if e.requires_grad and t.requires_grad:
            w = rng.standard_normal(tuple(t.shape)).astype(dtype_name)
            e_loss = e_loss + (e * ember.tensor(w)).sum()
            t_loss = t_loss + (t * torch.tensor(w)).sum()
    if isinstance(t_loss, int):
        return
    e_loss.backward()
    t_loss.backward()
    for i in case.diff_indices(arrays):
        eg, tg = e_in[i].grad, t_in[i].grad
        if tg is None:
            assert eg is None or not np.any(eg.numpy()), f"input {i}: torch has no grad"
            continue
        assert eg is not None, f"input {i}: ember produced no gradient"
        np.testing.assert_allclose(eg.numpy(), tg.numpy(), **tol)
