"""Parameter: a Tensor that a Module registers as one of its learnable weights."""

from __future__ import annotations

from ember._tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is registered as a parameter when assigned as a Module attribute.

    It shares storage with ``data`` and is always a graph leaf. Operations on a Parameter return
    plain Tensors.

    Args:
        data: the initial value (a Tensor); None gives an empty float tensor.
        requires_grad: whether the parameter takes part in autograd. Default: True.
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            from ember._creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}"
            )
        self = object.__new__(cls)
        # share the storage and version counter of ``data``, as data.detach() would
        Tensor._init(self, data._data, requires_grad, None, 0, data._vc)
        return self

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        pass  # everything happens in __new__ (Tensor.__init__ has another signature)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self.requires_grad))


def _rebuild_parameter(arr, requires_grad: bool) -> Parameter:
    return Parameter(Tensor._make(arr), requires_grad)


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (lazy modules); ``materialize`` gives it one.

    Materializing turns it, in place, into a plain ``Parameter`` (the object keeps its identity).
    """

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None):
        from ember._creation import empty

        return Parameter.__new__(cls, empty(0, dtype=dtype, device=device), requires_grad)

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        pass

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the parameter storage of ``shape`` (uninitialized values) and make it a Parameter.

        Args:
            shape: the shape of the materialized tensor.
            device: where to place it (only "cpu" is available).
            dtype: its dtype; defaults to the dtype given at construction.
        """
        from ember._creation import empty

        self.data = empty(*shape, dtype=dtype or self.dtype, device=device)
        self.__class__ = Parameter

    def __repr__(self) -> str:
        return "<UninitializedParameter>"

    def __reduce_ex__(self, protocol):
        return (UninitializedParameter, (self.requires_grad, None, self.dtype))


def is_lazy(param) -> bool:
    """Whether ``param`` is an UninitializedParameter (shape not known yet)."""
    return isinstance(param, UninitializedParameter)
