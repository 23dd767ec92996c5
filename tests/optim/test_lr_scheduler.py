"""ember.optim.lr_scheduler: lr sequences, state_dict round trips and errors, against PyTorch."""

import json
import math
import warnings

import numpy as np
import pytest

import ember
from ember.optim import SGD, Adam
from ember.optim import lr_scheduler as E

RTOL = 1e-12


def _make_opt(fw, kind):
    """Two param groups (lr 0.1 and 0.05): SGD with momentum, or Adam."""
    if fw == "torch":
        torch = pytest.importorskip("torch")
        params = [torch.nn.Parameter(torch.zeros(3)), torch.nn.Parameter(torch.zeros(2))]
        sgd, adam = torch.optim.SGD, torch.optim.Adam
    else:
        params = [ember.nn.Parameter(ember.zeros(3)), ember.nn.Parameter(ember.zeros(2))]
        sgd, adam = SGD, Adam
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}]
    if kind == "adam":
        return adam(groups, lr=0.1, betas=(0.9, 0.99))
    return sgd(groups, lr=0.1, momentum=0.9)


def _close(a, b):
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=1e-300)


def _snapshot(opt, sched):
    """Everything a scheduler controls: last lrs, group lrs and momentum/beta1."""
    out = list(sched.get_last_lr()) + [g["lr"] for g in opt.param_groups]
    for g in opt.param_groups:
        out.append(g["betas"][0] if "betas" in g else g["momentum"])
    return [float(v) for v in out]


def _assert_same(expected, actual, where):
    assert len(expected) == len(actual), where
    for e, a in zip(expected, actual):
        assert _close(e, a), f"{where}: torch {expected} vs ember {actual}"


def _metric(i):
    """A deterministic noisy-plateau metric sequence for ReduceLROnPlateau."""
    return round(1.0 / (1 + 0.05 * min(i, 30)) + 0.01 * math.sin(1.7 * i), 6)


def _step(sched, i):
    if isinstance(sched, E.ReduceLROnPlateau) or type(sched).__name__ == "ReduceLROnPlateau":
        sched.step(_metric(i))
    else:
        sched.step()


def _run(lib, build, kind, steps, fw):
    opt = _make_opt(fw, kind)
    sched = build(lib, opt)
    seq = [_snapshot(opt, sched)]
    for i in range(steps):
        opt.step()
        _step(sched, i)
        seq.append(_snapshot(opt, sched))
    return seq


class _Halve:
    """A callable object: its __dict__ is what LambdaLR saves."""

    def __init__(self):
        self.factor = 0.97

    def __call__(self, epoch):
        return self.factor**epoch


def _tri_custom(x):
    return 1.0 / (1.0 + 0.01 * x)


