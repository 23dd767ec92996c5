"""Loading a state_dict: PyTorch's checks and messages, for ember, PyTorch and NumPy values."""

from __future__ import annotations

from collections import namedtuple

from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad
from ember.nn.parameter import Parameter, is_lazy


class _IncompatibleKeys(namedtuple("_IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find and the ones it did not use."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def as_ember_tensor(value) -> Tensor | None:
    """A checkpoint value as an ember Tensor (ember, PyTorch or NumPy), or None if impossible."""
    if isinstance(value, Tensor):
        return value
    if not hasattr(value, "__array__"):
        return None
    from ember._creation import as_tensor

    if hasattr(value, "detach"):  # e.g. a PyTorch tensor saved with keep_vars=True
        value = value.detach()
    try:
        return as_tensor(value)
    except (TypeError, ValueError, RuntimeError):
        return None


def load_own(
    module,
    state_dict: dict,
    prefix: str,
    strict: bool,
    missing_keys: list,
    unexpected_keys: list,
    error_msgs: list,
    extra_key: str,
    assign: bool = False,
) -> None:
    """Copy ``module``'s own parameters and persistent buffers from ``state_dict`` in place.

    With ``assign`` the checkpoint's tensors replace them instead (parameters keep their
    ``requires_grad``).
    """
    persistent = (
        (k, v) for k, v in module._buffers.items() if k not in module._non_persistent_buffers_set
    )
    local_state = {k: v for k, v in [*module._parameters.items(), *persistent] if v is not None}
    for name, param in local_state.items():
        key = prefix + name
        if key not in state_dict:
            if strict:
                missing_keys.append(key)
            continue
        value = as_ember_tensor(state_dict[key])
        if value is None:
            error_msgs.append(
                f'While copying the parameter named "{key}", expected a Tensor or '
                "an array-like object from checkpoint but received "
                f"{type(state_dict[key])}"
            )
            continue
        lazy = is_lazy(param)
        if not lazy and param.ndim == 0 and tuple(value.shape) == (1,):
            value = value.reshape(())  # checkpoints that stored scalars as shape (1,)
        if not lazy and tuple(value.shape) != tuple(param.shape):
            error_msgs.append(
                f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} "
                f"from checkpoint, the shape in current model is {tuple(param.shape)}."
            )
            continue
        try:
            if assign:
                if isinstance(param, Parameter):
                    value = Parameter(value.detach(), requires_grad=param.requires_grad)
                setattr(module, name, value)
                continue
            with no_grad():
                param.copy_(value)
        except Exception as ex:  # noqa: BLE001 - reported with the others, as PyTorch does
            error_msgs.append(
                f'While copying the parameter named "{key}", whose dimensions in the model are '
                f"{tuple(param.shape)} and whose dimensions in the checkpoint are "
                f"{tuple(value.shape)}, an exception occurred : {ex.args}."
            )
    if strict:
        for key in state_dict:
            if key.startswith(prefix) and key != extra_key:
                head, dot, _ = key[len(prefix) :].partition(".")
                if (dot and head not in module._modules) or (not dot and head not in local_state):
                    unexpected_keys.append(key)


def load(root, state_dict, strict: bool, assign: bool = False) -> _IncompatibleKeys:
    """``Module.load_state_dict``: visit the tree depth first, then report like PyTorch."""
    missing_keys: list = []
    unexpected_keys: list = []
    error_msgs: list = []
    metadata = getattr(state_dict, "_metadata", None)

    def visit(module, local: dict, prefix: str) -> None:
        local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
        if assign:
            local_metadata["assign_to_params_buffers"] = True
        module._load_from_state_dict(
            local, prefix, local_metadata, True, missing_keys, unexpected_keys, error_msgs
        )
        groups: dict = {}  # the keys of each child, found in one pass
        for key, value in local.items():
            head, dot, _ = key[len(prefix) :].partition(".")
            if dot:
                groups.setdefault(head, {})[key] = value
        for name, child in module._modules.items():
            if child is not None:
                visit(child, groups.get(name, {}), prefix + name + ".")
        incompatible = _IncompatibleKeys(missing_keys, unexpected_keys)
        for hook in module._load_state_dict_post_hooks.values():
            hook(module, incompatible)

    visit(root, dict(state_dict), "")
    if strict:
        if unexpected_keys:
            error_msgs.insert(
                0,
                "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected_keys)
                ),
            )
        if missing_keys:
            error_msgs.insert(
                0,
                "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing_keys)
                ),
            )
    if error_msgs:
        raise RuntimeError(
            "Error(s) in loading state_dict for {}:\n\t{}".format(
                type(root).__name__, "\n\t".join(error_msgs)
            )
        )
    return _IncompatibleKeys(missing_keys, unexpected_keys)
