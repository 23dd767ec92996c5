"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""

from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn


def lin(i=2, o=2):
    return nn.Linear(i, o)


# -- Sequential ----------------------------------------------------------------------------------
def test_sequential_varargs_and_ordered_dict_forms():
    a, b = lin(), lin()
    s = nn.Sequential(a, b)
    assert list(s._modules) == ["0", "1"] and list(s) == [a, b]
    named = nn.Sequential(OrderedDict([("fc", a), ("act", nn.Identity())]))
    assert list(named._modules) == ["fc", "act"] and named.fc is a
    assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]


def test_sequential_forward_chains_modules():
    s = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    x = ember.randn(5, 3)
    np.testing.assert_allclose(s(x).detach().numpy(), s[1](s[0](x)).detach().numpy())
    assert nn.Sequential()(x) is x


def test_sequential_indexing_slicing_len():
    mods = [lin() for _ in range(4)]
    s = nn.Sequential(*mods)
    assert len(s) == 4
    assert s[0] is mods[0] and s[-1] is mods[3] and s[-4] is mods[0]
    with pytest.raises(IndexError, match="index 4 is out of range"):
        s[4]
    with pytest.raises(IndexError, match="index -5 is out of range"):
        s[-5]
    sub = s[1:3]
    assert type(sub) is nn.Sequential and list(sub) == mods[1:3]
    assert list(sub._modules) == ["1", "2"]  # slicing keeps the names, as PyTorch
    s[1] = nn.Identity()
    assert type(s[1]) is nn.Identity


def test_sequential_append_insert_extend_pop_del():
    a, b, c, d = lin(), lin(), lin(), lin()
    s = nn.Sequential(a)
    assert s.append(b) is s
    s.insert(0, c)
    assert list(s) == [c, a, b] and list(s._modules) == ["0", "1", "2"]
    s.insert(-1, d)
    assert list(s) == [c, a, d, b]
    with pytest.raises(IndexError, match="Index out of range"):
        s.insert(9, lin())
    s.extend([nn.Identity()])
    assert len(s) == 5
    assert s.pop(1) is a
    assert list(s._modules) == ["0", "1", "2", "3"]  # renumbered
    del s[0]
    assert list(s)[:2] == [d, b]
    del s[0:2]
    assert len(s) == 1 and type(s[0]) is nn.Identity


def test_sequential_add_mul_iadd():
    a, b = lin(), lin()
    s = nn.Sequential(a) + nn.Sequential(b)
    assert list(s) == [a, b]
    s += nn.Sequential(a)
    assert list(s._modules) == ["0", "1", "2"]
    assert list(nn.Sequential(a) * 3) == [a, a, a]
    with pytest.raises(ValueError, match="Non-positive"):
        nn.Sequential(a) * 0
    with pytest.raises(ValueError, match="only objects of Sequential class"):
        nn.Sequential(a) + [b]


def test_sequential_delete_renumbers_named_children():
    s = nn.Sequential(OrderedDict(fc=lin(), act=nn.Identity(), out=lin()))
    del s[1]
    assert list(s._modules) == ["0", "1"]


# -- ModuleList ----------------------------------------------------------------------------------
def test_module_list_registers_and_indexes():
    mods = [lin() for _ in range(3)]
    ml = nn.ModuleList(mods)
    assert len(ml) == 3 and list(ml) == mods
    assert ml[-1] is mods[2]
    assert len(list(ml.parameters())) == 6
    assert type(ml[1:]) is nn.ModuleList and list(ml[1:]) == mods[1:]
    assert list(ml[1:]._modules) == ["0", "1"]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        ml[3]
    ml[0] = nn.Identity()
    assert type(ml[0]) is nn.Identity


def test_module_list_mutation():
    a, b, c = lin(), lin(), lin()
    ml = nn.ModuleList()
    ml.append(a).extend([b])
    ml += [c]
    assert list(ml) == [a, b, c]
    ml.insert(1, nn.Identity())
    assert list(ml._modules) == ["0", "1", "2", "3"] and ml[2] is b
    assert ml.pop(1).__class__ is nn.Identity
    del ml[-1]
    assert list(ml) == [a, b]
    combined = ml + nn.ModuleList([c])
    assert list(combined) == [a, b, c] and list(ml) == [a, b]
    with pytest.raises(TypeError, match="should be called with an iterable"):
        ml.extend(5)


