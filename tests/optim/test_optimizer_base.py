"""The Optimizer base: param groups, validation, zero_grad, hooks, state_dict, pickling."""

import pickle
import warnings

import numpy as np
import pytest

import ember
from ember import nn, optim
from ember.optim.optimizer import (
    register_optimizer_step_post_hook,
    register_optimizer_step_pre_hook,
)


def _params(n=2, dtype=ember.float64):
    return [nn.Parameter(ember.ones(3, dtype=dtype) * (i + 1)) for i in range(n)]


def _backward(params):
    sum(((p * p).sum() for p in params), ember.tensor(0.0, dtype=params[0].dtype)).backward()


# -- construction and validation ---------------------------------------------------------------
def test_empty_and_tensor_params_raise():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        optim.SGD(nn.Parameter(ember.ones(2)), lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the"):
        optim.SGD([1.0], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": set(_params())}], lr=0.1)


def test_non_leaf_and_repeated_params_raise():
    leaf = nn.Parameter(ember.ones(2))
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.Adam([leaf * 2])
    with pytest.raises(ValueError, match="appear in more than one parameter group"):
        optim.Adam([{"params": [leaf]}, {"params": [leaf]}])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.Adam([leaf, leaf])


ERROR_CASES = [
    ("SGD", {"lr": -1}, "Invalid learning rate: -1"),
    ("SGD", {"lr": 0.1, "momentum": -0.5}, "Invalid momentum value: -0.5"),
    ("SGD", {"lr": 0.1, "weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("SGD", {"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum"),
    ("Adam", {"lr": -1}, "Invalid learning rate: -1"),
    ("Adam", {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    ("Adam", {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    ("Adam", {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    ("AdamW", {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    ("RMSprop", {"alpha": -0.1}, "Invalid alpha value: -0.1"),
    ("RMSprop", {"momentum": -1}, "Invalid momentum value: -1"),
    ("Adagrad", {"lr_decay": -1}, "Invalid lr_decay value: -1"),
    ("Adagrad", {"initial_accumulator_value": -1}, "Invalid initial_accumulator_value value"),
    ("Adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
    ("Adamax", {"betas": (0.9, 1.0)}, "Invalid beta parameter at index 1: 1.0"),
    ("NAdam", {"momentum_decay": -1}, "Invalid momentum_decay value: -1"),
    ("RAdam", {"eps": -1}, "Invalid epsilon value: -1"),
    ("LBFGS", {"lr": -1}, "Invalid learning rate: -1"),
]


@pytest.mark.parametrize(("name", "kwargs", "message"), ERROR_CASES)
def test_invalid_hyperparameters_raise_like_torch(name, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        getattr(optim, name)(_params(), **kwargs)
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        getattr(torch.optim, name)([torch.nn.Parameter(torch.ones(2))], **kwargs)


def test_lbfgs_refuses_param_groups_and_bad_line_search():
    a, b = _params()
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = optim.LBFGS([a], line_search_fn="backtracking")
    _backward([a])
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(lambda: (a * a).sum())


def test_differentiable_is_refused():
    with pytest.raises(NotImplementedError, match="Adam: differentiable=True"):
        optim.Adam(_params(), differentiable=True)


# -- param groups --------------------------------------------------------------------------------
def test_param_groups_take_defaults_and_add_param_group():
    a, b, c = _params(3)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert all(g["momentum"] == 0.9 and g["nesterov"] is False for g in opt.param_groups)
    assert opt.param_groups[1]["params"] == [b]
    opt.add_param_group({"params": [c], "momentum": 0.0})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["momentum"] == 0.0
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([c])


def test_named_parameters_store_param_names():
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.named_parameters(), lr=0.1)
    group = opt.param_groups[0]
    assert group["param_names"] == ["weight", "bias"]
    assert group["params"][0] is model.weight
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    with pytest.raises(ValueError, match="with/without names"):
        opt.add_param_group({"params": [nn.Parameter(ember.ones(1))]})


def test_params_without_grad_are_skipped():
    a, b = _params()
    opt = optim.Adam([a, b], lr=0.1)
    _backward([a])  # b gets no gradient
    before_b, before_a = b.detach().numpy().copy(), a.detach().numpy().copy()
    version = b._version
    opt.step()
    np.testing.assert_array_equal(b.detach().numpy(), before_b)
    assert b._version == version and b not in opt.state
    assert not np.array_equal(a.detach().numpy(), before_a) and a._version > 0
    assert list(opt.state_dict()["state"]) == [0]


def test_zero_grad_set_to_none_and_zeros():
    a, b = _params()
    opt = optim.SGD([a, b], lr=0.1)
    _backward([a, b])
    grad = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is grad and np.all(grad.numpy() == 0) and not grad.requires_grad
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_sgd_zero_lr_and_plain_step_are_exact():
    (a,) = _params(1)
    opt = optim.SGD([a], lr=0.25)
    _backward([a])  # grad = 2a = 2
    opt.step()
    np.testing.assert_array_equal(a.detach().numpy(), [0.5, 0.5, 0.5])
    assert "momentum_buffer" not in opt.state[a]  # SGD keeps no state without momentum


def test_step_returns_closure_loss_and_runs_it_with_grad_enabled():
    (a,) = _params(1)
    opt = optim.Adam([a], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    with ember.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 3.0 and a.grad is not None


# -- hooks ---------------------------------------------------------------------------------------
def test_step_hooks_order_arguments_and_removal():
    (a,) = _params(1)
    opt = optim.SGD([a], lr=0.1)
    calls = []
    h_global_pre = register_optimizer_step_pre_hook(lambda o, args, kw: calls.append("gpre"))
    h_global_post = register_optimizer_step_post_hook(lambda o, args, kw: calls.append("gpost"))
    try:
        h_pre = opt.register_step_pre_hook(
            lambda o, args, kw: calls.append(("pre", o is opt, args[0] is opt, kw))
        )
        h_post = opt.register_step_post_hook(lambda o, args, kw: calls.append("post"))
        _backward([a])
        opt.step()
        assert calls == ["gpre", ("pre", True, True, {}), "post", "gpost"]
        h_pre.remove()
        h_post.remove()
        calls.clear()
        opt.step()
        assert calls == ["gpre", "gpost"]
    finally:
        h_global_pre.remove()
        h_global_post.remove()
    calls.clear()
    opt.step()
    assert calls == []


def test_pre_hook_can_replace_arguments_and_bad_result_raises():
    (a,) = _params(1)
    opt = optim.SGD([a], lr=0.1)
    seen = []
    handle = opt.register_step_pre_hook(lambda o, args, kw: (args, {"closure": lambda: 7.0}))
    opt.register_step_post_hook(lambda o, args, kw: seen.append(kw["closure"]()))
    assert opt.step() == 7.0 and seen == [7.0]
    handle.remove()
    opt.register_step_pre_hook(lambda o, args, kw: "nonsense")
    with pytest.raises(RuntimeError, match="must return None or a tuple"):
        opt.step()


def test_subclass_step_gets_hooks():
    class Halve(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.5})

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p._data *= group["lr"]
            return "stepped"

    (a,) = _params(1)
    opt = Halve([a])
    calls = []
    opt.register_step_post_hook(lambda o, args, kw: calls.append("post"))
    assert opt.step() == "stepped" and calls == ["post"]
    np.testing.assert_array_equal(a.detach().numpy(), [0.5] * 3)


def test_state_dict_and_load_hooks():
    (a,) = _params(1)
    opt = optim.SGD([a], lr=0.1)
    order = []
    opt.register_state_dict_pre_hook(lambda o: order.append("sd_pre"))
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    opt.register_load_state_dict_pre_hook(lambda o, sd: order.append("load_pre"))
    opt.register_load_state_dict_post_hook(lambda o: order.append("load_post"))
    sd = opt.state_dict()
    assert sd["extra"] == 1
    opt.load_state_dict(sd)
    assert order == ["sd_pre", "load_pre", "load_post"]


# -- state dict ----------------------------------------------------------------------------------
def _trained_adam(dtype=ember.float64, steps=2):
    a, b = _params(2, dtype)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.01}], lr=0.1, amsgrad=True)
    for _ in range(steps):
        opt.zero_grad()
        _backward([a, b])
        opt.step()
    return opt, a, b


def test_state_dict_structure():
    opt, a, b = _trained_adam()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.01 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert list(sd["state"][0]) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    step = sd["state"][0]["step"]
    assert isinstance(step, ember.Tensor) and step.shape == () and step.dtype == ember.float32
    assert float(step) == 2.0 and sd["state"][1]["exp_avg"].shape == (3,)
    assert "params" in opt.param_groups[0]  # packing did not modify the live groups


def test_load_state_dict_validates_groups():
    opt, a, b = _trained_adam()
    sd = opt.state_dict()
    single = optim.Adam([a, b])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        single.load_state_dict(sd)
    c, d, e = _params(3)
    sized = optim.Adam([{"params": [c, d]}, {"params": [e]}])
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        sized.load_state_dict(sd)


def test_load_state_dict_casts_state_but_not_step_and_copies():
    opt, _, _ = _trained_adam(ember.float64)
    sd = opt.state_dict()
    a32, b32 = _params(2, ember.float32)
    opt32 = optim.Adam([{"params": [a32]}, {"params": [b32]}])
    opt32.load_state_dict(sd)
    st = opt32.state[a32]
    assert st["exp_avg"].dtype == ember.float32 and st["step"].dtype == ember.float32
    assert opt32.param_groups[1]["lr"] == 0.01 and opt32.param_groups[0]["params"] == [a32]
    np.testing.assert_allclose(st["exp_avg"].numpy(), sd["state"][0]["exp_avg"].numpy(), 1e-6)
    sd["state"][0]["exp_avg"]._data[:] = 123.0  # the loaded state is a copy
    assert not np.any(st["exp_avg"].numpy() == 123.0)


def test_load_state_dict_accepts_numeric_step():
    opt, a, b = _trained_adam()
    sd = opt.state_dict()
    sd["state"][0]["step"] = 2
    opt.load_state_dict(sd)
    step = opt.state[a]["step"]
    assert isinstance(step, ember.Tensor) and float(step) == 2.0


def test_pickle_round_trip_and_repr():
    opt, a, b = _trained_adam()
    opt.register_step_post_hook(print)
    clone = pickle.loads(pickle.dumps(opt))
    assert clone.param_groups[1]["lr"] == 0.01
    assert len(clone._optimizer_step_post_hooks) == 0
    clone_a = clone.param_groups[0]["params"][0]
    np.testing.assert_array_equal(
        clone.state[clone_a]["exp_avg"].numpy(), opt.state[a]["exp_avg"].numpy()
    )
    text = repr(opt)
    assert text.startswith("Adam (\nParameter Group 0\n    amsgrad: True\n") and "lr: 0.01" in text
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clone.zero_grad()
        _backward(clone.param_groups[0]["params"])
        clone.step()


def test_adagrad_state_exists_before_first_step():
    a, b = _params()
    opt = optim.Adagrad([a, b], initial_accumulator_value=0.25)
    assert float(opt.state[a]["step"]) == 0.0
    np.testing.assert_array_equal(opt.state[b]["sum"].numpy(), [0.25] * 3)