# (id, build(lib, opt), optimizer kind, number of steps)
CASES = [
    ("lambda", lambda m, o: m.LambdaLR(o, lambda e: 0.95**e), "sgd", 60),
    (
        "lambda_list",
        lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** (e // 3)]),
        "sgd",
        60,
    ),
    ("multiplicative", lambda m, o: m.MultiplicativeLR(o, lambda e: 0.97), "sgd", 60),
    (
        "multiplicative_list",
        lambda m, o: m.MultiplicativeLR(o, [lambda e: 0.99, lambda e: 1.0 - 0.001 * e]),
        "sgd",
        60,
    ),
    ("step", lambda m, o: m.StepLR(o, step_size=7, gamma=0.5), "sgd", 60),
    ("step_default_gamma", lambda m, o: m.StepLR(o, 3), "sgd", 60),
    ("multistep", lambda m, o: m.MultiStepLR(o, [10, 25, 25, 40], gamma=0.3), "sgd", 60),
    ("constant", lambda m, o: m.ConstantLR(o), "sgd", 60),
    ("constant_opts", lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=12), "sgd", 60),
    ("linear", lambda m, o: m.LinearLR(o), "sgd", 60),
    ("linear_opts", lambda m, o: m.LinearLR(o, 0.25, 0.8, total_iters=30), "sgd", 60),
    ("linear_to_zero", lambda m, o: m.LinearLR(o, 1.0, 0.0, total_iters=50), "sgd", 60),
    ("exponential", lambda m, o: m.ExponentialLR(o, 0.93), "sgd", 80),
    ("polynomial", lambda m, o: m.PolynomialLR(o), "sgd", 60),
    ("polynomial_opts", lambda m, o: m.PolynomialLR(o, total_iters=40, power=2.5), "sgd", 60),
    ("cosine", lambda m, o: m.CosineAnnealingLR(o, T_max=20), "sgd", 120),
    ("cosine_eta_min", lambda m, o: m.CosineAnnealingLR(o, 15, eta_min=1e-3), "sgd", 120),
    ("warm_restarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10), "sgd", 100),
    (
        "warm_restarts_mult",
        lambda m, o: m.CosineAnnealingWarmRestarts(o, 5, T_mult=2, eta_min=1e-3),
        "sgd",
        100,
    ),
    ("cyclic", lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=10), "sgd", 100),
    (
        "cyclic_triangular2",
        lambda m, o: m.CyclicLR(o, 0.01, 0.1, 8, step_size_down=5, mode="triangular2"),
        "sgd",
        100,
    ),
    (
        "cyclic_exp_range_lists",
        lambda m, o: m.CyclicLR(
            o,
            [0.01, 0.02],
            [0.1, 0.3],
            7,
            mode="exp_range",
            gamma=0.99,
            base_momentum=[0.7, 0.75],
            max_momentum=0.95,
        ),
        "sgd",
        100,
    ),
    (
        "cyclic_custom_scale",
        lambda m, o: m.CyclicLR(o, 0.01, 0.1, 6, scale_fn=_tri_custom, scale_mode="iterations"),
        "sgd",
        100,
    ),
    (
        "cyclic_no_momentum",
        lambda m, o: m.CyclicLR(o, 0.001, 0.05, 9, cycle_momentum=False),
        "sgd",
        60,
    ),
    ("cyclic_adam", lambda m, o: m.CyclicLR(o, 0.001, 0.01, 5), "adam", 60),
    ("onecycle", lambda m, o: m.OneCycleLR(o, 0.1, total_steps=100), "sgd", 100),
    (
        "onecycle_linear",
        lambda m, o: m.OneCycleLR(o, [0.1, 0.2], total_steps=90, anneal_strategy="linear"),
        "sgd",
        90,
    ),
    (
        "onecycle_three_phase",
        lambda m, o: m.OneCycleLR(
            o,
            0.3,
            epochs=8,
            steps_per_epoch=20,
            pct_start=0.25,
            three_phase=True,
            div_factor=10.0,
            final_div_factor=100.0,
        ),
        "sgd",
        160,
    ),
    ("onecycle_adam", lambda m, o: m.OneCycleLR(o, 0.01, total_steps=75), "adam", 75),
    (
        "onecycle_adam_three_phase",
        lambda m, o: m.OneCycleLR(
            o, 0.01, total_steps=120, three_phase=True, base_momentum=0.8, max_momentum=0.92
        ),
        "adam",
        120,
    ),
    (
        "onecycle_no_momentum",
        lambda m, o: m.OneCycleLR(o, 0.05, total_steps=60, cycle_momentum=False),
        "sgd",
        60,
    ),
    ("plateau", lambda m, o: m.ReduceLROnPlateau(o, patience=3), "sgd", 80),
    (
        "plateau_max_abs",
        lambda m, o: m.ReduceLROnPlateau(
            o,
            mode="max",
            factor=0.5,
            patience=2,
            threshold=0.002,
            threshold_mode="abs",
            cooldown=2,
            min_lr=[0.02, 0.001],
        ),
        "sgd",
        80,
    ),
    (
        "plateau_cooldown_eps",
        lambda m, o: m.ReduceLROnPlateau(
            o, factor=0.3, patience=1, threshold=0.01, cooldown=3, min_lr=0.004, eps=1e-3
        ),
        "sgd",
        80,
    ),
    (
        "sequential",
        lambda m, o: m.SequentialLR(
            o, [m.ConstantLR(o, factor=0.5, total_iters=4), m.ExponentialLR(o, 0.9)], [5]
        ),
        "sgd",
        60,
    ),
    (
        "sequential_three",
        lambda m, o: m.SequentialLR(
            o,
            [m.LinearLR(o, 0.1, total_iters=5), m.CosineAnnealingLR(o, 20), m.StepLR(o, 4)],
            milestones=[5, 30],
        ),
        "sgd",
        80,
    ),
    (
        "sequential_nested_chain",
        lambda m, o: m.SequentialLR(
            o,
            [
                m.ChainedScheduler([m.ConstantLR(o, 0.5, 3), m.ExponentialLR(o, 0.95)]),
                m.MultiStepLR(o, [20, 30]),
            ],
            [10],
        ),
        "sgd",
        60,
    ),
    (
        "chained",
        lambda m, o: m.ChainedScheduler([m.ConstantLR(o, 0.2, 6), m.ExponentialLR(o, 0.9)]),
        "sgd",
        60,
    ),
    (
        "chained_three",
        lambda m, o: m.ChainedScheduler(
            [m.LinearLR(o, 0.5, total_iters=8), m.MultiStepLR(o, [15, 30]), m.PolynomialLR(o, 50)]
        ),
        "sgd",
        60,
    ),
    (
        "chained_cosine_step",
        lambda m, o: m.ChainedScheduler([m.CosineAnnealingLR(o, 10), m.StepLR(o, 12, 0.5)], o),
        "sgd",
        60,
    ),
]
# Building SequentialLR over a ChainedScheduler steps the children before any optimizer step:
# PyTorch warns about the call order there too.
PARAMS = [
    pytest.param(
        c,
        id=c[0],
        marks=[pytest.mark.filterwarnings("ignore:Detected call")] if "nested" in c[0] else [],
    )
    for c in CASES
]


