"""default_collate / default_convert: structures, dtypes, and the shape-mismatch error."""

import collections

import numpy as np
import pytest

import ember
from ember.utils.data import default_collate, default_convert

Point = collections.namedtuple("Point", ["xy", "tag"])


def test_numbers_become_tensors_with_torch_dtypes():
    assert default_collate([1, 2, 3]).dtype == ember.int64
    f = default_collate([1.5, 2.5])
    assert f.dtype == ember.float64 and f.numpy().tolist() == [1.5, 2.5]
    b = default_collate([True, False])
    assert b.dtype == ember.bool and b.numpy().tolist() == [True, False]
    s = default_collate([np.float32(1), np.float32(2)])
    assert s.dtype == ember.float32 and s.shape == (2,)


def test_arrays_and_tensors_are_stacked_on_dim0():
    arrs = [np.full((2, 3), i, dtype=np.float32) for i in range(4)]
    out = default_collate(arrs)
    assert out.shape == (4, 2, 3) and out.dtype == ember.float32
    np.testing.assert_array_equal(out.numpy()[:, 0, 0], [0, 1, 2, 3])
    t = default_collate([ember.tensor([1, 2]), ember.tensor([3, 4])])
    assert t.shape == (2, 2) and t.dtype == ember.int64


def test_strings_stay_lists():
    assert default_collate(["a", "b"]) == ["a", "b"]
    with pytest.raises(TypeError, match="batch must contain tensors"):
        default_collate([np.array(["x"]), np.array(["y"])])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])


def test_nested_structures_keep_their_shape():
    samples = [
        {
            "image": np.zeros((3, 4, 4), np.float32),
            "label": i,
            "meta": (f"id{i}", [i, 2.0 * i]),
            "p": Point(np.ones(2), i % 2 == 0),
        }
        for i in range(3)
    ]
    out = default_collate(samples)
    assert set(out) == {"image", "label", "meta", "p"}
    assert out["image"].shape == (3, 3, 4, 4)
    assert out["label"].numpy().tolist() == [0, 1, 2]
    names, pair = out["meta"]  # tuples come back as lists, as in PyTorch
    assert isinstance(out["meta"], list) and list(names) == ["id0", "id1", "id2"]
    assert pair[0].dtype == ember.int64 and pair[1].dtype == ember.float64
    assert isinstance(out["p"], Point)
    assert out["p"].xy.shape == (3, 2) and out["p"].tag.dtype == ember.bool
    od = default_collate([collections.OrderedDict(a=1), collections.OrderedDict(a=2)])
    assert isinstance(od, collections.OrderedDict)


def test_matches_torch_structure_and_values():
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as tcollate

    samples = [({"x": np.arange(3.0) + i, "y": [i, i + 1]}, float(i), "s") for i in range(2)]
    ours, theirs = default_collate(samples), tcollate(samples)
    assert type(ours) is type(theirs) and len(ours) == len(theirs)
    np.testing.assert_array_equal(ours[0]["x"].numpy(), theirs[0]["x"].numpy())
    assert [t.numpy().tolist() for t in ours[0]["y"]] == [t.tolist() for t in theirs[0]["y"]]
    assert str(ours[1].dtype).split(".")[-1] == str(theirs[1].dtype).split(".")[-1] == "float64"
    assert ours[2] == theirs[2]
    assert isinstance(theirs[0]["x"], torch.Tensor)


def test_shape_mismatch_names_key_shapes_and_index():
    samples = [{"image": np.zeros((3, 32, 32)), "label": 0} for _ in range(5)]
    samples.append({"image": np.zeros((3, 28, 28)), "label": 1})
    msg = (
        r"default_collate: samples at key 'image' have different shapes: \(3, 32, 32\) at "
        r"index 0 vs \(3, 28, 28\) at index 5"
    )
    with pytest.raises(RuntimeError, match=msg):
        default_collate(samples)
    nested = [(ember.zeros(2), {"m": ember.zeros(3)}), (ember.zeros(2), {"m": ember.zeros(4)})]
    with pytest.raises(
        RuntimeError,
        match=r"at position 1 -> key 'm' .*\(3,\) at index 0 vs "
        r"\(4,\) at index 1",
    ):
        default_collate(nested)
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1, 2, 3]])
    with pytest.raises(KeyError, match="index 1 has no key 'b'"):
        default_collate([{"a": 1, "b": 2}, {"a": 1}])


def test_requires_grad_samples_keep_the_graph():
    a = ember.ones(2, requires_grad=True)
    out = default_collate([a, a * 2])
    out.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 3.0])


def test_default_convert():
    arr = np.arange(4)
    t = default_convert(arr)
    assert isinstance(t, ember.Tensor) and np.shares_memory(t.numpy(), arr)
    out = default_convert({"a": np.ones(2), "b": (np.zeros(1), "s", 3)})
    assert isinstance(out["a"], ember.Tensor)
    assert isinstance(out["b"], list) and out["b"][1:] == ["s", 3]
    assert default_convert(5) == 5 and default_convert("x") == "x"
    p = default_convert(Point(np.zeros(2), 1))
    assert isinstance(p, Point) and isinstance(p.xy, ember.Tensor)