def test_module_list_has_no_forward():
    with pytest.raises(NotImplementedError):
        nn.ModuleList([lin()])(ember.zeros(1, 2))


def test_module_list_repr_compresses_repeats():
    ml = nn.ModuleList([lin(), lin(), lin(3, 3), lin()])
    assert repr(ml) == (
        "ModuleList(\n"
        "  (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (2): Linear(in_features=3, out_features=3, bias=True)\n"
        "  (3): Linear(in_features=2, out_features=2, bias=True)\n)"
    )
    assert repr(nn.ModuleList()) == "ModuleList()"


# -- ModuleDict ----------------------------------------------------------------------------------
def test_module_dict():
    a, b = lin(), lin()
    md = nn.ModuleDict({"b": b, "a": a})
    assert list(md) == ["b", "a"] and list(md.keys()) == ["b", "a"]  # insertion order
    assert md["a"] is a and "a" in md and len(md) == 2
    md["c"] = nn.Identity()
    assert list(md.values())[-1] is md.c
    assert [k for k, _ in md.items()] == ["b", "a", "c"]
    assert md.pop("b") is b and "b" not in md
    md.update([("d", lin())])
    assert [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias", "d.weight", "d.bias"]
    del md["d"]
    md.clear()
    assert len(md) == 0
    with pytest.raises(ValueError, match="has length 1; 2 is required"):
        md.update([("x",)])


# -- ParameterList / ParameterDict ---------------------------------------------------------------
def test_parameter_list_wraps_tensors_and_registers():
    pl = nn.ParameterList([ember.zeros(2), nn.Parameter(ember.ones(3))])
    assert len(pl) == 2 and all(type(p) is nn.Parameter for p in pl)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pl.append(ember.zeros(1, 4))
    pl += [ember.zeros(5)]
    assert len(pl) == 4 and pl[-1].shape == (5,)
    assert type(pl[1:3]) is nn.ParameterList and len(pl[1:3]) == 2
    pl[0] = ember.ones(2)
    assert pl[0].requires_grad and pl[0].sum().item() == 2.0
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        pl(1)
    with pytest.raises(TypeError, match="should be called with an iterable"):
        pl.extend(ember.zeros(2))


def test_parameter_dict():
    pd = nn.ParameterDict({"b": ember.zeros(2), "a": ember.ones(1)})
    assert list(pd) == ["a", "b"]  # a plain dict is sorted, as PyTorch does
    assert type(pd["a"]) is nn.Parameter and "a" in pd and len(pd) == 2
    pd["c"] = ember.zeros(3)
    assert [n for n, _ in pd.named_parameters()] == ["a", "b", "c"]
    assert pd.get("zz") is None and pd.setdefault("d", ember.zeros(1)).shape == (1,)
    assert pd.pop("d").shape == (1,) and "d" not in pd
    key, value = pd.popitem()
    assert key == "c" and value.shape == (3,)
    merged = pd | nn.ParameterDict(OrderedDict(z=ember.zeros(1)))
    assert list(merged) == ["a", "b", "z"] and list(pd) == ["a", "b"]
    with pytest.raises(TypeError, match="not a string"):
        pd[1]
    with pytest.raises(RuntimeError, match="ParameterDict should not be called"):
        pd(1)
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []


def test_parameter_containers_repr():
    pl = nn.ParameterList([ember.zeros(2, 3), ember.zeros(4, dtype=ember.float64)])
    assert repr(pl) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [ember.float32 of size 2x3]\n"
        "    (1): Parameter containing: [ember.float64 of size 4]\n)"
    )
    pd = nn.ParameterDict(OrderedDict(w=ember.zeros(2)))
    assert repr(pd) == "ParameterDict(  (w): Parameter containing: [ember.FloatTensor of size 2])"


def test_containers_in_a_model_state_dict_round_trip():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([lin(), lin()])
            self.heads = nn.ModuleDict({"cls": lin(2, 3)})
            self.scales = nn.ParameterList([ember.ones(2)])

        def forward(self, x):
            for b in self.blocks:
                x = b(x) * self.scales[0]
            return self.heads["cls"](x)

    a, b = M(), M()
    assert list(a.state_dict()) == [
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
        "heads.cls.weight",
        "heads.cls.bias",
        "scales.0",
    ]
    b.load_state_dict(a.state_dict())
    x = ember.randn(4, 2)
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
