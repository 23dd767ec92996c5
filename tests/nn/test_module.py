"""nn.Module: registration rules, traversal, hooks, modes, dtype moves, state_dict, errors."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember import nn as nn_from_ember  # noqa: F401 - `from ember import nn` must work


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(4, 8), nn.Identity(), nn.Linear(8, 8))
        self.head = nn.Linear(8, 3)
        self.register_buffer("steps", ember.zeros(1, dtype=ember.int64))
        self.register_buffer("scale", ember.ones(3))
        self.register_buffer("cache", ember.zeros(2), persistent=False)

    def forward(self, x):
        return self.head(self.features(x)) * self.scale


def net(seed=0):
    ember.manual_seed(seed)
    return Net()


# -- Parameter -----------------------------------------------------------------------------------
def test_parameter_is_a_tensor_that_requires_grad_and_shares_storage():
    t = ember.ones(2, 3)
    p = nn.Parameter(t)
    assert isinstance(p, ember.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf
    t[0, 0] = 5.0
    assert p[0, 0].item() == 5.0  # same storage, as torch.nn.Parameter(t)
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)


def test_ops_on_parameters_return_plain_tensors():
    p = nn.Parameter(ember.ones(3))
    for out in (p * 2, p + p, p.sum(), p.reshape(3, 1), p.detach(), p.data):
        assert type(out) is ember.Tensor


def test_parameter_repr_and_rejects_non_tensors():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        nn.Parameter([1.0, 2.0])


def test_parameter_survives_pickle_and_deepcopy():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    for q in (pickle.loads(pickle.dumps(p)), copy.deepcopy(p)):
        assert type(q) is nn.Parameter and q.requires_grad
        np.testing.assert_array_equal(q.detach().numpy(), [1.0, 2.0])
        assert q._data is not p._data


# -- registration --------------------------------------------------------------------------------
def test_parameters_modules_and_buffers_register_on_assignment():
    m = net()
    assert list(m._parameters) == [] and list(m._modules) == ["features", "head"]
    assert list(m._buffers) == ["steps", "scale", "cache"]
    m.w = nn.Parameter(ember.zeros(2))
    assert "w" in m._parameters and "w" not in m.__dict__
    m.plain = ember.zeros(2)  # a plain tensor is an ordinary attribute
    assert "plain" in m.__dict__ and "plain" not in m._buffers


def test_plain_list_of_modules_is_not_registered():
    m = nn.Module()
    m.layers = [nn.Linear(2, 2), nn.Linear(2, 2)]
    assert list(m.parameters()) == [] and list(m.children()) == []
    m.layers = nn.ModuleList(m.layers)
    assert len(list(m.parameters())) == 4


def test_assigning_none_keeps_the_slot():
    m = nn.Linear(2, 2)
    m.bias = None
    assert "bias" in m._parameters and m.bias is None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    with pytest.raises(TypeError, match="cannot assign 'ember.FloatTensor' as parameter 'weight'"):
        m.weight = ember.zeros(2, 2)
    s = nn.Sequential(nn.Linear(2, 2))
    s.add_module("extra", None)
    assert "extra" in s._modules and s.extra is None
    with pytest.raises(TypeError, match="as child module '0'"):
        s[0] = 3  # Sequential.__setitem__ goes through setattr
    n = net()
    n.scale = None
    assert "scale" in n._buffers and "scale" not in n.state_dict()
    with pytest.raises(TypeError, match="as buffer 'steps'"):
        n.steps = 3


def test_reassigning_moves_a_name_between_kinds():
    m = nn.Module()
    m.register_buffer("x", ember.zeros(1))
    m.x = nn.Parameter(ember.zeros(1))
    assert "x" in m._parameters and "x" not in m._buffers
    with pytest.raises(TypeError, match="as parameter 'x'"):  # as in PyTorch
        m.x = nn.Linear(1, 1)
    m.y = nn.Linear(1, 1)
    m.y = nn.Parameter(ember.zeros(1))
    assert "y" in m._parameters and "y" not in m._modules


def test_delattr_unregisters():
    m = net()
    del m.head
    del m.scale
    assert "head" not in m._modules and "scale" not in m._buffers
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'head'"):
        m.head  # noqa: B018


def test_registration_errors_match_pytorch():
    m = nn.Module()
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="empty string"):
        m.register_buffer("", None)
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        m.register_buffer("training", ember.zeros(1))
    with pytest.raises(TypeError, match="parameter name should be a string"):
        m.register_parameter(1, None)
    with pytest.raises(TypeError, match="object to parameter 'p'"):
        m.register_parameter("p", ember.zeros(1))
    with pytest.raises(TypeError, match="object to buffer 'b'"):
        m.register_buffer("b", [1.0])
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("c", ember.zeros(1))
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor to parameter 'q'"):
        leaf = ember.ones(1, requires_grad=True)
        p = nn.Parameter(ember.ones(1))
        p.grad_fn = (leaf * 2).grad_fn  # a Parameter that is not a leaf
        m.register_parameter("q", p)


def test_assignment_before_init_raises():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.zeros(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    with pytest.raises(TypeError, match="unexpected keyword argument 'x'"):
        nn.Module(x=1)


def test_register_module_alias_and_get_submodule_parameter_buffer():
    m = net()
    m.register_module("extra", nn.Linear(1, 1))
    assert m.get_submodule("features.2") is m.features[2]
    assert m.get_submodule("") is m
    assert m.get_parameter("features.0.bias") is m.features[0].bias
    assert m.get_buffer("scale") is m.scale
    with pytest.raises(AttributeError, match="Sequential has no attribute `9`"):
        m.get_submodule("features.9")
    with pytest.raises(AttributeError, match="`scale` is not an nn.Module"):
        m.get_submodule("scale")
    with pytest.raises(AttributeError, match="`scale` is not an nn.Parameter"):
        m.get_parameter("scale")


# -- traversal -----------------------------------------------------------------------------------
def test_names_follow_pytorch():
    m = net()
    assert [n for n, _ in m.named_parameters()] == [
        "features.0.weight",
        "features.0.bias",
        "features.2.weight",
        "features.2.bias",
        "head.weight",
        "head.bias",
    ]
    assert [n for n, _ in m.named_parameters(prefix="model")][0] == "model.features.0.weight"
    assert [n for n, _ in m.named_parameters(recurse=False)] == []
    assert [n for n, _ in m.named_buffers()] == ["steps", "scale", "cache"]
    assert [n for n, _ in m.named_children()] == ["features", "head"]
    assert [n for n, _ in m.named_modules()] == [
        "",
        "features",
        "features.0",
        "features.1",
        "features.2",
        "head",
    ]
    assert len(list(m.modules())) == 6 and len(list(m.children())) == 2
    assert len(list(m.parameters())) == 6 and len(list(m.buffers())) == 3


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(3, 3)
    m = nn.Sequential(shared, nn.Linear(3, 3), shared)
    m[1].weight = shared.weight  # tied weight
    assert [n for n, _ in m.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert len(list(m.parameters())) == 3
    assert [n for n, _ in m.named_modules()] == ["", "0", "1"]
    assert len(list(m.named_parameters(remove_duplicate=False))) == 6


def test_apply_visits_children_first():
    m = net()
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "Identity", "Linear", "Sequential", "Linear", "Net"]


def test_dir_lists_registered_names():
    m = net()
    d = dir(m)
    for name in ("features", "head", "scale", "forward", "training"):
        assert name in d
    assert "weight" in dir(nn.Linear(1, 1))
    assert not any(k[0].isdigit() for k in dir(m.features))


# -- calling and hooks ---------------------------------------------------------------------------
def test_call_runs_forward_and_missing_forward_raises():
    m = net()
    assert m(ember.randn(2, 4)).shape == (2, 3)
    with pytest.raises(NotImplementedError, match=r"Module \[Module\] is missing the required"):
        nn.Module()(ember.zeros(1))


def test_hooks_run_in_order_and_can_replace_values():
    m = nn.Linear(2, 2)
    order = []
    m.register_forward_pre_hook(lambda mod, args: order.append("pre1"))
    m.register_forward_pre_hook(lambda mod, args: order.append("pre0"), prepend=True)
    h = m.register_forward_hook(lambda mod, args, out: order.append("post"))
    m.register_forward_hook(
        lambda mod, args, kwargs, out: order.append(("kw", kwargs)), with_kwargs=True
    )
    m(ember.zeros(1, 2))
    assert order == ["pre0", "pre1", "post", ("kw", {})]
    h.remove()
    order.clear()
    m(ember.zeros(1, 2))
    assert order == ["pre0", "pre1", ("kw", {})]

    doubled = nn.Identity()
    doubled.register_forward_pre_hook(lambda mod, args: args[0] * 2)  # non-tuple is wrapped
    with doubled.register_forward_hook(lambda mod, args, out: out + 1):
        assert doubled(ember.tensor([1.0])).item() == 3.0
    assert doubled(ember.tensor([1.0])).item() == 2.0  # the with-block removed the hook


def test_pre_hook_with_kwargs_replaces_args_and_kwargs():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m = Scale()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 3.0}), with_kwargs=True)
    assert m(ember.tensor([2.0])).item() == 6.0
    m.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        m(ember.tensor([2.0]))


def test_error_in_nested_submodule_names_its_path_once():
    m = nn.Sequential(nn.Linear(4, 5), nn.Sequential(nn.Identity(), nn.Linear(4, 2)))
    with pytest.raises(RuntimeError) as info:
        m(ember.randn(3, 4))
    msg = str(info.value)
    assert msg.startswith(
        "1.1 (Linear): Linear(in_features=4, out_features=2, bias=True): "
        "expected last dimension 4, got input of shape (3, 5)"
    )
    assert msg.count("(Linear):") == 1
    # a second failure (a new exception) is annotated again, the stack was unwound
    with pytest.raises(RuntimeError, match=r"^1\.1 \(Linear\)"):
        m(ember.randn(3, 4))


def test_error_path_uses_attribute_names_and_keeps_the_type():
    class Bad(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Identity(), nn.Identity(), nn.Identity(), Bad())

        def forward(self, x):
            return self.features(x)

    with pytest.raises(ValueError, match=r"^features\.3 \(Bad\): boom$"):
        Model()(ember.zeros(1))
    with pytest.raises(ValueError, match="^boom$"):  # the outermost module adds nothing
        Bad()(ember.zeros(1))


def test_error_without_a_string_message_gets_a_note():
    class Bad(nn.Module):
        def forward(self, x):
            return {}["missing"]

    with pytest.raises(KeyError) as info:
        nn.Sequential(Bad())(ember.zeros(1))
    assert info.value.args == ("missing",)
    assert "0 (Bad)" in " ".join(getattr(info.value, "__notes__", []))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_anomaly_messages_name_the_layer():
    class Log(nn.Module):
        def forward(self, x):
            return x.log()

    class Sqrt(nn.Module):
        def forward(self, x):
            return x.sqrt()

    model = nn.Sequential(nn.Identity(), Log())
    with ember.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match=r"in module '1'"):
            model(ember.tensor([-1.0]))
        x = ember.tensor([0.0, 1.0], requires_grad=True)
        y = nn.Sequential(nn.Identity(), nn.Sequential(Sqrt()))(x)
        with pytest.raises(RuntimeError, match=r"in module '1\.0'"):
            y.sum().backward()
    from ember.autograd.anomaly import current_scope

    assert current_scope() == ""  # every scope was popped


def test_unregistered_module_called_from_forward_gets_a_placeholder_name():
    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = [nn.Linear(3, 3)]

        def forward(self, x):
            return self.hidden[0](x)

    with pytest.raises(RuntimeError, match=r"^<Linear> \(Linear\)"):
        Holder()(ember.zeros(1, 2))


def test_scope_cache_follows_tree_changes():
    m = nn.Sequential(nn.Identity(), nn.Linear(2, 2))
    m(ember.zeros(1, 2))
    m.insert(0, nn.Identity())  # the Linear is now "2"
    with pytest.raises(RuntimeError, match=r"^2 \(Linear\)"):
        m(ember.zeros(1, 3))


# -- modes and gradients -------------------------------------------------------------------------
def test_train_eval_propagate():
    m = net()
    assert m.training and all(x.training for x in m.modules())
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    m.features.train(False)
    assert m.training and not m.features[0].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")


def test_requires_grad_and_zero_grad():
    m = net()
    m(ember.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    for p in m.parameters():
        assert p.grad is not None and not p.grad.numpy().any()
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    assert m.requires_grad_(False) is m
    assert not any(p.requires_grad for p in m.parameters())


# -- dtype ---------------------------------------------------------------------------------------
def test_to_float64_converts_in_place_and_keeps_identity():
    m = net()
    m(ember.randn(2, 4)).sum().backward()
    params = list(m.parameters())
    assert m.to(ember.float64) is m
    assert [id(p) for p in m.parameters()] == [id(p) for p in params]
    assert all(p.dtype == ember.float64 and type(p) is nn.Parameter for p in params)
    assert all(p.grad.dtype == ember.float64 for p in params)
    assert m.scale.dtype == ember.float64
    assert m.steps.dtype == ember.int64  # integer buffers keep their dtype
    assert m(ember.randn(2, 4, dtype=ember.float64)).dtype == ember.float64
    m.float()
    assert all(p.dtype == ember.float32 for p in params)
    m.half()
    assert m.head.weight.dtype == ember.float16
    m.double()
    assert m.head.bias.dtype == ember.float64
    m.to("cpu", dtype=ember.float32)
    assert m.head.bias.dtype == ember.float32
    assert m.to(ember.zeros(1, dtype=ember.float64)).head.bias.dtype == ember.float64
    assert m.cpu() is m


def test_to_rejects_integer_dtypes_and_cuda():
    with pytest.raises(TypeError, match="only accepts floating point"):
        nn.Linear(2, 2).to(ember.int64)
    with pytest.raises(RuntimeError, match="CUDA"):
        nn.Linear(2, 2).to("cuda")


def test_to_keeps_parameters_held_by_an_optimizer_in_sync():
    m = nn.Linear(2, 2)
    held = [m.weight, m.bias]  # what an optimizer would hold
    m.double()
    with ember.no_grad():
        m.weight.zero_()
    assert held[0].dtype == ember.float64 and not held[0].detach().numpy().any()


# -- state_dict ----------------------------------------------------------------------------------
def test_state_dict_keys_values_and_metadata():
    m = net()
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == [
        "steps",
        "scale",
        "features.0.weight",
        "features.0.bias",
        "features.2.weight",
        "features.2.bias",
        "head.weight",
        "head.bias",
    ]  # own entries first, then children; non-persistent "cache" left out
    assert all(type(v) is ember.Tensor and not v.requires_grad for v in sd.values())
    assert sd["head.weight"]._data is m.head.weight._data  # detached, not copied
    assert m.state_dict(keep_vars=True)["head.weight"] is m.head.weight
    assert list(m.head.state_dict(prefix="h."))[0] == "h.weight"
    assert sd._metadata["features.0"] == {"version": 1}


def test_state_dict_round_trip_between_ember_models():
    a, b = net(0), net(1)
    x = ember.randn(5, 4)
    assert not np.allclose(a(x).detach().numpy(), b(x).detach().numpy())
    with ember.no_grad():
        a.scale.fill_(2.0)
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    assert b.head.weight._data is not a.head.weight._data  # copied, not aliased


def test_load_state_dict_copies_in_place_and_accepts_numpy():
    m = nn.Linear(3, 2)
    w = m.weight
    sd = {k: v.numpy().astype(np.float64) * 0 + 1 for k, v in m.state_dict().items()}
    m.load_state_dict(sd)
    assert m.weight is w and m.weight.dtype == ember.float32
    assert m.weight.detach().numpy().tolist() == [[1.0] * 3] * 2 and m.weight.requires_grad


def test_load_state_dict_assign_replaces_tensors():
    m = nn.Linear(2, 3)
    m.bias.requires_grad_(False)
    src = nn.Linear(2, 3, dtype=ember.float64)
    old = m.weight
    m.load_state_dict(src.state_dict(), assign=True)
    assert m.weight is not old and type(m.weight) is nn.Parameter
    assert m.weight.dtype == ember.float64  # the checkpoint's tensor, as PyTorch's assign=True
    assert m.weight.requires_grad and not m.bias.requires_grad  # the module's flags are kept
    assert m.weight._data is src.weight._data


def test_load_state_dict_reports_missing_unexpected_and_size_mismatch():
    m = nn.Sequential(OrderedDict(fc=nn.Linear(4, 10), out=nn.Linear(10, 2)))
    sd = nn.Sequential(OrderedDict(fc=nn.Linear(5, 10), out=nn.Linear(10, 2))).state_dict()
    before = m.fc.weight.detach().numpy().copy()
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(sd)
    assert str(info.value) == (
        "Error(s) in loading state_dict for Sequential:\n\tsize mismatch for fc.weight: copying "
        "a param with shape (10, 5) from checkpoint, the shape in current model is (10, 4)."
    )
    np.testing.assert_array_equal(m.fc.weight.detach().numpy(), before)

    sd = m.state_dict()
    del sd["out.bias"]
    sd["out.extra"] = ember.zeros(1)
    sd["nothere.weight"] = ember.zeros(1)
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(sd)
    msg = str(info.value)
    assert 'Missing key(s) in state_dict: "out.bias".' in msg
    # PyTorch's order: the root's own unexpected keys, then each child's
    assert 'Unexpected key(s) in state_dict: "nothere.weight", "out.extra".' in msg
    assert msg.index("Missing") < msg.index("Unexpected")
    result = m.load_state_dict(sd, strict=False)  # reports instead of raising
    assert result.missing_keys == ["out.bias"]
    assert result.unexpected_keys == ["nothere.weight", "out.extra"]
    assert repr(result).startswith("_IncompatibleKeys(missing_keys=['out.bias']")
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict([1, 2])


def test_load_state_dict_rejects_non_array_values():
    m = nn.Linear(1, 1)
    with pytest.raises(RuntimeError, match='While copying the parameter named "bias"'):
        m.load_state_dict({"weight": ember.zeros(1, 1), "bias": "text"})


def test_non_persistent_buffers_and_extra_state():
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.note = "a"

        def get_extra_state(self):
            return {"note": self.note}

        def set_extra_state(self, state):
            self.note = state["note"]

    m = nn.Sequential(WithExtra())
    sd = m.state_dict()
    assert sd == {"0._extra_state": {"note": "a"}}
    sd["0._extra_state"] = {"note": "b"}
    m.load_state_dict(sd)
    assert m[0].note == "b"
    with pytest.raises(RuntimeError, match='Unexpected key.*"_extra_state"'):
        nn.Linear(1, 1).load_state_dict({**nn.Linear(1, 1).state_dict(), "_extra_state": 1})


def test_load_state_dict_post_hook_sees_incompatible_keys():
    m = nn.Linear(1, 1)
    seen = []
    m.register_load_state_dict_post_hook(lambda mod, keys: seen.append(list(keys.missing_keys)))
    m.load_state_dict({"weight": ember.zeros(1, 1)}, strict=False)
    assert seen == [["bias"]]


# -- repr, copy ----------------------------------------------------------------------------------
def test_repr_nests_children_and_extra_repr():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(2, 2))

        def extra_repr(self):
            return "alpha=1\nbeta=2"

    assert repr(Custom()) == (
        "Custom(\n  alpha=1\n  beta=2\n  (body): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=2, bias=True)\n  )\n)"
    )
    assert repr(nn.Module()) == "Module()"
    assert nn.Linear(1, 1)._get_name() == "Linear"


def test_deepcopy_and_pickle_give_independent_modules():
    m = net()
    m(ember.zeros(1, 4))
    for c in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert type(c.head.weight) is nn.Parameter
        assert c.head.weight._data is not m.head.weight._data
        np.testing.assert_array_equal(
            c(ember.ones(1, 4)).detach().numpy(), m(ember.ones(1, 4)).detach().numpy()
        )
        with pytest.raises(RuntimeError, match=r"^features\.0 \(Linear\)"):
            c(ember.zeros(1, 5))
