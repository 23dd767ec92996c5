"""In-place safety: version counters, leaf checks, recorded in-place ops."""

import numpy as np
import pytest

import ember


def test_inplace_on_leaf_requiring_grad_raises():
    w = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w[0] = 2.0


def test_inplace_on_leaf_allowed_under_no_grad():
    w = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        w.mul_(3)
        w[1] = 0.0
    np.testing.assert_allclose(w.detach().numpy(), [3, 0, 3])
    assert w.requires_grad and w.is_leaf


def test_version_counter_increments():
    x = ember.zeros(3)
    v0 = x._version
    x.add_(1)
    x[0] = 5
    x.zero_()
    assert x._version == v0 + 3


def test_modifying_a_saved_tensor_is_detected():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    z = y.exp()  # saves its output
    z.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_modifying_an_input_saved_by_mul_is_detected():
    a = ember.ones(3, requires_grad=True)
    b = ember.ones(3, requires_grad=True) * 1
    y = a * b  # saves b for d/da
    b.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_inplace_on_unsaved_input_is_fine():
    x = ember.ones(3, requires_grad=True)
    h = x * 1
    y = h + 1  # add saves nothing
    h.add_(5)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones(3))


def test_recorded_inplace_chain_gives_correct_gradient():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y.mul_(x)  # y = x^2
    y.add_(1)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())
    assert y.grad_fn.name() == "AddBackward0"


def test_setitem_recorded_like_index_put():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = ember.tensor(10.0, requires_grad=True)
    y = x * 2
    y[1] = v * 3
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, 2.0])
    np.testing.assert_allclose(v.grad.numpy(), 3.0)


def test_inplace_on_view_writes_through_under_no_grad():
    x = ember.zeros(2, 3)
    row = x[1]
    row.fill_(4)
    np.testing.assert_allclose(x.numpy()[1], np.full(3, 4.0))
    assert x._version == row._version


def test_inplace_on_view_updates_base_graph():
    x = ember.arange(6.0).reshape(2, 3).requires_grad_()
    y = x * 2
    y[0].mul_(3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[6, 6, 6], [2, 2, 2]])
    assert y.grad_fn.name() == "CopySlicesBackward0"


def test_setitem_on_view_of_view_gradcheck_and_gradgradcheck():
    x = ember.arange(6.0, dtype=ember.float64).reshape(2, 3).requires_grad_()

    def f(x):
        y = x * 1
        y.t()[1].mul_(x[0, 0] + 2)
        y[:, 2][0] = x[1, 1] * 5
        return y

    assert ember.autograd.gradcheck(f, (x,))
    assert ember.autograd.gradgradcheck(f, (x,))


def test_view_sees_values_written_through_base_rebase():
    x = ember.ones(2, 2, requires_grad=True)
    y = x * 1
    row = y[1]
    row.add_(4)
    np.testing.assert_allclose(y.detach().numpy(), [[1, 1], [5, 5]])
    np.testing.assert_allclose(row.detach().numpy(), [5, 5])


def test_inplace_on_view_of_leaf_is_refused():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        x[0:2].add_(1.0)


def test_inplace_on_split_output_in_graph_is_refused_not_wrong():
    x = ember.ones(4, requires_grad=True)
    a, b = (x * 1).split(2)
    with pytest.raises(RuntimeError, match="split/chunk/unbind"):
        a.mul_(2)


def test_modifying_index_tensor_after_gather_is_detected():
    x = ember.randn(3, 4, requires_grad=True)
    idx = ember.tensor([[0], [1], [2]])
    y = x.gather(1, idx)
    idx.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
