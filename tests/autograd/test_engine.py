"""The backward sweep: accumulation, retain_graph, freed graphs, non-scalar roots, deep graphs."""

import numpy as np
import pytest

import ember
from ember import autograd


def leaf(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return ember.tensor(rng.standard_normal(shape), requires_grad=True)


def test_gradients_accumulate_across_backward_calls():
    x = leaf(3)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 5.0))


def test_shared_subexpression_gets_summed_gradient():
    x = leaf(4)
    y = x * x
    z = (y + y * 2).sum()  # dz/dx = 3 * 2x
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy())


def test_leaf_grads_never_alias_each_other():
    a, b = leaf(3, seed=1), leaf(3, seed=2)
    (a + b).sum().backward()
    a.grad.mul_(10)  # e.g. gradient clipping in place
    np.testing.assert_allclose(b.grad.numpy(), np.ones(3))


def test_second_backward_through_freed_graph_raises():
    x = leaf(2)
    y = (x.exp()).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = leaf(2)
    y = (x.exp()).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(x.detach().numpy()))


def test_non_scalar_root_needs_gradient():
    x = leaf(2, 3)
    y = x * 2
    with pytest.raises(RuntimeError, match="implicitly created only for scalar"):
        y.backward()
    y.backward(ember.ones(2, 3))
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3), 2.0))


def test_gradient_shape_mismatch_is_reported():
    x = leaf(2, 3)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(ember.ones(3, 2))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.ones(2).sum().backward()


def test_deep_graph_has_no_recursion_limit():
    x = leaf(1)
    y = x
    for _ in range(20000):
        y = y + 1e-4
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0])


def test_broadcast_gradient_is_summed_to_input_shape():
    a = leaf(3, 1)
    b = leaf(4)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_allclose(a.grad.numpy()[:, 0], np.full(3, b.detach().numpy().sum()))


def test_grad_dtype_matches_leaf_dtype():
    x = ember.ones(3, dtype=ember.float32, requires_grad=True)
    (x.double() * 2).sum().backward()
    assert x.grad.dtype == ember.float32


def test_autograd_grad_returns_without_touching_grad():
    x = leaf(3)
    y = (x * x).sum()
    (g,) = autograd.grad(y, x)
    np.testing.assert_allclose(g.numpy(), 2 * x.detach().numpy())
    assert x.grad is None


def test_autograd_grad_unused_input():
    x, z = leaf(3), leaf(3, seed=5)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="not have been used"):
        autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = autograd.grad(y, [x, z], allow_unused=True)
    assert gz is None and gx is not None


def test_autograd_grad_wrt_non_leaf():
    x = leaf(3)
    h = x * 3
    y = (h * h).sum()
    (gh,) = autograd.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.detach().numpy())


def test_backward_inputs_argument_limits_accumulation():
    x, w = leaf(3), leaf(3, seed=3)
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), x.detach().numpy())


def test_multi_output_op_with_unused_output():
    x = leaf(6)
    a, b, c = x.split(2)
    (b * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0, 3, 3, 0, 0])


def test_saved_arrays_are_freed_after_backward():
    x = leaf(3)
    y = x.relu()
    node = y.grad_fn
    y.sum().backward()
    assert not hasattr(node, "mask")


def test_consumer_outside_the_backward_graph_does_not_block_a_node():
    # y has two consumers; only one leads to the root. The sweep must not wait for the other.
    x = leaf(3)
    y = x * 2
    _unused = y * 3
    (y * 5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 10.0))


def test_node_runs_after_all_consumers_on_paths_of_different_lengths():
    # x feeds the root directly and through a long chain created later and earlier than the
    # short path: x's gradient must be complete (summed) before x's own node runs.
    w = leaf(3)
    x = w * 1.0
    long = x
    for _ in range(20):
        long = long * 1.0
    short = x * 2.0
    (long + short + x.exp()).sum().backward()
    expected = 1.0 + 2.0 + np.exp(w.detach().numpy())
    np.testing.assert_allclose(w.grad.numpy(), expected)


def test_nodes_created_out_of_order_with_data_flow():
    # b is created before a, but a is consumed later: creation order still sorts them right
    x = leaf(2)
    b = x * 3.0
    a = x.exp()
    loss = (a * b).sum()
    loss.backward()
    xv = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(xv) * 3 * xv + np.exp(xv) * 3)


def test_backward_into_a_freed_subgraph_raises():
    x = leaf(2)
    y = x.exp()
    y.sum().backward()  # frees y's node
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        (y * 2).sum().backward()


def test_node_hook_alone_still_runs():
    x = leaf(3)
    y = x * 2
    seen = []
    y.grad_fn.register_hook(lambda gin, gout: seen.append(len(gin)))
    y.sum().backward()
    assert seen == [2]
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 2.0))
