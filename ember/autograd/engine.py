"""The backward sweep: iterative, in reverse creation order, freeing saved state as it goes."""

from __future__ import annotations

from heapq import heappop, heappush

import numpy as np

from ember._tensor import Tensor
from ember.autograd import anomaly
from ember.autograd.function import _FREED_MESSAGE, Function
from ember.autograd.grad_mode import STATE


def _root_base(a: np.ndarray):
    while a.base is not None and isinstance(a.base, np.ndarray):
        a = a.base
    return id(a)


def _fit(g: Tensor, shape, dtype) -> Tensor:
    """Undo broadcasting (sum down to ``shape``) and match the input's dtype."""
    if g._data.shape != shape:
        from ember.ops.reduce import SumToSize  # ember.ops imports this package: bind late

        g = SumToSize.apply(g, shape)  # shapes are broadcast-compatible by construction
    if g._data.dtype != dtype:
        g = g.to(Tensor._dtype_of(dtype))
    return g


def run_backward(
    tensors,
    grad_tensors,
    retain_graph: bool,
    create_graph: bool,
    inputs=None,
    allow_unused: bool = False,
):
    """Back-propagate ``grad_tensors`` from ``tensors``.

    With ``inputs`` (autograd.grad) the gradients of those tensors are returned and no ``.grad``
    is touched; otherwise gradients accumulate into the ``.grad`` of leaves.
    """
    prev = STATE.grad_enabled
    STATE.grad_enabled = create_graph
    try:
        return _sweep(tensors, grad_tensors, retain_graph, create_graph, inputs, allow_unused)
    finally:
        STATE.grad_enabled = prev


def _sweep(tensors, grad_tensors, retain_graph, create_graph, inputs, allow_unused):
    capture = None
    if inputs is not None:
        capture = {}
        leaf_targets = {id(t): i for i, t in enumerate(inputs) if t.grad_fn is None}
        node_targets = {(t.grad_fn, t._out_idx): i for i, t in enumerate(inputs) if t.grad_fn}
    handed_out: set = set()  # root bases of arrays stored in some leaf's .grad in this sweep
    # {node: [grad per output]} for nodes met but not yet run, and a max-heap of those nodes by
    # creation number: every consumer of a node was created after it, so when a node comes off
    # the heap all its reachable consumers have run and its gradient is complete.
    buffers: dict = {}
    heap: list = []
    for t, g in zip(tensors, grad_tensors):
        if not t.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        handed_out.add(_root_base(g._data))
        if t.grad_fn is None:
            _deliver_leaf(t, g, capture, inputs and leaf_targets, create_graph, handed_out)
            continue
        node = t.grad_fn
        slots = buffers.get(node)
        if slots is None:
            slots = buffers[node] = [None] * node._n_out
            heappush(heap, (-node._seq, node))
        idx = t._out_idx
        slots[idx] = g if slots[idx] is None else _add(slots[idx], g, create_graph)

    check = STATE.anomaly
    plain = not (create_graph or check)
    targets = inputs and leaf_targets
    while heap:
        node = heappop(heap)[1]
        grads = buffers.pop(node)
        edges = node._edges
        if edges is None:
            raise RuntimeError(_FREED_MESSAGE.format(name=node.name()))
        special = node._special  # tensor hooks, retain_grad or node hooks are registered
        if special:
            _tensor_hooks(node, grads, create_graph)
        if capture is not None:
            for i, g in enumerate(grads):
                key = node_targets.get((node, i))
                if key is not None:
                    capture[key] = g
        if plain and not special and node._n_out == 1 and grads[0] is not None:
            in_grads = node.backward(node, grads[0])  # the common case of _call_backward, inline
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            if len(in_grads) != len(edges):
                raise _wrong_count(node, in_grads)
        elif grads[0] is not None or (node._n_out > 1 and grads.count(None) < len(grads)):
            in_grads = _call_backward(node, grads, create_graph, check)
        else:
            in_grads = (None,) * len(edges)
        if not retain_graph:
            node._release()
        for e, g in zip(edges, in_grads):
            if type(e) is tuple:
                n, idx = e
                slots = buffers.get(n)
                if slots is None:  # met for the first time: it runs once its consumers have
                    slots = buffers[n] = [None] * n._n_out
                    heappush(heap, (-n._seq, n))
                if g is not None:
                    shape, dtype = n._out_meta[idx]
                    if g._data.shape != shape or g._data.dtype != dtype:
                        g = _fit(g, shape, dtype)
                    slots[idx] = g if slots[idx] is None else _add(slots[idx], g, create_graph)
            elif g is not None and e is not None and e is not False:  # a leaf
                leaf_data = e._data
                if g._data.shape != leaf_data.shape or g._data.dtype != leaf_data.dtype:
                    g = _fit(g, leaf_data.shape, leaf_data.dtype)
                _deliver_leaf(e, g, capture, targets, create_graph, handed_out)
    if capture is None:
        return None
    result = []
    for i in range(len(inputs)):
        g = capture.get(i)
        if g is None and not allow_unused:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}) appears to not have been used in "
                "the graph. Set allow_unused=True if this is the desired behavior."
            )
        result.append(g)
    return tuple(result)


