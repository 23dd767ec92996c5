"""Tensor: an n-dimensional array with autograd metadata.

Storage is a NumPy array in ``_data``; every operator and method is a one-line call into
``ember.ops`` (bound at the bottom of this file to break the import cycle).
"""

from __future__ import annotations

import weakref

import numpy as np

from ember import _dtype
from ember._backend import CPU, as_device
from ember._tensor_ops import TensorOps

_new = object.__new__  # bound once: Tensor._make runs for every op output and gradient


class Size(tuple):
    """The shape of a tensor: a tuple that prints like PyTorch's ``torch.Size``."""

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    def __getitem__(self, key):
        out = tuple.__getitem__(self, key)
        return Size(out) if isinstance(key, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other))) if isinstance(other, tuple) else (
            NotImplemented)

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self)) if isinstance(other, tuple) else NotImplemented

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class Tensor(TensorOps):
    """An n-dimensional array that can record the operations applied to it.

    Attributes:
        requires_grad: whether operations on it are recorded for backward.
        grad: the accumulated gradient (a Tensor) after ``backward``, or None.
        grad_fn: the node that created it (None for leaves).
    """

    __slots__ = ("_data", "requires_grad", "grad", "grad_fn", "_out_idx", "_vc", "_hooks",
                 "__weakref__", "__dict__")
    __array_ufunc__ = None  # NumPy defers to our reflected operators: ndarray * Tensor -> Tensor
    __array_priority__ = 1000

    def __init__(self, data=None, *, requires_grad: bool = False, dtype=None):
        from ember._creation import _as_array

        arr = _as_array([] if data is None else data, dtype, copy=True, float_default=True)
        Tensor._init(self, arr, requires_grad)

    def _init(self, arr, requires_grad=False, grad_fn=None, out_idx=0, vc=None):
        self._data = arr
        self.grad = None
        self.grad_fn = grad_fn
        self._out_idx = out_idx
        self._vc = [0] if vc is None else vc
        self._hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(arr, requires_grad=False, grad_fn=None, out_idx=0, vc=None) -> Tensor:
        """Fast constructor used by ops: wraps ``arr`` without copying or checking."""
        t = _new(Tensor)
        t._data = arr
        t.requires_grad = requires_grad
        t.grad = None
        t.grad_fn = grad_fn
        t._out_idx = out_idx
        t._vc = [0] if vc is None else vc
        t._hooks = None
        return t

    @staticmethod
    def _dtype_of(np_dtype):
        return _dtype.from_numpy_dtype(np_dtype)

    # -- metadata ------------------------------------------------------------------------------
    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_ops._util.canonical_dim(dim, self._data.ndim, "size")]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def nelement(self) -> int:
        return self._data.size

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    @property
    def device(self):
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return self._data.flags.c_contiguous

    def stride(self, dim: int | None = None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        if dim is None:
            return strides
        return strides[_ops._util.canonical_dim(dim, self._data.ndim, "stride")]

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    @property
    def _version(self) -> int:
        return self._vc[0]

    # -- autograd ------------------------------------------------------------------------------
    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(
                "requires_grad: only Tensors of floating point dtype can require gradients, got "
                f"{self.dtype!r}"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        self.requires_grad = bool(requires_grad)
        return self

    @property
    def data(self) -> Tensor:
        """A tensor sharing this storage without autograd history (changes are not tracked)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data must be set to a Tensor, got {type(value).__name__}")
        self._data = value._data

    def detach(self) -> Tensor:
        """A new tensor sharing storage (and version counter) with no history."""
        return Tensor._make(self._data, False, None, 0, self._vc)

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self.requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None:
            return
        node = self.grad_fn
        if node._retained is None:
            node._retained = {}
            node._special = True
        node._retained[self._out_idx] = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        node = self.grad_fn
        return bool(node is not None and node._retained and self._out_idx in node._retained)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from ember.autograd.function import _RemovableHandle

        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            node = self.grad_fn
            if node._hooks is None:
                node._hooks = {}
                node._special = True
            hooks = node._hooks.setdefault(self._out_idx, [])
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``."""
        _autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # -- conversion ----------------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self._data
        if dtype is not None and arr.dtype != dtype:
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"item(): a Tensor with {self._data.size} elements (shape "
                f"{tuple(self._data.shape)}) cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def _python_scalar(self, kind: str):
        if self._data.size != 1:
            raise ValueError(
                f"{kind}(): only one element tensors can be converted to Python scalars, got a "
                f"tensor of shape {tuple(self._data.shape)}"
            )
        return self._data.reshape(()).item()

    def __float__(self) -> float:
        return float(self._python_scalar("float"))

    def __int__(self) -> int:
        return int(self._python_scalar("int"))

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"bool(): Boolean value of Tensor with {self._data.size} values (shape "
                f"{tuple(self._data.shape)}) is ambiguous"
            )
        return bool(self._data.reshape(()).item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(_ops.shape.unbind(self, 0))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        from ember._printing import tensor_repr

        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self.requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment."
            )
        new = type(self).__new__(type(self))
        Tensor._init(new, self._data.copy(), self.requires_grad)
        if self.grad is not None:
            new.grad = Tensor._make(self.grad._data.copy())
        for k, v in getattr(self, "__dict__", {}).items():
            import copy

            new.__dict__[k] = copy.deepcopy(v, memo)
        memo[id(self)] = new
        return new

    # -- dtype and device ----------------------------------------------------------------------
    def to(self, *args, **kwargs) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
        dtype = kwargs.pop("dtype", None)
        dev = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, _dtype.dtype) or a in (float, int, bool) or (
                isinstance(a, np.dtype)
            ):
                dtype = a
            else:
                dev = a
        if dev is not None:
            as_device(dev)
        if dtype is None or _dtype.to_dtype(dtype).np == self._data.dtype:
            return self.clone() if copy else self
        return _ops.elementwise.cast(self, _dtype.to_dtype(dtype))

    def type(self, dtype=None):
        if dtype is None:
            return f"ember.{_TYPE_NAMES.get(self.dtype.name, 'Tensor')}"
        return self.to(dtype)

    def cpu(self) -> Tensor:
        return self

    def cuda(self, device=None) -> Tensor:
        as_device("cuda")
        return self

    def float(self) -> Tensor:
        return self.to(_dtype.float32)

    def double(self) -> Tensor:
        return self.to(_dtype.float64)

    def half(self) -> Tensor:
        return self.to(_dtype.float16)

    def long(self) -> Tensor:
        return self.to(_dtype.int64)

    def int(self) -> Tensor:
        return self.to(_dtype.int32)

    def short(self) -> Tensor:
        return self.to(_dtype.int16)

    def char(self) -> Tensor:
        return self.to(_dtype.int8)

    def byte(self) -> Tensor:
        return self.to(_dtype.uint8)

    def bool(self) -> Tensor:
        return self.to(_dtype.bool_)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def clone(self, *, memory_format=None) -> Tensor:
        return _ops.elementwise.clone(self)

    def contiguous(self, memory_format=None) -> Tensor:
        return self if self._data.flags.c_contiguous else _ops.elementwise.clone(self)

    # -- creation helpers ----------------------------------------------------------------------
    def new_tensor(self, data, dtype=None, requires_grad=False) -> Tensor:
        from ember._creation import tensor

        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad=False) -> Tensor:
        return _creation.zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False) -> Tensor:
        return _creation.ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False) -> Tensor:
        return _creation.empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False) -> Tensor:
        return _creation.full(size, fill_value, dtype=dtype or self.dtype,
                              requires_grad=requires_grad)

def is_tensor(obj) -> bool:
    """Whether ``obj`` is an ember Tensor (PyTorch's ``torch.is_tensor``)."""
    return isinstance(obj, Tensor)


def _rebuild(arr, requires_grad):
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


_TYPE_NAMES = {
    "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
    "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
    "uint8": "ByteTensor", "bool": "BoolTensor",
}

# ember.ops imports Tensor, so it is bound here, after the class exists.
from ember import _creation, _tensor_ops  # noqa: E402
from ember import autograd as _autograd  # noqa: E402
from ember import ops as _ops  # noqa: E402

_tensor_ops._ops = _ops
_tensor_ops._creation = _creation
