"""Custom autograd.Function and the public gradcheck/gradgradcheck utilities."""

import numpy as np
import pytest

import ember
from ember import autograd


class Cube(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        x = ctx.inputs[0]
        return grad * 3 * x * x


class BadCube(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        return grad * 2 * ctx.inputs[0]  # wrong on purpose


def x64(*shape):
    return ember.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)


def test_custom_function_forward_backward_and_double_backward():
    x = x64(4)
    assert autograd.gradcheck(Cube.apply, (x,))
    assert autograd.gradgradcheck(Cube.apply, (x,))
    assert Cube.apply(x).grad_fn.name() == "CubeBackward0"


def test_gradcheck_detects_a_wrong_backward():
    with pytest.raises(autograd.GradcheckError, match="Jacobian mismatch"):
        autograd.gradcheck(BadCube.apply, (x64(3),))
    assert autograd.gradcheck(BadCube.apply, (x64(3),), raise_exception=False) is False


def test_gradcheck_perturbs_non_contiguous_inputs():
    # a transposed input: its flat reshape is a copy, so perturbing that would change nothing
    base = np.random.default_rng(1).standard_normal((4, 3))
    x = ember.from_numpy(base.T).requires_grad_()
    assert not x._data.flags.c_contiguous
    assert autograd.gradcheck(Cube.apply, (x,))
    with pytest.raises(autograd.GradcheckError, match="Jacobian mismatch"):
        autograd.gradcheck(BadCube.apply, (ember.from_numpy(base.T).requires_grad_(),))
    np.testing.assert_array_equal(x._data, base.T)  # every perturbation undone


def test_gradcheck_requires_float64():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(autograd.GradcheckError, match="float64"):
        autograd.gradcheck(lambda t: t * 2, (x,))


def test_wrong_number_of_gradients_is_reported():
    class Two(autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad

    a, b = x64(2), x64(2)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Two.apply(a, b).sum().backward()


def test_save_for_backward_and_saved_tensors():
    class Scale(autograd.Function):
        @staticmethod
        def forward(ctx, x, factor):
            ctx.save_for_backward(np.asarray(factor))
            return x * factor

        @staticmethod
        def backward(ctx, grad):
            (factor,) = ctx.saved_tensors
            return grad * factor, None

    x = x64(3)
    Scale.apply(x, 4.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 4.0))