def _add(a: Tensor, b: Tensor, create_graph: bool) -> Tensor:
    if create_graph:
        return a + b
    return Tensor._make(a._data + b._data)


def _call_backward(node, grads, create_graph, check):
    if create_graph and node.once_differentiable:
        raise RuntimeError(
            f"{node.name()} is once-differentiable: its backward cannot be differentiated, so "
            "create_graph=True (double backward) is not supported through it"
        )
    if node._n_out > 1:
        grads = [
            g if g is not None else Tensor._make(np.zeros(*node._out_meta[i]))
            for i, g in enumerate(grads)
        ]
    if check:  # ops inside a backward are reported as that backward, not as forward ops
        STATE.anomaly = False
        try:
            result = node.backward(node, *grads)
        finally:
            STATE.anomaly = True
    else:
        result = node.backward(node, *grads)
    if type(result) is not tuple:
        result = (result,)
    if len(result) != len(node._edges):
        raise _wrong_count(node, result)
    post = node.__dict__.get("_post_hooks")
    if post:
        for hook in post:
            replaced = hook(result, tuple(grads))
            if replaced is not None:
                result = tuple(replaced)
    if check:
        anomaly.check_backward(node, result, grads)
    return result


def _wrong_count(node, result) -> RuntimeError:
    return RuntimeError(
        f"function {node.name()} returned an incorrect number of gradients "
        f"(expected {len(node._edges)}, got {len(result)})"
    )


def _tensor_hooks(node, grads, create_graph):
    """Run hooks registered on non-leaf outputs of ``node`` and fill retained grads (a node with
    only node hooks, run later by ``_call_backward``, has neither)."""
    if node._hooks:
        for idx, hooks in node._hooks.items():
            for hook in hooks:
                if grads[idx] is not None:
                    new = hook(grads[idx])
                    if new is not None:
                        grads[idx] = new
    if node._retained:
        for idx, ref in node._retained.items():
            t = ref()
            g = grads[idx]
            if t is None or g is None:
                continue
            if t.grad is None:
                t.grad = g if create_graph else Tensor._make(g._data.copy())
            else:
                t.grad = t.grad + g if create_graph else Tensor._make(t.grad._data + g._data)


def _deliver_leaf(leaf, g, capture, leaf_targets, create_graph, handed_out):
    if capture is not None:
        key = leaf_targets.get(id(leaf)) if leaf_targets else None
        if key is not None:
            capture[key] = g if key not in capture else _add(capture[key], g, create_graph)
        return
    hooks = leaf._hooks
    if hooks:
        for hook in hooks:
            new = hook(g)
            if new is not None:
                g = new
    if create_graph:
        leaf.grad = g if leaf.grad is None else leaf.grad + g
        return
    arr = g._data
    if leaf.grad is None:
        base = id(arr) if arr.base is None else _root_base(arr)
        if base in handed_out or not arr.flags.writeable:
            arr = arr.copy()
            base = id(arr)
        handed_out.add(base)
        leaf.grad = Tensor._make(arr)
    else:
        cur = leaf.grad._data
        if cur.flags.writeable and cur.shape == arr.shape:
            np.add(cur, arr, out=cur)
            leaf.grad._vc[0] += 1
        else:
            leaf.grad = Tensor._make(cur + arr)


__all__ = ["run_backward", "Function"]
