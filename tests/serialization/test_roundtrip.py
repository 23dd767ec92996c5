"""ember.save / ember.load round trips of everything people checkpoint."""

import io
import math
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import nn


def roundtrip(obj, tmp_path=None):
    if tmp_path is None:
        buf = io.BytesIO()
        ember.save(obj, buf)
        buf.seek(0)
        return ember.load(buf)
    path = tmp_path / "ckpt.ember"
    ember.save(obj, path)
    return ember.load(path)


def assert_same(a, b):
    """Deep equality that also checks container types, dtypes, shapes and nan positions."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, ember.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert not b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.numpy())
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b)
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert type(k) is type(next(kb for kb in b if kb == k))
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def test_every_supported_type_round_trips(tmp_path):
    g = ember.Generator().manual_seed(0)
    obj = {
        "f32": ember.randn(3, 4, generator=g),
        "f64": ember.randn(2, dtype=ember.float64, generator=g),
        "f16": ember.randn(5, generator=g).half(),
        "ints": [
            ember.arange(6, dtype=d).reshape(2, 3)
            for d in (ember.int64, ember.int32, ember.int16, ember.int8, ember.uint8)
        ],
        "bool": ember.tensor([True, False, True]),
        "empty": ember.zeros(0, 3),
        "scalar": ember.tensor(2.5),
        "noncontig": ember.randn(4, 5, generator=g).t(),
        "strided": ember.arange(20).reshape(4, 5)[::2, 1::2],
        "numpy": np.arange(12, dtype=np.uint16).reshape(3, 4),
        "numpy_be": np.arange(3, dtype=">f4"),
        "np_scalars": (np.float64(1.5), np.int32(-3), np.bool_(True)),
        "numbers": [0, -7, 2**70, 1.0, -0.0, 1e-310, math.inf, -math.inf, math.nan, True, False],
        "text": ["", "héllo ✓", "$tensor"],
        "none": None,
        "nested": (1, (2, (3, [4, {"deep": (5.5,)}]))),
        "keys": {
            0: "int",
            1.5: "float",
            True: "bool",
            None: "none",
            (1, "a"): "tuple",
            "$dict": "tag-like",
        },
        "ember_things": [ember.float16, ember.device("cpu"), ember.Size([2, 3])],
    }
    for path in (None, tmp_path):
        back = roundtrip(obj, path)
        expected = dict(obj)
        expected["numpy_be"] = obj["numpy_be"].astype("<f4")  # stored little-endian
        assert_same(expected, back)
        assert back["noncontig"].is_contiguous()


def test_state_dict_is_an_ordered_dict_and_loads_into_a_model():
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    model.train()
    model(ember.randn(16, 4))  # non-trivial running stats and num_batches_tracked
    sd = model.state_dict()
    back = roundtrip(sd)
    assert type(back) is OrderedDict and list(back) == list(sd)
    assert back._metadata == sd._metadata and back._metadata["1"] == {"version": 2}
    assert back["1.num_batches_tracked"].dtype == ember.int64
    fresh = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    fresh.load_state_dict(back)
    model.eval()
    fresh.eval()
    x = ember.randn(5, 4)
    np.testing.assert_array_equal(model(x).detach().numpy(), fresh(x).detach().numpy())


def test_parameters_come_back_as_plain_tensors_without_grad():
    p = nn.Parameter(ember.randn(3))
    back = roundtrip({"p": p})["p"]
    assert type(back) is ember.Tensor and not back.requires_grad
    np.testing.assert_array_equal(back.numpy(), p.detach().numpy())


def test_optimizer_like_state_keeps_int_keys_and_shared_tensors():
    m = ember.randn(3)
    state = {
        "state": {
            0: {"step": ember.tensor(4.0), "exp_avg": m, "exp_avg_sq": m * m},
            1: {"momentum_buffer": None},
        },
        "param_groups": [
            {
                "lr": 1e-3,
                "betas": (0.9, 0.999),
                "params": [0, 1],
                "weight_decay": 0.0,
                "amsgrad": False,
            }
        ],
        "scheduler": {"last_epoch": 7, "_last_lr": [1e-3]},
        "epoch": 3,
        "metrics": {"val_loss": 0.25, "best": math.inf},
        "alias": m,  # the same tensor twice: stored once, one object after loading
    }
    back = roundtrip(state)
    assert_same(state, back)
    assert list(back["state"]) == [0, 1] and all(type(k) is int for k in back["state"])
    assert back["alias"] is back["state"][0]["exp_avg"]


def test_real_optimizer_state_dict_round_trip():
    model = nn.Linear(3, 2)
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    model(ember.randn(4, 3)).sum().backward()
    opt.step()
    sd = opt.state_dict()
    back = roundtrip(sd)
    assert_same(sd, back)
    opt2 = ember.optim.Adam(nn.Linear(3, 2).parameters(), lr=0.5)
    opt2.load_state_dict(back)
    assert opt2.param_groups[0]["lr"] == 0.01


def test_loaded_tensors_are_writable_and_independent_of_the_file(tmp_path):
    t = ember.arange(4, dtype=ember.float32)
    back = roundtrip({"t": t}, tmp_path)["t"]
    back.add_(1)
    np.testing.assert_array_equal(back.numpy(), [1, 2, 3, 4])
    np.testing.assert_array_equal(t.numpy(), [0, 1, 2, 3])


def test_top_level_tensor_and_scalars():
    assert_same(ember.ones(2, 2), roundtrip(ember.ones(2, 2)))
    for value in (3, 2.5, "s", None, [], {}, ()):
        assert_same(value, roundtrip(value))


class Foo:
    pass


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"model": {"x": Foo()}}, "cannot save object of type Foo at obj['model']['x']"),
        ([1, (2, len)], "type builtin_function_or_method at obj[1][1]"),
        ({"a": {1, 2}}, "type set at obj['a']"),
        ({Foo(): 1}, "dict key of type Foo"),
        ({"z": np.array([1 + 2j])}, "NumPy array of dtype complex128 at obj['z']"),
        ({"o": np.array([None])}, "NumPy array of dtype object at obj['o']"),
    ],
)
def test_unsupported_values_raise_type_error_naming_the_path(tmp_path, obj, message):
    target = tmp_path / "ckpt"
    with pytest.raises(TypeError) as info:
        ember.save(obj, target)
    assert message in str(info.value)
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary file left


def test_cycles_and_excessive_nesting_are_refused():
    cyc = []
    cyc.append(cyc)
    with pytest.raises(ValueError, match="reference cycle"):
        ember.save(cyc, io.BytesIO())
    deep = []
    for _ in range(300):
        deep = [deep]
    with pytest.raises(ValueError, match="nesting deeper"):
        ember.save(deep, io.BytesIO())


def test_map_location_forms():
    buf = io.BytesIO()
    ember.save({"t": ember.ones(2)}, buf)
    seen = []

    def fn(t, location):
        seen.append(location)
        return t

    for spec in (None, "cpu", ember.device("cpu"), {"cuda:0": "cpu"}, fn):
        buf.seek(0)
        np.testing.assert_array_equal(ember.load(buf, map_location=spec)["t"].numpy(), [1, 1])
    assert seen == ["cpu"]
    for spec in ("cuda", ember.device("cuda:0"), {"cpu": "cuda:1"}, lambda t, loc: t.cuda()):
        buf.seek(0)
        with pytest.raises(RuntimeError, match="cuda"):
            ember.load(buf, map_location=spec)
    with pytest.raises(TypeError, match="map_location"):
        ember.load(buf, map_location=3)
    buf.seek(0)
    assert ember.load(buf, weights_only=False)["t"].shape == (2,)


def test_ember_file_is_a_valid_safetensors_file(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    sd = OrderedDict(
        [("fc.weight", ember.randn(3, 2)), ("fc.bias", ember.zeros(3)), ("steps", ember.tensor(5))]
    )
    path = tmp_path / "model.safetensors"
    ember.save(sd, path)
    plain = safetensors_numpy.load_file(str(path))
    assert set(plain) == set(sd)
    for k, v in sd.items():
        np.testing.assert_array_equal(plain[k], v.numpy())


def test_reads_plain_safetensors_and_npz(tmp_path):
    arrays = {"b": np.arange(6, dtype=np.int32).reshape(2, 3), "a": np.ones(3, np.float16)}
    np.savez(tmp_path / "w.npz", **arrays)
    np.savez_compressed(tmp_path / "c.npz", **arrays)
    np.save(tmp_path / "one.npy", arrays["b"])
    files = [tmp_path / "w.npz", tmp_path / "c.npz"]
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    safetensors_numpy.save_file(arrays, str(tmp_path / "w.bin"))  # extension is irrelevant
    files.append(tmp_path / "w.bin")
    for path in files:
        back = ember.load(path)
        assert type(back) is dict and set(back) == set(arrays)
        for k, v in arrays.items():
            assert isinstance(back[k], ember.Tensor) and back[k].dtype.np == v.dtype
            np.testing.assert_array_equal(back[k].numpy(), v)
    one = ember.load(tmp_path / "one.npy")
    assert isinstance(one, ember.Tensor) and one.shape == (2, 3)


def test_npz_with_object_arrays_is_refused(tmp_path):
    np.savez(tmp_path / "o.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        ember.load(tmp_path / "o.npz")


def test_bad_arguments():
    with pytest.raises(TypeError, match="path or a binary file"):
        ember.save({}, 3)
    with pytest.raises(TypeError, match="path or a binary file"):
        ember.load(3)
    with pytest.raises(TypeError, match="weights_only"):
        ember.load(io.BytesIO(), weights_only="yes")


@pytest.mark.parametrize("to_path", [False, True])
def test_threaded_hash_and_header_rewrite_give_the_same_file(tmp_path, monkeypatch, to_path):
    from ember.serialization import checkpoint

    big = ember.randn(checkpoint.HASH_PIECE_BYTES // 4 + 1000)  # two hash pieces
    obj = {"a": big, "b": [ember.arange(1000), np.ones(77, np.float16)], "c": big[:5]}
    serial = io.BytesIO()
    ember.save(obj, serial)  # below the threshold: hashed first, header written once
    monkeypatch.setattr(checkpoint, "_PARALLEL_HASH_BYTES", 0)
    assert_same(obj, roundtrip(obj, tmp_path if to_path else None))
    threaded = io.BytesIO(b"prefix")
    threaded.seek(0, io.SEEK_END)
    ember.save(obj, threaded)  # pool-hashed while written; header rewritten at offset 6
    assert threaded.tell() == len(threaded.getvalue())
    assert threaded.getvalue()[6:] == serial.getvalue()
    threaded.seek(6)
    assert_same(obj, ember.load(threaded))


class WriteOnly:
    """A minimal stream: write() only, no seek/tell (a socket or pipe wrapper)."""

    def __init__(self):
        self.chunks = []

    def write(self, data):
        self.chunks.append(bytes(data))
        return len(data)


class ReadOnly:
    def __init__(self, raw: bytes):
        self._buf = io.BytesIO(raw)

    def read(self, n=-1):
        return self._buf.read(n)


def test_minimal_streams_without_seek(monkeypatch):
    from ember.serialization import checkpoint

    monkeypatch.setattr(checkpoint, "_PARALLEL_HASH_BYTES", 0)  # would rewrite if it could seek
    obj = {"w": ember.randn(10), "e": 1}
    out = WriteOnly()
    ember.save(obj, out)
    assert_same(obj, ember.load(ReadOnly(b"".join(out.chunks))))
