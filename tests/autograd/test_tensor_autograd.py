"""Tensor-level autograd API: leaves, detach, .data, hooks, retain_grad, grad_fn introspection."""

import numpy as np
import pytest

import ember


def test_leaf_and_grad_fn_flags():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.grad_fn.name() == "MulBackward0"
    assert "MulBackward0" in repr(y)
    c = ember.ones(2)
    assert c.is_leaf and not c.requires_grad


def test_next_functions_walks_the_graph():
    x = ember.ones(2, requires_grad=True)
    y = (x * 2).sum()
    (mul, _), = y.grad_fn.next_functions
    assert mul.name() == "MulBackward0"
    acc, _ = mul.next_functions[0]
    assert acc.name() == "AccumulateGrad" and acc.variable is x


def test_requires_grad_flag_on_integer_tensor_is_rejected():
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2], requires_grad=True)


def test_requires_grad_false_on_non_leaf_is_rejected():
    y = ember.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_detach_shares_storage_without_history():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None
    d[0] = 7.0
    assert y.detach().numpy()[0] == 7.0


def test_data_is_a_view_without_history_and_supports_sgd_idiom():
    w = ember.ones(3, requires_grad=True)
    (w * 2).sum().backward()
    w.data -= 0.5 * w.grad
    np.testing.assert_allclose(w.detach().numpy(), np.zeros(3))
    assert w.requires_grad and w.is_leaf


def test_retain_grad_on_intermediate():
    x = ember.ones(3, requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), np.full(3, 6.0))
    assert h.retains_grad


def test_intermediate_grad_is_none_without_retain():
    x = ember.ones(3, requires_grad=True)
    h = x * 3
    (h * h).sum().backward()
    assert h.grad is None


def test_register_hook_can_replace_gradient():
    x = ember.ones(3, requires_grad=True)
    x.register_hook(lambda g: g * 10)
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 20.0))


def test_hook_on_intermediate_and_removal():
    x = ember.ones(2, requires_grad=True)
    h = x * 1
    seen = []
    handle = h.register_hook(lambda g: seen.append(g.numpy().copy()))
    (h * 5).sum().backward(retain_graph=True)
    assert len(seen) == 1 and np.allclose(seen[0], 5)
    handle.remove()
    h2 = x * 1
    (h2 * 5).sum().backward()
    assert len(seen) == 1


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.ones(2).register_hook(lambda g: g)


def test_integer_outputs_do_not_require_grad():
    x = ember.randn(4, requires_grad=True)
    assert not x.argmax().requires_grad
    assert not (x > 0).requires_grad
    values, indices = x.max(0)
    assert values.requires_grad and not indices.requires_grad
