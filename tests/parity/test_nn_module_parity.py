"""nn modules against PyTorch: repr, names, state_dict in both directions, outputs, gradients."""

import math
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as enn
from ember.nn import init as einit

torch = pytest.importorskip("torch")
tnn = torch.nn


def build(nn, lib):
    """The same model in either framework (nn = ember.nn or torch.nn)."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Flatten(),
                nn.Linear(12, 16),
                nn.Identity(),
                nn.Sequential(OrderedDict(fc=nn.Linear(16, 8), skip=nn.Identity())),
            )
            self.blocks = nn.ModuleList(
                [nn.Linear(8, 8), nn.Linear(8, 8), nn.Linear(8, 6, bias=False)]
            )
            self.heads = nn.ModuleDict({"cls": nn.Linear(6, 3), "reg": nn.Linear(6, 1)})
            self.scale = nn.Parameter(lib.ones(3))
            self.register_buffer("offset", lib.full((3,), 0.5))
            self.register_buffer("tmp", lib.zeros(1), persistent=False)

        def forward(self, x):
            h = self.features(x)
            for block in self.blocks:
                h = (block(h) * 0.5).tanh()
            return self.heads["cls"](h) * self.scale + self.offset + self.heads["reg"](h)

    return Net()


def to_torch_state(sd):
    return OrderedDict((k, torch.tensor(v.numpy())) for k, v in sd.items())


def to_numpy_state(sd):
    return OrderedDict((k, v.numpy()) for k, v in sd.items())


def pair():
    e, t = build(enn, ember), build(tnn, torch)
    e.load_state_dict(t.state_dict())
    return e, t


def test_repr_matches_pytorch():
    e, t = build(enn, ember), build(tnn, torch)
    assert repr(e) == repr(t)
    lazy_e, lazy_t = enn.LazyLinear(4), tnn.LazyLinear(4)
    assert repr(lazy_e) == repr(lazy_t)
    lazy_e(ember.zeros(2, 7))
    lazy_t(torch.zeros(2, 7))
    assert repr(lazy_e) == repr(lazy_t)
    for make in (
        lambda nn: nn.ModuleList([nn.Linear(2, 2)] * 3 + [nn.Identity()]),
        lambda nn: nn.Sequential(nn.Unflatten(1, (2, 3)), nn.Flatten(0, -1)),
        lambda nn: nn.Sequential(),
    ):
        assert repr(make(enn)) == repr(make(tnn))
    pl_e = enn.ParameterList([ember.zeros(2, 3)])
    pl_t = tnn.ParameterList([torch.zeros(2, 3)])
    assert repr(pl_e) == repr(pl_t).replace("torch.", "ember.")
    pd_e = enn.ParameterDict({"w": ember.zeros(2)})
    pd_t = tnn.ParameterDict({"w": torch.zeros(2)})
    assert repr(pd_e) == repr(pd_t).replace("torch.", "ember.")


def test_names_match_pytorch():
    e, t = build(enn, ember), build(tnn, torch)
    for method in ("named_parameters", "named_buffers", "named_modules", "named_children"):
        assert [n for n, _ in getattr(e, method)()] == [n for n, _ in getattr(t, method)()]
    assert list(e.state_dict()) == list(t.state_dict())
    assert e.state_dict()._metadata == t.state_dict()._metadata
    for name, p in t.named_parameters():
        assert tuple(e.get_parameter(name).shape) == tuple(p.shape)


def test_shared_parameter_names_match_pytorch():
    def make(nn):
        shared = nn.Linear(3, 3)
        m = nn.Sequential(shared, nn.Linear(3, 3), shared)
        m[1].weight = shared.weight
        return m

    e, t = make(enn), make(tnn)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert list(e.state_dict()) == list(t.state_dict())


@pytest.mark.parametrize("values", ["torch", "numpy"])
def test_torch_to_ember_outputs_and_gradients(values):
    t = build(tnn, torch)
    e = build(enn, ember)
    sd = t.state_dict() if values == "torch" else to_numpy_state(t.state_dict())
    assert repr(e.load_state_dict(sd)) == "<All keys matched successfully>"
    x = np.random.default_rng(0).standard_normal((5, 3, 4)).astype(np.float32)
    target = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    eo, to = e(ex), t(tx)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-6)
    ((eo - ember.tensor(target)) ** 2).mean().backward()
    ((to - torch.tensor(target)) ** 2).mean().backward()
    tp = dict(t.named_parameters())
    for name, p in e.named_parameters():
        np.testing.assert_allclose(
            p.grad.numpy(), tp[name].grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=name
        )
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_ember_to_torch_state_dict():
    ember.manual_seed(3)
    e = build(enn, ember)
    t = build(tnn, torch)
    assert repr(t.load_state_dict(to_torch_state(e.state_dict()))) == (
        "<All keys matched successfully>"
    )
    x = np.random.default_rng(2).standard_normal((4, 12)).astype(np.float32)
    np.testing.assert_allclose(
        e(ember.tensor(x)).detach().numpy(),
        t(torch.tensor(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )


def test_float64_and_eval_mode_parity():
    e, t = pair()
    e.double().eval()
    t.double().eval()
    assert all(p.dtype == ember.float64 for p in e.parameters())
    assert [m.training for m in e.modules()] == [m.training for m in t.modules()]
    x = np.random.default_rng(4).standard_normal((2, 12))
    np.testing.assert_allclose(
        e(ember.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-12
    )


def test_load_errors_report_the_same_keys_as_pytorch():
    e, t = pair()
    sd = t.state_dict()
    del sd["blocks.1.bias"]
    sd["blocks.9.weight"] = torch.zeros(1)
    sd["stray"] = torch.zeros(1)
    er, tr = e.load_state_dict(sd, strict=False), t.load_state_dict(sd, strict=False)
    assert er.missing_keys == tr.missing_keys and er.unexpected_keys == tr.unexpected_keys
    assert repr(er) == repr(tr)
    with pytest.raises(RuntimeError) as ei:
        e.load_state_dict(sd)
    with pytest.raises(RuntimeError) as ti:
        t.load_state_dict(sd)
    assert str(ei.value) == str(ti.value)

    bad = build(tnn, torch).state_dict()
    bad["features.1.weight"] = torch.zeros(16, 13)
    with pytest.raises(RuntimeError) as ei:
        e.load_state_dict(bad)
    with pytest.raises(RuntimeError) as ti:
        t.load_state_dict(bad)
    # same text, except that PyTorch prints torch.Size([16, 13]) where ember prints (16, 13)
    expected = str(ti.value).replace("torch.Size([16, 13])", "(16, 13)")
    assert str(ei.value) == expected.replace("torch.Size([16, 12])", "(16, 12)")


def test_hook_order_matches_pytorch():
    def record(nn, lib):
        m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
        log = []
        for name, mod in m.named_modules():
            mod.register_forward_pre_hook(lambda _m, _a, n=name: log.append(("pre", n)))
            mod.register_forward_hook(lambda _m, _a, _o, n=name: log.append(("post", n)))
            mod.register_forward_pre_hook(
                lambda _m, _a, n=name: log.append(("first", n)), prepend=True
            )
        m(lib.zeros(1, 2))
        return log

    assert record(enn, ember) == record(tnn, torch)


def test_init_gains_and_fans_match_pytorch():
    for name in ("linear", "conv1d", "conv_transpose2d", "sigmoid", "tanh", "relu", "selu"):
        assert einit.calculate_gain(name) == tnn.init.calculate_gain(name)
    for slope in (None, 0.2, 3):
        assert einit.calculate_gain("leaky_relu", slope) == tnn.init.calculate_gain(
            "leaky_relu", slope
        )
    for shape in ((3, 4), (8, 2, 3), (16, 4, 3, 3), (2, 3, 2, 2, 2)):
        assert einit._calculate_fan_in_and_fan_out(ember.empty(*shape)) == (
            tnn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
        )


def test_linear_default_init_bounds_match_pytorch():
    ember.manual_seed(0)
    torch.manual_seed(0)
    e, t = enn.Linear(256, 512), tnn.Linear(256, 512)
    bound = 1 / math.sqrt(256)
    for pe, pt, tol in ((e.weight, t.weight, 0.02), (e.bias, t.bias, 0.15)):
        a, b = pe.detach().numpy(), pt.detach().numpy()
        assert max(np.abs(a).max(), np.abs(b).max()) <= bound
        assert min(np.abs(a).max(), np.abs(b).max()) > 0.98 * bound
        assert abs(a.std() - b.std()) < tol * b.std()


def test_orthonormal_columns_match_pytorch_qr():
    a = np.random.default_rng(5).standard_normal((9, 5))
    q, r = torch.linalg.qr(torch.tensor(a))
    q = (q * torch.diag(r, 0).sign()).numpy()
    np.testing.assert_allclose(einit._orthonormal_columns(ember.tensor(a)).numpy(), q, atol=1e-12)


def test_bilinear_matches_torch():
    t_layer = torch.nn.Bilinear(3, 4, 2)
    e_layer = enn.Bilinear(3, 4, 2)
    e_layer.load_state_dict({k: v.detach().numpy() for k, v in t_layer.state_dict().items()})
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 3)).astype("float32")
    b = rng.standard_normal((5, 4)).astype("float32")
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ea, eb = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    t_out, e_out = t_layer(ta, tb), e_layer(ea, eb)
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    (t_out ** 2).sum().backward()
    (e_out ** 2).sum().backward()
    for e, t in ((ea.grad, ta.grad), (eb.grad, tb.grad), (e_layer.weight.grad, t_layer.weight.grad),
                 (e_layer.bias.grad, t_layer.bias.grad)):
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-4, atol=1e-5)
    assert repr(e_layer) == repr(t_layer)
