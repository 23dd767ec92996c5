"""``summary``: per-layer output shapes, parameters, MACs and activation memory of a model.

The model runs once under ``no_grad`` in eval mode (its modes are restored afterwards, so
BatchNorm statistics are untouched) with forward hooks on every module. Layers with a cost rule
(Linear, Conv, norms, RNN/LSTM/GRU, MultiheadAttention, ...; see ``ember._summary_counts``) and
leaf modules are costed per call; calls made inside a costed layer are not counted again.

Definitions:
    - MACs: multiply-accumulates of one forward pass (FLOPs ~ 2 x MACs).
    - output bytes: the bytes of every costed layer's outputs (the forward activations).
    - saved bytes: an estimate of the tensors the layer's ops keep for backward (per type).
    - training step: parameters + buffers + gradients (trainable parameters) + optimizer state
      (``optimizer_slots`` parameter-sized buffers per trainable parameter: 1 for SGD with
      momentum, 2 for Adam) + inputs + saved activations.
A module shared by several parents has one row (its first path) and its parameters count once;
its MACs and activations count once per call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ember import _summary_counts as counts
from ember._creation import randn, zeros
from ember._dtype import get_default_dtype, to_dtype
from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad
from ember.nn.modules.module import Module
from ember.random import Generator

__all__ = ["LayerInfo", "ModelSummary", "summary"]


@dataclass
class LayerInfo:
    """One module: its own calls, and totals over its subtree (``params``, ``macs``, ...).

    Attributes:
        name: the module path (``"features.0"``; ``""`` for the model).
        type: the class name.
        depth: nesting level (0 for the model).
        output_shape: shape of the first call's output (a list of shapes for several outputs),
            None if never called.
        calls: how many times the module ran.
        params / trainable_params: parameters in the subtree (each counted once).
        macs, output_bytes, saved_bytes: over the subtree and all calls.
    """

    name: str
    type: str
    depth: int
    output_shape: Any = None
    calls: int = 0
    params: int = 0
    trainable_params: int = 0
    macs: int = 0
    output_bytes: int = 0
    saved_bytes: int = 0


@dataclass
class ModelSummary:
    """What ``summary`` returns; ``str()`` is the table.

    Attributes:
        rows: the ``LayerInfo`` rows shown (depth <= ``depth``); ``layers``: every module.
        total_params, trainable_params, non_trainable_params: parameter counts.
        total_macs (and the ``total_flops`` estimate ``2 * total_macs``).
        param_bytes, buffer_bytes, grad_bytes, optimizer_bytes, input_bytes: memory in bytes.
        forward_bytes: bytes of all layer outputs; saved_bytes: activations kept for backward.
        train_step_bytes: the estimated memory of one training step.
        uncounted_types: leaf layer types with parameters but no MAC rule (counted as 0).
    """

    rows: list[LayerInfo]
    layers: list[LayerInfo]
    total_params: int
    trainable_params: int
    non_trainable_params: int
    total_macs: int
    param_bytes: int
    buffer_bytes: int
    grad_bytes: int
    optimizer_bytes: int
    input_bytes: int
    forward_bytes: int
    saved_bytes: int
    train_step_bytes: int
    optimizer_slots: int = 0
    uncounted_types: list[str] = field(default_factory=list)
    table: str = ""

    @property
    def total_flops(self) -> int:
        """Approximate floating-point operations: one multiply and one add per MAC."""
        return 2 * self.total_macs

    def __str__(self) -> str:
        return self.table


def summary(
    model: Module,
    input_size: Any = None,
    input_data: Any = None,
    dtypes: list | None = None,
    depth: int = 3,
    verbose: bool = True,
    optimizer_slots: int = 0,
) -> ModelSummary:
    """Run ``model`` once and tabulate its layers.

    Args:
        model: the model.
        input_size: the input's shape including the batch dimension, e.g. ``(1, 3, 32, 32)``,
            or a tuple/list of shapes for a model with several inputs. Inputs are standard
            normal (a private generator; the global RNG is untouched), or zeros for integer
            dtypes (e.g. Embedding indices).
        input_data: the inputs themselves instead: a Tensor, a tuple/list of Tensors
            (positional arguments) or a dict (keyword arguments).
        dtypes: one dtype per input of ``input_size`` (default: the default dtype).
        depth: deepest nesting level shown as a row (deeper modules fold into their parent).
        verbose: print the table.
        optimizer_slots: parameter-sized optimizer buffers per trainable parameter.

    Returns:
        A ``ModelSummary`` (the table is ``str(result)``).
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: model must be an ember.nn.Module, got {type(model).__name__}")
    if not isinstance(depth, int) or depth < 0:
        raise ValueError(f"summary: depth must be a non-negative integer, got {depth!r}")
    if not isinstance(optimizer_slots, int) or optimizer_slots < 0:
        raise ValueError(f"summary: optimizer_slots must be >= 0, got {optimizer_slots!r}")
    args, kwargs = _make_inputs(input_size, input_data, dtypes)
    layers = _trace(model, args, kwargs)
    return _build(model, layers, args, kwargs, depth, verbose, optimizer_slots)


