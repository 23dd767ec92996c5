"""gradcheck/gradgradcheck: compare analytic gradients with central finite differences."""

from __future__ import annotations

import numpy as np

from ember._tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised when analytic and numerical gradients disagree."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    return (out,) if isinstance(out, Tensor) else tuple(o for o in out if isinstance(o, Tensor))


def _flat_outputs(fn, inputs) -> np.ndarray:
    return np.concatenate([o._data.reshape(-1).astype(np.float64) for o in _outputs(fn, inputs)])


def _numerical_jacobian(fn, inputs, idx, out_sizes, eps):
    """Columns d(outputs)/d(inputs[idx][j]) by central differences, shape (n_in, total_out)."""
    data = inputs[idx]._data  # perturbed in place, element by element in C order (any strides)
    jac = np.zeros((data.size, sum(out_sizes)))
    for j, at in enumerate(np.ndindex(data.shape)):
        orig = data[at]
        data[at] = orig + eps
        plus = _flat_outputs(fn, inputs)
        data[at] = orig - eps
        minus = _flat_outputs(fn, inputs)
        data[at] = orig
        jac[j] = (plus - minus) / (2 * eps)
    return jac


def _analytic_jacobian(fn, inputs, diff_idx, outs):
    from ember.autograd import grad

    total = sum(o._data.size for o in outs)
    jacs = [np.zeros((inputs[i]._data.size, total)) for i in diff_idx]
    col = 0
    for o in outs:
        for k in range(o._data.size):
            seed = np.zeros(o._data.size, dtype=o._data.dtype)
            seed[k] = 1
            if o.requires_grad:
                gs = grad(o, [inputs[i] for i in diff_idx], Tensor._make(seed.reshape(o.shape)),
                          retain_graph=True, allow_unused=True)
                for j, g in enumerate(gs):
                    if g is not None:
                        jacs[j][:, col] = g._data.reshape(-1)
            col += 1
    return jacs


def gradcheck(fn, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, **_ignored) -> bool:
    """Check ``fn``'s gradients w.r.t. every float64 input that requires grad.

    Args:
        fn: callable taking ``*inputs`` and returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or tuple of Tensors (and other arguments passed through).
    Returns:
        True, or raises GradcheckError naming the input and the worst entry.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    for i in diff_idx:
        if inputs[i]._data.dtype != np.float64:
            raise GradcheckError(
                f"gradcheck: input {i} has dtype {inputs[i].dtype!r}; use float64 inputs, "
                "finite differences in lower precision are unreliable"
            )
    outs = _outputs(fn, inputs)
    analytic = _analytic_jacobian(fn, inputs, diff_idx, outs)
    sizes = [o._data.size for o in outs]
    for j, i in enumerate(diff_idx):
        numeric = _numerical_jacobian(fn, inputs, i, sizes, eps)
        if not np.allclose(analytic[j], numeric, rtol=rtol, atol=atol):
            err = np.abs(analytic[j] - numeric)
            r, c = np.unravel_index(np.argmax(err), err.shape)
            msg = (
                f"Jacobian mismatch for output 0 with respect to input {i},\n"
                f"numerical:{numeric}\nanalytical:{analytic[j]}\n"
                f"worst entry [{r}, {c}]: numerical {numeric[r, c]:.6g}, "
                f"analytical {analytic[j][r, c]:.6g}"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, **_ignored) -> bool:
    """Check second derivatives: gradcheck of ``(inputs, v) -> vJP(fn)(inputs, v)``."""
    from ember.autograd import grad

    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    diff_idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._make(rng.standard_normal(o._data.shape)).requires_grad_(True) for o in outs
        )
    else:
        grad_outputs = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
    n_in = len(inputs)

    def first_order(*args):
        xs, vs = args[:n_in], args[n_in:]
        o = [t for t in _outputs(fn, xs) if t.requires_grad]
        gs = grad(o, [xs[i] for i in diff_idx], vs[: len(o)], create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_order, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
