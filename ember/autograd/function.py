"""Function: the base of every differentiable op; an applied instance is its graph node."""

from __future__ import annotations

import itertools

import numpy as np

from ember._tensor import Tensor
from ember.autograd import anomaly
from ember.autograd.grad_mode import STATE


class Function:
    """Base class of ops. Subclasses define static ``forward(ctx, *arrays, **params)`` on arrays
    and ``backward(ctx, *grads)`` on Tensors (itself differentiable, so double backward works).

    ``Function.apply(*args, **params)`` runs forward on the arrays of Tensor arguments (other
    arguments pass through unchanged) and, when grad mode is on and an input requires grad,
    records the instance as ``grad_fn`` of the outputs. Inside ``backward``:
    ``ctx.inputs`` (the original arguments), ``ctx.output`` (the output Tensor(s), with this node
    as grad_fn) and ``ctx.needs_input_grad`` are available.
    """

    once_differentiable = False  # True only for kernels whose backward is written on raw arrays
    is_view = False  # output shares memory (and the version counter) with the first input
    # indices of the arguments whose values backward reads; an in-place change to one of those
    # makes backward refuse to run. None means all of them (the safe default).
    saves_inputs: tuple | None = None

    _released = False
    _hooks = None  # {output index: [hook, ...]} for non-leaf tensor hooks
    _retained = None  # {output index: weakref to a tensor that called retain_grad()}
    _site = None  # anomaly mode: where the op was created
    _special = False  # True once tensor hooks, retain_grad or node hooks are registered

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise TypeError(f"{type(ctx).__name__} must define a static forward(ctx, *arrays)")

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(f"{type(ctx).__name__} has no backward: it is not differentiable")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls.__new__(cls)
        requires = False
        arrays = []
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                if a.requires_grad:
                    requires = True
            else:
                arrays.append(a)
        record = requires and STATE.grad_enabled
        if STATE.anomaly:
            return anomaly.checked_apply(cls, ctx, args, arrays, kwargs, record)
        out = cls.forward(ctx, *arrays, **kwargs)
        if out.__class__ is not np.ndarray and out.__class__ is not tuple:
            out = np.asarray(out)  # NumPy reductions of 0-d inputs return scalars
        if not record and out.__class__ is not tuple:  # the common no-graph case, inlined
            return Tensor._make(out, False, None, 0, args[0]._vc if cls.is_view else None)
        return _wrap_outputs(cls, ctx, args, out, record, kwargs)

    @property
    def xp(self):
        """Array module of this op's inputs (numpy on cpu; the seam for a cupy backend)."""
        return np

    # -- what backward sees --------------------------------------------------------------------
    @property
    def inputs(self):
        self._check_versions()
        return self._inputs

    def input(self, i: int):
        """Argument ``i`` of forward, checked for in-place changes (only this one)."""
        if self._released:
            raise RuntimeError(_FREED_MESSAGE.format(name=self.name()))
        vc, version = self._in_versions[i]
        if vc is not None and vc[0] != version:
            raise RuntimeError(_modified_message(self, f"input {i}", vc[0], version))
        return self._inputs[i]

    @property
    def output(self):
        if self._released:
            raise RuntimeError(_FREED_MESSAGE.format(name=self.name()))
        if self._out_version[0] is not None and self._out_vc[0] != self._out_version[0]:
            raise RuntimeError(_modified_message(self, "its output"))
        if self._n_out == 1:
            return Tensor._make(self._out_data, True, self, 0, self._out_vc)
        return tuple(
            Tensor._make(d, True, self, i, self._out_vc) for i, d in enumerate(self._out_data)
        )

    @property
    def saved_tensors(self):
        return tuple(Tensor._make(a) if a is not None else None for a in self._saved)

    def save_for_backward(self, *arrays):
        self._saved = arrays

    def _check_versions(self):
        if self._released:
            raise RuntimeError(_FREED_MESSAGE.format(name=self.name()))
        saved = self.saves_inputs
        for i, (vc, version) in enumerate(self._in_versions):
            if vc is not None and vc[0] != version and (saved is None or i in saved):
                raise RuntimeError(_modified_message(self, f"input {i}", vc[0], version))

    # -- graph introspection (PyTorch's grad_fn API) -------------------------------------------
    def name(self) -> str:
        return type(self).__name__ + "Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self):
        edges = self._edges or ()
        result = []
        for e in edges:
            if e is False:
                continue
            if e is None:
                result.append((None, 0))
            elif type(e) is tuple:
                result.append(e)
            else:
                result.append((AccumulateGrad(e), 0))
        return tuple(result)

    def register_hook(self, hook):
        """Hook called as ``hook(grad_inputs, grad_outputs)`` after this node's backward."""
        post = self.__dict__.setdefault("_post_hooks", [])
        self._special = True
        post.append(hook)
        return _RemovableHandle(post, hook)

    def _release(self):
        """Drop saved state after backward; keep what graph introspection still needs."""
        d = self.__dict__
        kept = {
            "_n_out": d["_n_out"],
            "_out_meta": d["_out_meta"],
            "_seq": d["_seq"],
            "_released": True,
            "_edges": None,
        }
        if "_special" in d or "_site" in d:  # rare: hooks, retain_grad, anomaly mode
            for key in _KEPT_IF_SET:
                if key in d:
                    kept[key] = d[key]
        self.__dict__ = kept  # the old dict, and the arrays only it holds, go now