# -- inputs ---------------------------------------------------------------------------------------
def _is_shape(x) -> bool:
    return isinstance(x, (tuple, list)) and all(isinstance(d, int) for d in x)


def _make_inputs(input_size, input_data, dtypes) -> tuple[tuple, dict]:
    if (input_size is None) == (input_data is None):
        raise ValueError("summary: give exactly one of input_size and input_data")
    if input_data is not None:
        if isinstance(input_data, dict):
            return (), dict(input_data)
        if isinstance(input_data, (tuple, list)):
            return tuple(input_data), {}
        return (input_data,), {}
    sizes = [input_size] if _is_shape(input_size) else list(input_size)
    if not sizes or not all(_is_shape(s) and all(d > 0 for d in s) for s in sizes):
        raise ValueError(
            "summary: input_size must be a shape of positive ints or a tuple of shapes, "
            f"got {input_size!r}"
        )
    dtypes = [get_default_dtype()] * len(sizes) if dtypes is None else list(dtypes)
    if len(dtypes) != len(sizes):
        raise ValueError(f"summary: got {len(sizes)} input sizes but {len(dtypes)} dtypes")
    generator = Generator().manual_seed(0)
    inputs = []
    for size, dtype in zip(sizes, dtypes):
        dtype = to_dtype(dtype)
        make = randn if dtype.is_floating_point else zeros
        extra = {"generator": generator} if dtype.is_floating_point else {}
        inputs.append(make(*size, dtype=dtype, **extra))
    return tuple(inputs), {}


# -- tracing ------------------------------------------------------------------------------------
def _shape_of(output) -> Any:
    tensors = counts.tensors_in(output)
    shapes = [list(t.shape) for t in tensors]
    return shapes[0] if isinstance(output, Tensor) else (shapes or None)


@dataclass
class _Record:
    """Hook-time bookkeeping of one module: its own calls' costs (not its subtree's)."""

    info: LayerInfo
    module: Module
    costed: bool  # a leaf or a layer with a cost rule
    macs: int = 0
    output_bytes: int = 0
    saved_bytes: int = 0
    known: bool = True  # False: a leaf without a MAC rule


def _trace(model: Module, args: tuple, kwargs: dict) -> dict[str, _Record]:
    """Run the model with hooks; return per-module records keyed by path (definition order)."""
    records: dict[int, _Record] = {}
    handles = []
    active: list[bool] = []  # per open call: is it costed (then calls inside it are not)

    def pre_hook(module, inputs):
        active.append(records[id(module)].costed and not any(active))

    def post_hook(module, inputs, kw, output):
        rec = records[id(module)]
        counted = active.pop()
        if rec.info.calls == 0:
            rec.info.output_shape = _shape_of(output)
        rec.info.calls += 1
        if counted:
            outs = counts.tensors_in(output)
            ins = counts.tensors_in(inputs) + counts.tensors_in(kw)
            macs, saved, rec.known = counts.layer_cost(module, ins, outs)
            rec.macs += macs
            rec.saved_bytes += saved
            rec.output_bytes += sum(t.nbytes for t in outs)

    for path, module in model.named_modules():
        is_leaf = next(module.children(), None) is None
        info = LayerInfo(path, type(module).__name__, path.count(".") + 1 if path else 0)
        records[id(module)] = _Record(info, module, is_leaf or counts.has_rule(module))
        handles.append(module.register_forward_pre_hook(pre_hook))
        handles.append(module.register_forward_hook(post_hook, with_kwargs=True))
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.eval()  # no BatchNorm statistics updates; the modes are restored below
        with no_grad():
            model(*args, **kwargs)
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in modes:
            module.training = mode
    return {rec.info.name: rec for rec in records.values()}


# -- totals and table ---------------------------------------------------------------------------
def _in_subtree(path: str, root: str) -> bool:
    return root == "" or path == root or path.startswith(root + ".")