@pytest.mark.parametrize("case", PARAMS)
def test_sequence_matches_torch(case):
    torch = pytest.importorskip("torch")
    _, build, kind, steps = case
    expected = _run(torch.optim.lr_scheduler, build, kind, steps, "torch")
    actual = _run(E, build, kind, steps, "ember")
    for i, (e, a) in enumerate(zip(expected, actual)):
        _assert_same(e, a, f"step {i}")


def _keys(state):
    """State keys, recursing into the child schedulers of composite schedulers."""
    keys = {k: None for k in state}
    if "_schedulers" in state:
        keys["_schedulers"] = [_keys(s) for s in state["_schedulers"]]
    return keys


@pytest.mark.parametrize("case", PARAMS)
def test_state_dict_round_trip(case):
    torch = pytest.importorskip("torch")
    _, build, kind, steps = case
    expected = _run(torch.optim.lr_scheduler, build, kind, steps, "torch")
    k = steps // 2
    opt = _make_opt("ember", kind)
    sched = build(E, opt)
    for i in range(k):
        opt.step()
        _step(sched, i)
    state = sched.state_dict()
    t_opt = _make_opt("torch", kind)
    assert _keys(state) == _keys(build(torch.optim.lr_scheduler, t_opt).state_dict())
    # Plain data only: survives a JSON round trip (tuples become lists, int keys strings).
    state = json.loads(json.dumps(state))
    opt_state = opt.state_dict()
    del opt, sched
    new_opt = _make_opt("ember", kind)
    new_sched = build(E, new_opt)
    new_opt.load_state_dict(opt_state)
    new_sched.load_state_dict(state)
    _assert_same(expected[k], _snapshot(new_opt, new_sched), f"resumed at {k}")
    for i in range(k, steps):
        new_opt.step()
        _step(new_sched, i)
        _assert_same(expected[i + 1], _snapshot(new_opt, new_sched), f"step {i + 1}")


