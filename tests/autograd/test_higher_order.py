"""create_graph=True: gradients of gradients (gradient penalties, Hessian-vector products)."""

import numpy as np
import pytest

import ember
from ember import autograd


def test_second_derivative_of_cubic():
    x = ember.tensor([1.0, 2.0, -3.0], dtype=ember.float64, requires_grad=True)
    y = (x ** 3).sum()
    (g,) = autograd.grad(y, x, create_graph=True)  # 3x^2
    (h,) = autograd.grad(g.sum(), x)  # 6x
    np.testing.assert_allclose(h.numpy(), 6 * x.detach().numpy())


def test_third_derivative_of_tanh_matches_closed_form():
    x = ember.tensor([0.3, -0.7], dtype=ember.float64, requires_grad=True)
    y = x.tanh().sum()
    (g1,) = autograd.grad(y, x, create_graph=True)
    (g2,) = autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = autograd.grad(g2.sum(), x)
    t = np.tanh(x.detach().numpy())
    np.testing.assert_allclose(g3.numpy(), -2 * (1 - t**2) * (1 - 3 * t**2), rtol=1e-10)


def test_gradient_penalty_backward_reaches_weights():
    """WGAN-GP style: loss = (||d critic(x) / dx|| - 1)^2, differentiated w.r.t. the weights."""
    rng = np.random.default_rng(0)
    w1 = ember.tensor(rng.standard_normal((4, 8)), requires_grad=True)
    w2 = ember.tensor(rng.standard_normal((8, 1)), requires_grad=True)
    x = ember.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    out = ((x @ w1).tanh() @ w2).sum()
    (gx,) = autograd.grad(out, x, create_graph=True)
    penalty = ((gx.norm(dim=1) - 1) ** 2).mean()
    penalty.backward()
    assert w1.grad is not None and np.all(np.isfinite(w1.grad.numpy()))
    assert np.abs(w1.grad.numpy()).sum() > 0

    torch = pytest.importorskip("torch")
    tw1 = torch.tensor(w1.detach().numpy(), requires_grad=True)
    tw2 = torch.tensor(w2.detach().numpy(), requires_grad=True)
    tx = torch.tensor(x.detach().numpy(), requires_grad=True)
    tout = ((tx @ tw1).tanh() @ tw2).sum()
    (tgx,) = torch.autograd.grad(tout, tx, create_graph=True)
    ((tgx.norm(dim=1) - 1) ** 2).mean().backward()
    np.testing.assert_allclose(w1.grad.numpy(), tw1.grad.numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(w2.grad.numpy(), tw2.grad.numpy(), rtol=1e-6, atol=1e-9)


def test_hessian_vector_product():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 3))
    A = a @ a.T
    x = ember.tensor(rng.standard_normal(3), requires_grad=True)
    f = 0.5 * (x @ ember.tensor(A) @ x)
    (g,) = autograd.grad(f, x, create_graph=True)
    v = ember.tensor(rng.standard_normal(3))
    (hv,) = autograd.grad((g * v).sum(), x)
    np.testing.assert_allclose(hv.numpy(), A @ v.numpy(), rtol=1e-10)


def test_backward_with_create_graph_builds_differentiable_grad():
    x = ember.tensor([2.0], dtype=ember.float64, requires_grad=True)
    (x ** 2).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0])


def test_once_differentiable_function_refuses_create_graph():
    class Square(autograd.Function):
        once_differentiable = True

        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2 * ctx.inputs[0]

    x = ember.tensor([1.5], dtype=ember.float64, requires_grad=True)
    y = Square.apply(x).sum()
    with pytest.raises(RuntimeError, match="once-differentiable"):
        autograd.grad(y, x, create_graph=True)