def _build(model, records, args, kwargs, depth, verbose, slots) -> ModelSummary:
    layers = []
    for path, rec in records.items():
        info = rec.info
        params = list({id(p): p for p in rec.module.parameters()}.values())
        info.params = sum(p.numel() for p in params)
        info.trainable_params = sum(p.numel() for p in params if p.requires_grad)
        subtree = [r for q, r in records.items() if _in_subtree(q, path)]
        info.macs = sum(r.macs for r in subtree)
        info.output_bytes = sum(r.output_bytes for r in subtree)
        info.saved_bytes = sum(r.saved_bytes for r in subtree)
        layers.append(info)
    params = list(model.parameters())
    trainable = [p for p in params if p.requires_grad]
    param_bytes = sum(p.nbytes for p in params)
    grad_bytes = sum(p.nbytes for p in trainable)
    buffer_bytes = sum(b.nbytes for b in model.buffers())
    input_bytes = sum(t.nbytes for t in counts.tensors_in([args, kwargs]))
    root = layers[0]
    grads_and_state = grad_bytes * (1 + slots)
    inputs_and_saved = input_bytes + root.saved_bytes
    with_params = (r for r in records.values() if next(r.module.parameters(), None) is not None)
    uncounted = sorted({r.info.type for r in with_params if r.info.calls and not r.known})
    result = ModelSummary(
        rows=[info for info in layers if info.depth <= depth],
        layers=layers,
        total_params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in trainable),
        non_trainable_params=sum(p.numel() for p in params if not p.requires_grad),
        total_macs=root.macs,
        param_bytes=param_bytes,
        buffer_bytes=buffer_bytes,
        grad_bytes=grad_bytes,
        optimizer_bytes=slots * grad_bytes,
        input_bytes=input_bytes,
        forward_bytes=root.output_bytes,
        saved_bytes=root.saved_bytes,
        train_step_bytes=param_bytes + buffer_bytes + grads_and_state + inputs_and_saved,
        optimizer_slots=slots,
        uncounted_types=uncounted,
    )
    result.table = _render(result)
    if verbose:
        print(result.table)
    return result


def _bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return ""  # unreachable: the loop returns at GiB


def _count(n: int) -> str:
    """``1,234,567 (1.23 M)``: exact, then abbreviated."""
    if n < 10_000:
        return f"{n:,}"
    exp = min(int(math.log10(n)) // 3, 4)
    return f"{n:,} ({n / 10 ** (3 * exp):.2f} {' KMGT'[exp]})"


def _render(s: ModelSummary) -> str:
    header = ("Layer (type)", "Output Shape", "Param #", "Trainable #", "MACs", "Saved for bwd")
    body = []
    for info in s.rows:
        label = f"{info.name} ({info.type})" if info.name else info.type
        shape = "--" if info.output_shape is None else str(info.output_shape)
        body.append(
            (
                "  " * info.depth + label,
                shape,
                f"{info.params:,}",
                f"{info.trainable_params:,}",
                f"{info.macs:,}",
                _bytes(info.saved_bytes),
            )
        )
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells) -> str:
        left = [c.ljust(w) for c, w in zip(cells[:2], widths[:2])]
        right = [c.rjust(w) for c, w in zip(cells[2:], widths[2:])]
        return "  ".join(left + right).rstrip()

    rule = "=" * len(line(tuple("x" * w for w in widths)))
    slots = s.optimizer_slots
    footer = [
        f"Total params: {_count(s.total_params)} ({_bytes(s.param_bytes)})",
        f"Trainable params: {_count(s.trainable_params)}",
        f"Non-trainable params: {_count(s.non_trainable_params)}",
        f"Buffers: {_bytes(s.buffer_bytes)}",
        f"Total MACs: {_count(s.total_macs)}  (FLOPs ~ 2 x MACs = {_count(s.total_flops)})",
        f"Input: {_bytes(s.input_bytes)}",
        f"Forward activations (all layer outputs): {_bytes(s.forward_bytes)}",
        f"Activations saved for backward: {_bytes(s.saved_bytes)}",
        f"Gradients: {_bytes(s.grad_bytes)}",
        f"Optimizer state ({slots} slot{'s' if slots != 1 else ''}): {_bytes(s.optimizer_bytes)}",
        f"Estimated training step total: {_bytes(s.train_step_bytes)}",
    ]
    if s.uncounted_types:
        footer.append(f"No MAC rule (counted as 0): {', '.join(s.uncounted_types)}")
    return "\n".join([rule, line(header), rule, *map(line, body), rule, *footer, rule])