@pytest.mark.filterwarnings("ignore:Detected call")
def test_state_dict_saves_with_ember_save(tmp_path):
    """Every scheduler's state (nested ones, inf, int-keyed milestones) survives ember.save."""
    for name, build, kind, steps in CASES:
        opt = _make_opt("ember", kind)
        sched = build(E, opt)
        for i in range(steps // 2):
            opt.step()
            _step(sched, i)
        state = sched.state_dict()
        ember.save(state, tmp_path / f"{name}.ember")
        assert ember.load(tmp_path / f"{name}.ember") == state, name


# Param-group entries a scheduler reads or writes.
SCHEDULER_KEYS = ("lr", "initial_lr", "momentum", "betas", "max_lr", "min_lr")
SCHEDULER_KEYS += ("max_momentum", "base_momentum")


@pytest.mark.parametrize("case", PARAMS)
def test_load_torch_state_dict(case):
    """A PyTorch scheduler checkpoint taken mid-way resumes in ember with the same sequence."""
    torch = pytest.importorskip("torch")
    _, build, kind, steps = case
    k = steps // 3
    t_opt = _make_opt("torch", kind)
    t_sched = build(torch.optim.lr_scheduler, t_opt)
    for i in range(k):
        t_opt.step()
        _step(t_sched, i)
    opt = _make_opt("ember", kind)
    sched = build(E, opt)
    for t_group, group in zip(t_opt.param_groups, opt.param_groups):
        group.update({key: t_group[key] for key in SCHEDULER_KEYS if key in t_group})
    sched.load_state_dict(t_sched.state_dict())
    for i in range(k, steps):
        t_opt.step()
        _step(t_sched, i)
        opt.step()
        _step(sched, i)
        _assert_same(_snapshot(t_opt, t_sched), _snapshot(opt, sched), f"step {i + 1}")


@pytest.mark.parametrize(
    "build",
    [
        lambda m, o, e: m.StepLR(o, 4, 0.5).step(e),
        lambda m, o, e: m.MultiStepLR(o, [3, 6, 6, 9]).step(e),
        lambda m, o, e: m.ConstantLR(o, 0.4, 5).step(e),
        lambda m, o, e: m.LinearLR(o, 0.2, 0.9, 7).step(e),
        lambda m, o, e: m.ExponentialLR(o, 0.8).step(e),
        lambda m, o, e: m.PolynomialLR(o, 8, 1.5).step(e),
        lambda m, o, e: m.CosineAnnealingLR(o, 6, 0.01).step(e),
        lambda m, o, e: m.LambdaLR(o, lambda i: 1 / (1 + i)).step(e),
        lambda m, o, e: m.CosineAnnealingWarmRestarts(o, 3, 2).step(e + 0.25),
        lambda m, o, e: m.CosineAnnealingWarmRestarts(o, 4).step(e + 0.5),
    ],
)
def test_step_with_epoch_matches_torch(build):
    """The deprecated step(epoch) jumps with the closed form, like PyTorch."""
    torch = pytest.importorskip("torch")
    for epoch in (0, 2, 5, 9, 14):
        t_opt, e_opt = _make_opt("torch", "sgd"), _make_opt("ember", "sgd")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build(torch.optim.lr_scheduler, t_opt, epoch)
            build(E, e_opt, epoch)
        t_lrs = [g["lr"] for g in t_opt.param_groups]
        _assert_same(t_lrs, [g["lr"] for g in e_opt.param_groups], f"epoch {epoch}")


def test_plateau_accepts_tensor_metric():
    opt = _make_opt("ember", "sgd")
    sched = E.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    sched.step(ember.tensor(1.0))
    sched.step(ember.tensor(np.float32(2.0)))
    assert sched.get_last_lr() == [0.05, 0.025]
    assert sched.num_bad_epochs == 0 and sched.best == 1.0


def test_base_sets_initial_lr_and_aliases():
    opt = _make_opt("ember", "sgd")
    sched = E.StepLR(opt, 2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert sched.base_lrs == [0.1, 0.05] and sched.last_epoch == 0
    assert issubclass(E._LRScheduler, E.LRScheduler)
    assert isinstance(E.ReduceLROnPlateau(opt), E.LRScheduler)
    assert set(E.__all__) >= {"LRScheduler", "OneCycleLR", "ReduceLROnPlateau", "SequentialLR"}


def test_custom_subclass_and_resume_with_last_epoch():
    """A user subclass only defines get_lr; resuming with last_epoch keeps initial_lr."""

    class Halving(E.LRScheduler):
        def get_lr(self):
            return [base * 0.5**self.last_epoch for base in self.base_lrs]

    opt = _make_opt("ember", "sgd")
    sched = Halving(opt)
    for _ in range(3):
        opt.step()
        sched.step()
    assert sched.get_last_lr() == [0.1 * 0.125, 0.05 * 0.125]
    resumed = Halving(opt, last_epoch=3)
    assert resumed.last_epoch == 4 and resumed.get_last_lr() == [0.1 / 16, 0.05 / 16]


def test_lambda_state_saves_callable_objects_only():
    opt = _make_opt("ember", "sgd")
    obj = _Halve()
    sched = E.LambdaLR(opt, [lambda e: 1.0, obj])
    obj.factor = 0.5
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None, {"factor": 0.5}]
    fresh = _Halve()
    new = E.LambdaLR(_make_opt("ember", "sgd"), [lambda e: 1.0, fresh])
    new.load_state_dict(state)
    assert fresh.factor == 0.5 and state["lr_lambdas"] == [None, {"factor": 0.5}]


def test_warnings():
    opt = _make_opt("ember", "sgd")
    sched = E.ExponentialLR(opt, 0.9)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(3)
    opt2 = _make_opt("ember", "sgd")
    sched2 = E.ExponentialLR(opt2, 0.9)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()
        sched2.step()


def test_onecycle_exceeding_total_steps_raises():
    torch = pytest.importorskip("torch")
    for lib, fw in ((torch.optim.lr_scheduler, "torch"), (E, "ember")):
        opt = _make_opt(fw, "sgd")
        sched = lib.OneCycleLR(opt, 0.1, total_steps=10)
        for _ in range(10):
            opt.step()
            sched.step()
        with pytest.raises(ValueError, match="total steps is 10"):
            sched.step()


def _other_opt_sequential(m, o):
    other = o.__class__([{"params": o.param_groups[0]["params"]}], lr=0.1)
    return m.SequentialLR(o, [m.ConstantLR(o), m.ExponentialLR(other, 0.9)], [3])


ERRORS = [
    ("constant_factor", lambda m, o: m.ConstantLR(o, factor=1.5), ValueError),
    ("linear_start", lambda m, o: m.LinearLR(o, start_factor=0.0), ValueError),
    ("linear_end", lambda m, o: m.LinearLR(o, end_factor=1.2), ValueError),
    ("lambda_count", lambda m, o: m.LambdaLR(o, [lambda e: 1.0]), ValueError),
    ("multiplicative_callable", lambda m, o: m.MultiplicativeLR(o, 0.9), TypeError),
    ("not_optimizer", lambda m, o: m.StepLR(object(), 3), TypeError),
    ("resume_without_initial_lr", lambda m, o: m.StepLR(o, 3, last_epoch=4), KeyError),
    ("plateau_factor", lambda m, o: m.ReduceLROnPlateau(o, factor=1.0), ValueError),
    ("plateau_mode", lambda m, o: m.ReduceLROnPlateau(o, mode="avg"), ValueError),
    ("plateau_threshold_mode", lambda m, o: m.ReduceLROnPlateau(o, threshold_mode="x"), ValueError),
    ("plateau_min_lrs", lambda m, o: m.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError),
    ("warm_T_0", lambda m, o: m.CosineAnnealingWarmRestarts(o, 0), ValueError),
    ("warm_T_mult", lambda m, o: m.CosineAnnealingWarmRestarts(o, 3, T_mult=0), ValueError),
    ("warm_eta_min", lambda m, o: m.CosineAnnealingWarmRestarts(o, 3, eta_min="0"), ValueError),
    ("cyclic_mode", lambda m, o: m.CyclicLR(o, 0.01, 0.1, mode="square"), ValueError),
    ("cyclic_base_lr_count", lambda m, o: m.CyclicLR(o, [0.01], 0.1), ValueError),
    ("onecycle_total_steps", lambda m, o: m.OneCycleLR(o, 0.1, total_steps=0), ValueError),
    ("onecycle_missing_steps", lambda m, o: m.OneCycleLR(o, 0.1, epochs=3), ValueError),
    ("onecycle_epochs", lambda m, o: m.OneCycleLR(o, 0.1, epochs=0, steps_per_epoch=3), ValueError),
    ("onecycle_pct", lambda m, o: m.OneCycleLR(o, 0.1, 10, pct_start=1.5), ValueError),
    ("onecycle_anneal", lambda m, o: m.OneCycleLR(o, 0.1, 10, anneal_strategy="x"), ValueError),
    ("onecycle_max_lr_count", lambda m, o: m.OneCycleLR(o, [0.1] * 3, 10), ValueError),
    ("sequential_empty", lambda m, o: m.SequentialLR(o, [], []), ValueError),
    (
        "sequential_milestones",
        lambda m, o: m.SequentialLR(o, [m.ConstantLR(o), m.ExponentialLR(o, 0.9)], [2, 4]),
        ValueError,
    ),
    (
        "sequential_plateau",
        lambda m, o: m.SequentialLR(o, [m.ConstantLR(o), m.ReduceLROnPlateau(o)], [2]),
        ValueError,
    ),
    ("sequential_other_optimizer", _other_opt_sequential, ValueError),
    ("chained_empty", lambda m, o: m.ChainedScheduler([]), ValueError),
    ("chained_plateau", lambda m, o: m.ChainedScheduler([m.ReduceLROnPlateau(o)]), ValueError),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_match_torch(case):
    _, build, exc = case
    with pytest.raises(exc) as info:
        build(E, _make_opt("ember", "sgd"))
    assert any(name in str(info.value) for name in E.__all__), "message names the scheduler"
    torch = pytest.importorskip("torch")
    with pytest.raises(exc):
        build(torch.optim.lr_scheduler, _make_opt("torch", "sgd"))
