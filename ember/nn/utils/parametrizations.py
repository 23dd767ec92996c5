"""Parametrizations: ``weight_norm``, ``spectral_norm`` and the mechanism behind them.

How it works (as in PyTorch's ``torch.nn.utils.parametrize``): registering a parametrization
on ``module.weight`` moves the parameter into ``module.parametrizations.weight``, a
``ParametrizationList`` holding the original tensor(s) (``original``, or ``original0``,
``original1``, ... when ``right_inverse`` returns several) and the parametrization modules.
The module's class is swapped, once per module, for a subclass ``Parametrized<Name>`` whose
``weight`` is a property: reading it evaluates the list (``parametrization(original)``),
assigning it goes through ``right_inverse``. The subclass is rebuilt from the original class
with one property per parametrized tensor, so no class other than that module's is touched.
State dict keys match PyTorch's: ``parametrizations.weight.original0``, ...
"""

from __future__ import annotations

from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad
from ember.nn._functional.normalization import normalize
from ember.nn.modules.container import ModuleDict, ModuleList
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter
from ember.ops.linalg import dot, matmul
from ember.ops.reduce import norm

__all__ = [
    "ParametrizationList",
    "is_parametrized",
    "register_parametrization",
    "remove_parametrizations",
    "spectral_norm",
    "weight_norm",
]


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor and its original value(s).

    Args:
        modules: the parametrizations, applied in order.
        original: the tensor being parametrized.
    """

    def __init__(self, modules, original: Tensor) -> None:
        super().__init__(modules)
        with no_grad():
            new = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    new = module.right_inverse(new)
        requires_grad = original.requires_grad
        self.is_tensor = isinstance(new, Tensor)
        if self.is_tensor:
            self.original = Parameter(new.detach(), requires_grad)
            self.ntensors = 1
        else:
            self.ntensors = len(new)
            for i, t in enumerate(new):
                self.register_parameter(f"original{i}", Parameter(t.detach(), requires_grad))

    def _originals(self) -> list:
        if self.is_tensor:
            return [self.original]
        return [getattr(self, f"original{i}") for i in range(self.ntensors)]

    def right_inverse(self, value: Tensor) -> None:
        """Set the originals so that evaluating the list gives ``value``."""
        with no_grad():
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    value = module.right_inverse(value)
            values = [value] if self.is_tensor else list(value)
            if len(values) != self.ntensors:
                raise ValueError(
                    f"right_inverse returned {len(values)} tensors, expected {self.ntensors}"
                )
            for original, v in zip(self._originals(), values):
                original.copy_(v)

    def forward(self) -> Tensor:
        first, *rest = list(self)
        x = first(*self._originals())
        for module in rest:
            x = module(x)
        return x


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has parametrizations (on ``tensor_name``, when given)."""
    plists = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(plists, ModuleDict):
        return False
    return tensor_name is None or tensor_name in plists


def _rebuild_class(module: Module) -> None:
    """Give ``module`` a class ``Parametrized<Name>`` with one property per parametrized name."""
    base = getattr(type(module), "_parametrized_base", type(module))
    if not is_parametrized(module):
        module.__class__ = base
        return

    def make_property(name):
        def get(self):
            return self.parametrizations[name]()

        def set_(self, value):
            self.parametrizations[name].right_inverse(value)

        return property(get, set_)

    namespace = {name: make_property(name) for name in module.parametrizations}
    namespace["_parametrized_base"] = base
    module.__class__ = type(f"Parametrized{base.__name__}", (base,), namespace)


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Make ``module.<tensor_name>`` the output of ``parametrization`` on a stored original.

    Args:
        module: the module owning the tensor.
        tensor_name: name of a parameter or buffer of ``module``.
        parametrization: a Module; its ``forward`` maps the original(s) to the tensor, and an
            optional ``right_inverse`` maps a tensor to the original(s).
        unsafe: accepted for compatibility (shapes are not checked).

    Returns:
        ``module``.
    """
    if is_parametrized(module, tensor_name):
        module.parametrizations[tensor_name].append(parametrization)
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(
            f"Module '{module}' does not have a parameter, a buffer, or a parametrized element "
            f"with name '{tensor_name}'"
        )
    original = getattr(module, tensor_name)
    plist = ParametrizationList([parametrization], original)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = plist
    _rebuild_class(module)
    return module


def remove_parametrizations(
    module: Module, tensor_name: str, leave_parametrized: bool = True
) -> Module:
    """Undo ``register_parametrization`` on ``tensor_name``.

    Args:
        leave_parametrized: keep the current (parametrized) value as the new parameter; else
            restore the single original tensor.
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if leave_parametrized:
        with no_grad():
            value = getattr(module, tensor_name)
    elif plist.is_tensor:
        value = plist.original
    else:
        raise ValueError(
            "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
            "parametrized in terms of a sequence of tensors."
        )
    requires_grad = plist._originals()[0].requires_grad
    del module.parametrizations[tensor_name]
    if len(module.parametrizations) == 0:
        del module.parametrizations
    _rebuild_class(module)
    module.register_parameter(tensor_name, Parameter(value.detach(), requires_grad))
    return module


# -- weight_norm ------------------------------------------------------------------------------
def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of ``v`` over every dim but ``dim`` (keepdim); the whole norm for ``dim=-1``."""
    if dim == -1:
        return norm(v)
    others = tuple(i for i in range(v.ndim) if i != dim)
    return norm(v, 2, others, keepdim=True) if others else v.abs()


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple:
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (norm over all dims but ``dim``).

    ``original0`` is the magnitude ``g`` and ``original1`` the direction ``v``, as in PyTorch.
    ``dim=None`` takes one norm over the whole tensor.

    Returns:
        ``module``.
    """
    return register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


# -- spectral_norm ----------------------------------------------------------------------------
class _SpectralNorm(Module):
    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                "Dimension out of range (expected to be in range of "
                f"[-{ndim}, {ndim - 1}] but got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:  # the constrained dim first
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        # u, v updated in place: u = normalize(W v), v = normalize(W^T u)
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(normalize(matmul(weight_mat, self._v), dim=0, eps=self.eps))
                self._v.copy_(normalize(matmul(weight_mat.t(), self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()  # constants: sigma's gradient flows through W
        sigma = dot(u, matmul(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Reparametrize ``module.<name>`` as ``W / sigma(W)``, sigma by power iteration.

    The vectors ``_u`` and ``_v`` are buffers of the parametrization
    (``parametrizations.weight.0._u``), updated ``n_power_iterations`` times per forward in
    training mode and left alone in eval mode.

    Args:
        dim: the dim treated as output rows; 1 for ConvTranspose layers, else 0.

    Returns:
        ``module``.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    parametrization = _SpectralNorm(weight, n_power_iterations, dim, eps)
    return register_parametrization(module, name, parametrization)
