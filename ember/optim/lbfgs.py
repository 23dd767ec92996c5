"""LBFGS: limited-memory BFGS on the flattened parameters, with an optional line search."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ember._tensor import Tensor
from ember.optim._line_search import strong_wolfe
from ember.optim._util import _check_nonnegative, _eval_closure
from ember.optim.optimizer import Optimizer

__all__ = ["LBFGS"]


def _array(value) -> np.ndarray:
    return value._data if isinstance(value, Tensor) else value


def _scalar(value):
    """A 0-d state tensor as a NumPy scalar of its dtype (other values unchanged)."""
    return value._data[()] if isinstance(value, Tensor) else value


def _pack(value):
    """NumPy scalars are stored as 0-d tensors, as PyTorch stores them."""
    return Tensor._make(np.asarray(value)) if isinstance(value, np.generic) else value


class LBFGS(Optimizer):
    """L-BFGS (after minFunc), with PyTorch's algorithm, stopping rules and state layout.

    Each ``step(closure)`` runs up to ``max_iter`` iterations: the two-loop recursion turns the
    last ``history_size`` curvature pairs ``(y, s)`` into a quasi-Newton direction ``d``, then
    the parameters move by ``t * d`` (``t = lr``, or found by the strong-Wolfe line search).

    Args:
        params: parameters to optimize (a single group only).
        lr: learning rate (initial step length). Default: 1.
        max_iter: maximum iterations per ``step``. Default: 20.
        max_eval: maximum closure evaluations per ``step``. Default: ``max_iter * 5 // 4``.
        tolerance_grad: stop when ``max |grad|`` falls to this. Default: 1e-7.
        tolerance_change: stop when the loss or the step changes less than this. Default: 1e-9.
        history_size: number of curvature pairs kept. Default: 100.
        line_search_fn: None or ``"strong_wolfe"``. Default: None.

    State (on the first parameter): ``func_evals``, ``n_iter``, ``d`` and ``prev_flat_grad``
    (flat, all parameters' numel), ``t``, ``old_dirs``/``old_stps`` (lists of flat tensors),
    ``ro``, ``al``, ``H_diag``, ``prev_loss``.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        _check_nonnegative(("learning rate", lr))
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._params = self.param_groups[0]["params"]

    # -- flat views of all parameters ----------------------------------------------------------
    def _gather_flat_grad(self) -> np.ndarray:
        """All gradients concatenated (zeros for parameters without one)."""
        return np.concatenate(
            [
                np.zeros(p._data.size, p._data.dtype) if p.grad is None else p.grad._data.ravel()
                for p in self._params
            ]
        )

    def _add_grad(self, step_size: float, update: np.ndarray) -> None:
        """``params += step_size * update`` (update is flat)."""
        offset = 0
        for p in self._params:
            n = p._data.size
            p._data += (update[offset : offset + n] * step_size).reshape(p._data.shape)
            p._vc[0] += 1
            offset += n

    def _set_params(self, arrays: list[np.ndarray]) -> None:
        for p, arr in zip(self._params, arrays):
            np.copyto(p._data, arr)
            p._vc[0] += 1

    def _directional_evaluate(self, closure: Callable, x, t: float, d: np.ndarray):
        """Loss and flat gradient at ``x + t * d``; the parameters are restored to ``x``."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_params(x)
        return loss, flat_grad

    # -- the step ------------------------------------------------------------------------------
    def step(self, closure: Callable):
        """Run up to ``max_iter`` L-BFGS iterations.

        Args:
            closure: re-evaluates the model (zeroing and recomputing gradients) and returns the
                loss; required.

        Returns:
            the loss from the first closure evaluation.
        """
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        if line_search_fn not in (None, "strong_wolfe"):
            raise RuntimeError("only 'strong_wolfe' is supported")

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = _eval_closure(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:  # already optimal
            return orig_loss

        d = _array(state.get("d"))
        t = _scalar(state.get("t"))
        old_dirs = [_array(v) for v in state.get("old_dirs") or []]
        old_stps = [_array(v) for v in state.get("old_stps") or []]
        ro = [_scalar(v) for v in state.get("ro") or []]
        h_diag = _scalar(state.get("H_diag"))
        prev_flat_grad = _array(state.get("prev_flat_grad"))
        prev_loss = _scalar(state.get("prev_loss"))

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:  # first ever iteration: steepest descent
                d = -flat_grad
                old_dirs, old_stps, ro, h_diag = [], [], [], 1
            else:
                # curvature pair from the last move; kept only when y.s is safely positive
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / y.dot(y)
                if "al" not in state:
                    state["al"] = [None] * history_size
                state["al"] = al = [_scalar(v) for v in state["al"]]
                d = self._two_loop(al, flat_grad, old_dirs, old_stps, ro, h_diag)

            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                x_init = [p._data.copy() for p in self._params]

                def obj_func(x, step, direction):
                    return self._directional_evaluate(closure, x, step, direction)

                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    # re-evaluate only when another iteration may follow
                    loss = float(_eval_closure(closure))
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tolerance_change:  # lack of progress
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        wrap = Tensor._make
        state["d"] = wrap(d)
        state["t"] = _pack(t)
        state["old_dirs"] = [wrap(v) for v in old_dirs]
        state["old_stps"] = [wrap(v) for v in old_stps]
        state["ro"] = [_pack(v) for v in ro]
        state["H_diag"] = _pack(h_diag)
        if "al" in state:
            state["al"] = [_pack(v) for v in state["al"]]
        state["prev_flat_grad"] = wrap(prev_flat_grad)
        state["prev_loss"] = prev_loss
        return orig_loss

    @staticmethod
    def _two_loop(al: list, flat_grad, old_dirs, old_stps, ro, h_diag) -> np.ndarray:
        """The L-BFGS two-loop recursion: ``d = -H g`` with H the implicit inverse Hessian.

        ``al`` (one slot per history entry) receives the first loop's coefficients.
        """
        q = -flat_grad
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = old_stps[i].dot(q) * ro[i]
            q -= old_dirs[i] * al[i]
        r = q * h_diag
        for i in range(len(old_dirs)):
            be_i = old_dirs[i].dot(r) * ro[i]
            r += old_stps[i] * (al[i] - be_i)
        return r
