"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, LazyConv2d."""

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

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "LazyConv2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _ntuple(value, n: int) -> tuple:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,) * n


class _ConvNd(Module):
    """Shared state of the convolution layers (PyTorch's attribute names and repr)."""

    _nd = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride,
        padding,
        dilation,
        transposed: bool,
        output_padding,
        groups: int,
        bias: bool,
        padding_mode: str,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        kernel_size, stride, dilation = (_ntuple(v, nd) for v in (kernel_size, stride, dilation))
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {{'same', 'valid'}}"
                )
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, nd)
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {set(_PADDING_MODES)}, but got "
                f"padding_mode='{padding_mode}'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = _ntuple(output_padding, nd)
        self.groups = groups
        self.padding_mode = padding_mode
        if isinstance(padding, str):  # F.pad widths, last dim first: (left, right) pairs
            widths = [0, 0] * nd
            if padding == "same":
                for i, (d, k) in enumerate(zip(reversed(dilation), reversed(kernel_size))):
                    total = d * (k - 1)
                    widths[2 * i], widths[2 * i + 1] = total // 2, total - total // 2
            self._reversed_padding_repeated_twice = widths
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(padding) for _ in "lr"]
        shape = (
            (in_channels, out_channels // groups)
            if transposed
            else (out_channels, in_channels // groups)
        ) + kernel_size
        self.weight = Parameter(empty(*shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """kaiming_uniform_(a=sqrt(5)) weight, bias uniform in +-1/sqrt(fan_in) (PyTorch's)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        nd = len(self.kernel_size)
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _check_input(self, input) -> None:
        """Rank and channel checks that name the layer and the offending shape."""
        if not isinstance(input, Tensor):
            return  # F.* raises PyTorch's TypeError
        nd = self._nd
        shape = input._data.shape  # a plain tuple: cheaper than a Size per call
        if len(shape) not in (nd + 1, nd + 2):
            raise RuntimeError(
                f"{self._get_name()}({self.extra_repr()}): expected {nd + 1}D (unbatched) or "
                f"{nd + 2}D (batched) input, got input of shape {shape_str(input.shape)}"
            )
        channels = shape[1 if len(shape) == nd + 2 else 0]
        if channels != self.in_channels:
            raise RuntimeError(
                f"{self._get_name()}({self.extra_repr()}): expected input with "
                f"{self.in_channels} channels, got input of shape {shape_str(input.shape)}"
            )

    def _conv(self, fn, input: Tensor) -> Tensor:
        self._check_input(input)
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return fn(padded, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return fn(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        if output_size is None:
            return self.output_padding
        nd = self._nd
        output_size = list(output_size)
        if len(output_size) in (nd + 1, nd + 2):
            output_size = output_size[-nd:]
        if len(output_size) != nd:
            raise ValueError(
                f"ConvTranspose{nd}D: for {input.ndim}D input, output_size must "
                f"have {nd} or {nd + 2} elements (got {len(output_size)})"
            )
        result = []
        for i, want in enumerate(output_size):
            size = input.shape[input.ndim - nd + i]
            low = (
                (size - 1) * self.stride[i]
                - 2 * self.padding[i]
                + self.dilation[i] * (self.kernel_size[i] - 1)
                + 1
            )
            high = low + self.stride[i] - 1
            if not low <= want <= high:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes "
                    f"range from {low} to {high} (for an input of "
                    f"{list(input.shape[2:])})"
                )
            result.append(want - low)
        return tuple(result)

    def _conv_t(self, fn, input: Tensor, output_size) -> Tensor:
        self._check_input(input)
        return fn(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self._output_padding(input, output_size),
            self.groups,
            self.dilation,
        )


class Conv1d(_ConvNd):
    """1-D convolution over ``(N, C_in, L)``.

    Args:
        in_channels, out_channels: channel counts.
        kernel_size, stride, dilation: int or 1-tuple.
        padding: int, 1-tuple, ``'same'`` or ``'valid'``.
        groups: blocked connections; ``bias``: learn a bias. ``padding_mode``: 'zeros',
            'reflect', 'replicate' or 'circular'.

    Shape:
        - Input: ``(N, C_in, L)`` or ``(C_in, L)``
        - Output: ``(N, C_out, L_out)``
    """

    _nd = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            False,
            0,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def forward(self, input: Tensor) -> Tensor:
        return self._conv(F.conv1d, input)


class Conv2d(_ConvNd):
    """2-D convolution over ``(N, C_in, H, W)``; ``weight`` is ``(C_out, C_in/groups, kH, kW)``.

    Args:
        in_channels, out_channels: channel counts.
        kernel_size, stride, dilation: int or pair.
        padding: int, pair, ``'same'`` or ``'valid'``.
        groups: blocked connections; ``bias``: learn a bias. ``padding_mode``: 'zeros',
            'reflect', 'replicate' or 'circular'.

    Shape:
        - Input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``
        - Output: ``(N, C_out, H_out, W_out)``
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            False,
            0,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def forward(self, input: Tensor) -> Tensor:
        return self._conv(F.conv2d, input)


class ConvTranspose1d(_ConvNd):
    """1-D transposed convolution; ``weight`` is ``(C_in, C_out/groups, k)``.

    Shape:
        - Input: ``(N, C_in, L)`` or ``(C_in, L)``
        - Output: ``(N, C_out, (L - 1) * stride - 2 * padding + dilation * (k - 1)
          + output_padding + 1)``
    """

    _nd = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            True,
            output_padding,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        return self._conv_t(F.conv_transpose1d, input, output_size)


class ConvTranspose2d(_ConvNd):
    """2-D transposed convolution; ``weight`` is ``(C_in, C_out/groups, kH, kW)``.

    Shape:
        - Input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``
        - Output: ``(N, C_out, H_out, W_out)``, ``H_out = (H - 1) * stride - 2 * padding
          + dilation * (kH - 1) + output_padding + 1``
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            True,
            output_padding,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
        )

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        return self._conv_t(F.conv_transpose2d, input, output_size)


class LazyConv2d(_ConvNd):
    """A Conv2d whose ``in_channels`` is taken from the first input; it then becomes a Conv2d.

    Args: as Conv2d, without ``in_channels``.
    """

    cls_to_become = Conv2d

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            0,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            False,
            0,
            groups,
            False,
            padding_mode,
            device,
            dtype,
        )
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def has_uninitialized_params(self) -> bool:
        return any(is_lazy(p) for p in (*self._parameters.values(), *self._buffers.values()))

    def _materialize(self, in_channels: int) -> None:
        self.in_channels = in_channels
        self.weight.materialize((self.out_channels, in_channels // self.groups, *self.kernel_size))
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))

    def initialize_parameters(self, input: Tensor) -> None:
        """Materialize weight ``(out, C_in/groups, kH, kW)`` from the input's channels."""
        if self.has_uninitialized_params():
            with no_grad():
                self._materialize(input.shape[1 if input.ndim == 4 else 0])
                self.reset_parameters()

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor) or input.ndim not in (3, 4):
            raise RuntimeError(
                f"{self._get_name()}: expected a 3D (unbatched) or 4D (batched) "
                f"input to infer in_channels, got {input!r}"
            )
        self.initialize_parameters(input)
        self.__class__ = self.cls_to_become
        return Conv2d.forward(self, input)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args) -> None:
        weight = state_dict.get(prefix + "weight")
        if is_lazy(self.weight) and weight is not None and len(weight.shape) == 4:
            self._materialize(int(weight.shape[1]) * self.groups)
        super()._load_from_state_dict(state_dict, prefix, *args)