_KEPT_IF_SET = ("_hooks", "_retained", "_special", "_site")

# Every recorded node takes the next number. A node's inputs exist before it, so they always
# have smaller numbers: visiting nodes from the highest number down is a topological order.
_SEQUENCE = itertools.count()

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed) at {name}. Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time."
)


def _modified_message(node, what, now=None, then=None) -> str:
    versions = f" is at version {now}; expected version {then} instead" if now is not None else ""
    site = f" (created at {node._site})" if node._site else ""
    return (
        f"one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {what} of {node.name()}{site}{versions}. Hint: replace the in-place "
        f"operation by an out-of-place one, or clone() the tensor before modifying it."
    )


def _wrap_outputs(cls, ctx, args, out, record, kwargs=None):
    """Turn forward's array(s) into Tensor(s); record the node when ``record``."""
    multi = type(out) is tuple
    if not record:
        vc = args[0]._vc if cls.is_view else None
        if multi:
            return tuple(Tensor._make(o, False, None, 0, vc) for o in out)
        return Tensor._make(out, False, None, 0, vc)
    ctx._inputs = args
    in_versions = []
    edges = []
    needs = []
    for a in args:
        if isinstance(a, Tensor):
            vc = a._vc
            in_versions.append((vc, vc[0]))
            fn = a.grad_fn
            if fn is not None:
                edges.append((fn, a._out_idx))
                needs.append(True)
            elif a.requires_grad:
                edges.append(a)
                needs.append(True)
            else:
                edges.append(None)
                needs.append(False)
        else:
            in_versions.append((None, None))
            edges.append(False)  # not a tensor: no edge, and not listed in next_functions
            needs.append(False)
    ctx._in_versions = in_versions
    ctx._edges = edges
    ctx._seq = next(_SEQUENCE)  # creation order: the backward sweep's topological order
    ctx.needs_input_grad = tuple(needs)
    if multi:
        vc = args[0]._vc if cls.is_view else [0]
        ctx._n_out = len(out)
        ctx._out_data = out
        ctx._out_vc = vc
        ctx._out_version = [0]
        ctx._out_meta = tuple((o.shape, o.dtype) for o in out)
        outs = tuple(
            Tensor._make(o, True, ctx, i, vc) if o.dtype.kind == "f" else Tensor._make(o)
            for i, o in enumerate(out)
        )
        if cls.is_view:  # views that cannot be replayed: in-place writes to them are refused
            for t in outs:
                t._view_of = (_view_base(args[0]), None)
        return outs
    if out.dtype.kind != "f":  # integer/bool results carry no gradient
        return Tensor._make(out)
    vc = args[0]._vc if cls.is_view else [0]
    ctx._n_out = 1
    ctx._out_data = out
    ctx._out_vc = vc
    ctx._out_version = [vc[0]]
    ctx._out_meta = ((out.shape, out.dtype),)
    result = Tensor._make(out, True, ctx, 0, vc)
    if cls.is_view:
        _record_view(result, args, cls, kwargs)
    return result


def _view_base(src):
    """The tensor whose storage ``src`` views (``src`` itself when it is not a view)."""
    parent = src.__dict__.get("_view_of") if src.grad_fn is not None else None
    return src if parent is None else parent[0]


def _record_view(result, args, cls, kwargs):
    """Remember how ``result`` views its base, so an in-place write to it can update the base.

    ``_view_of = (base, steps)`` where replaying ``steps`` (view Function, extra args, kwargs)
    on the base reproduces the view; ``steps`` is None when the view cannot be replayed.
    """
    src = args[0]
    parent = src.__dict__.get("_view_of") if src.grad_fn is not None else None
    step = ((cls, args[1:], kwargs or {}),)
    if parent is None:
        result._view_of = (src, step)
    else:
        result._view_of = (parent[0], None if parent[1] is None else parent[1] + step)


class AccumulateGrad:
    """The node PyTorch shows for a leaf in ``next_functions``."""

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"

    next_functions = ()


class _RemovableHandle:
    def __init__(self, hooks: list, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


Context = Function  # the ``ctx`` of forward/backward is the node itself

def once_differentiable(cls):
    """Class decorator marking a Function whose backward cannot itself be differentiated."""
    cls.once_differentiable = True
    return cls
