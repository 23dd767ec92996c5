"""Identity, Linear, Bilinear and LazyLinear."""

from __future__ import annotations

import math

from ember._creation import empty
from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad
from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter, UninitializedParameter, is_lazy
from ember.ops._util import shape_str

__all__ = ["Bilinear", "Identity", "Linear", "LazyLinear"]


class Identity(Module):
    """Returns its input unchanged; any constructor arguments are ignored.

    Shape:
        - Input: ``(*)``
        - Output: ``(*)``, the same tensor.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """Affine layer ``y = x @ weight.T + bias``.

    Weight and bias start uniform in ``(-1/sqrt(in_features), 1/sqrt(in_features))``, as in
    PyTorch (kaiming_uniform_ with ``a=sqrt(5)`` for the weight).

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: whether to learn an additive bias. Default: True.
        device: where to place the parameters (only "cpu").
        dtype: parameter dtype (the default float dtype when None).

    Shape:
        - Input: ``(*, in_features)``
        - Output: ``(*, out_features)``
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw weight and bias with PyTorch's default initialisation."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        params = self._parameters
        try:  # a dict read: ``self.weight`` goes through Module.__getattr__ (~1 us on 3.11)
            weight, bias = params["weight"], params["bias"]
        except KeyError:  # parametrized (a property) or replaced by a plain attribute
            weight, bias = self.weight, self.bias
        try:
            return F.linear(input, weight, bias)
        except RuntimeError:  # checked only on failure: name the layer when the width is wrong
            self._check_width(input)
            raise

    def _check_width(self, input) -> None:
        shape = input._data.shape if isinstance(input, Tensor) else None
        if shape is not None and (not shape or shape[-1] != self.in_features):
            raise RuntimeError(
                f"{self._get_name()}({self.extra_repr()}): expected last "
                f"dimension {self.in_features}, got input of shape "
                f"{shape_str(shape)}"
            ) from None

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Bilinear(Module):
    """``y = x1^T A x2 + b`` with one matrix ``A`` per output feature.

    Weight and bias start uniform in ``(-1/sqrt(in1_features), 1/sqrt(in1_features))``.

    Args:
        in1_features, in2_features: sizes of the two inputs' last dimension.
        out_features: size of each output sample.
        bias: whether to learn an additive bias. Default: True.

    Shape:
        - Input1: ``(*, in1_features)``; Input2: ``(*, in2_features)``
        - Output: ``(*, out_features)``
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(
            empty(out_features, in1_features, in2_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        for x, n in ((input1, self.in1_features), (input2, self.in2_features)):
            if isinstance(x, Tensor) and (not x.shape or x.shape[-1] != n):
                raise RuntimeError(
                    f"{self._get_name()}({self.extra_repr()}): expected inputs with last "
                    f"dimensions {self.in1_features} and {self.in2_features}, got "
                    f"{shape_str(input1.shape)} and {shape_str(input2.shape)}"
                )
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class LazyLinear(Linear):
    """A Linear layer whose ``in_features`` is taken from the first input it sees.

    Until then its parameters are ``UninitializedParameter``; the first call materializes and
    initialises them and the module becomes a plain ``Linear``. Loading a state_dict also
    materializes them.

    Args:
        out_features: size of each output sample.
        bias: whether to learn an additive bias. Default: True.
        device: where to place the parameters (only "cpu").
        dtype: parameter dtype (the default float dtype when None).
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False, device, dtype)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def has_uninitialized_params(self) -> bool:
        return any(is_lazy(p) for p in (*self._parameters.values(), *self._buffers.values()))

    def initialize_parameters(self, input: Tensor) -> None:
        """Materialize weight ``(out_features, input.shape[-1])`` and bias, then initialise."""
        if self.has_uninitialized_params():
            with no_grad():
                self._materialize(input.shape[-1])
                self.reset_parameters()

    def _materialize(self, in_features: int) -> None:
        self.in_features = in_features
        self.weight.materialize((self.out_features, in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor) or input.ndim == 0:
            raise RuntimeError(
                f"{self._get_name()}: expected an input tensor with at least one "
                f"dimension to infer in_features, got {input!r}"
            )
        self.initialize_parameters(input)
        self.__class__ = self.cls_to_become
        return Linear.forward(self, input)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args) -> None:
        weight = state_dict.get(prefix + "weight")
        if is_lazy(self.weight) and weight is not None and len(weight.shape) == 2:
            self._materialize(int(weight.shape[1]))
        super()._load_from_state_dict(state_dict, prefix, *args)
