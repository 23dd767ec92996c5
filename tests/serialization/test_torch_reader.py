"""Reading torch.save archives without torch, and refusing malicious pickles."""

import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import ember
from ember import nn
from ember.serialization import CorruptCheckpointError, RestrictedUnpickler

FIXTURE = Path(__file__).parent.parent / "fixtures" / "torch_state_dict.pt"


# -- hand-written protocol-2 pickles: exactly the opcodes torch emits ---------------------------
def g(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def s(text: str) -> bytes:
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def i(n: int) -> bytes:
    if -(2**31) <= n < 2**31:
        return b"J" + struct.pack("<i", n)
    raw = n.to_bytes(9, "little", signed=True)
    return b"\x8a" + bytes([len(raw)]) + raw  # LONG1


def tup(*items: bytes) -> bytes:
    return b"(" + b"".join(items) + b"t"


def call(fn: bytes, *args: bytes) -> bytes:
    return fn + tup(*args) + b"R"


def tensor(key: str, storage: str, numel: int, offset: int, size, stride, location="cpu"):
    record = tup(s("storage"), g("torch", storage), s(key), s(location), i(numel)) + b"Q"
    return call(
        g("torch._utils", "_rebuild_tensor_v2"),
        record,
        i(offset),
        tup(*map(i, size)),
        tup(*map(i, stride)),
        b"\x89",
        call(g("collections", "OrderedDict")),
    )


def dict_of(**entries: bytes) -> bytes:
    return b"}(" + b"".join(s(k) + v for k, v in entries.items()) + b"u."


def torch_zip(pkl: bytes, storages: dict, byteorder: str = "little") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("archive/data.pkl", pkl)
        zf.writestr("archive/byteorder", byteorder)
        for key, raw in storages.items():
            zf.writestr(f"archive/data/{key}", raw)
        zf.writestr("archive/version", "3\n")
    return buf.getvalue()


def load_bytes(raw: bytes, **kwargs):
    return ember.load(io.BytesIO(raw), **kwargs)


# -- malicious pickles ------------------------------------------------------------------------
class Evil:
    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return (self.fn, (self.arg,))


def evil_payloads(marker: Path) -> list:
    shell = f"touch {marker}"
    code = f"open({str(marker)!r}, 'w').close()"
    payloads = [pickle.dumps(Evil(os.system, shell), protocol=p) for p in (0, 2, 4, 5)]
    payloads.append(pickle.dumps(Evil(eval, code), protocol=2))
    payloads.append(pickle.dumps({"sd": OrderedDict(w=1), "x": [Evil(exec, code)]}, protocol=2))
    payloads.append(
        call(g("builtins", "getattr"), call(g("builtins", "__import__"), s("os")), s("system"))
        + b"."
    )
    return payloads


def test_malicious_pickles_are_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    for payload in evil_payloads(marker):
        with pytest.raises(pickle.UnpicklingError, match="refusing to load global"):
            load_bytes(torch_zip(payload, {}))
        with pytest.raises(pickle.UnpicklingError, match="refusing to load global"):
            RestrictedUnpickler(io.BytesIO(payload)).load()
        with pytest.raises((pickle.UnpicklingError, CorruptCheckpointError)):
            load_bytes(payload)  # a raw pickle file is never unpickled
    assert not marker.exists()


def test_refused_global_is_named():
    payload = pickle.dumps(Evil(os.system, "true"), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match=r"global (posix|nt|os)\.system"):
        load_bytes(torch_zip(payload, {}))


def test_build_and_rebuild_from_type_cannot_reach_other_callables():
    od = call(g("collections", "OrderedDict"))
    ok = od + b"}" + s("_metadata") + b"}s" + b"b."  # torch's state_dict._metadata
    assert load_bytes(torch_zip(ok, {}))._metadata == {}
    for bad in (
        od + b"N}" + b"\x86" + b"b.",  # (dict, slotstate) BUILD: setattr-style state
        call(g("builtins", "set")) + b"}" + s("x") + i(1) + b"sb.",  # BUILD on a non-OrderedDict
        call(
            g("torch._tensor", "_rebuild_from_type_v2"),
            g("collections", "OrderedDict"),
            g("torch", "Tensor"),
            b")",
            b"}",
        )
        + b".",
    ):
        with pytest.raises(pickle.UnpicklingError, match="refus"):
            load_bytes(torch_zip(bad, {}))


# -- crafted archives -------------------------------------------------------------------------
STORAGE = np.arange(12, dtype="<f4")


def test_views_offsets_strides_and_shared_storage():
    pkl = dict_of(
        full=tensor("0", "FloatStorage", 12, 0, (3, 4), (4, 1)),
        cols=tensor("0", "FloatStorage", 12, 1, (3, 2), (4, 2)),
        tail=tensor("0", "FloatStorage", 12, 10, (2,), (1,)),
        bcast=tensor("0", "FloatStorage", 12, 5, (2, 3), (0, 1)),
        empty=tensor("0", "FloatStorage", 12, 0, (0, 5), (5, 1)),
    )
    back = load_bytes(torch_zip(pkl, {"0": STORAGE.tobytes()}))
    ref = STORAGE.reshape(3, 4)
    np.testing.assert_array_equal(back["full"].numpy(), ref)
    np.testing.assert_array_equal(back["cols"].numpy(), ref[:, 1::2])
    np.testing.assert_array_equal(back["tail"].numpy(), [10, 11])
    np.testing.assert_array_equal(back["bcast"].numpy(), [[5, 6, 7]] * 2)
    assert back["empty"].shape == (0, 5)
    back["full"].mul_(2)  # views share their storage, as in torch
    np.testing.assert_array_equal(back["tail"].numpy(), [20, 22])
    with pytest.raises(RuntimeError, match="single memory location"):
        back["bcast"].add_(1)  # a broadcast view cannot be written through, as in torch
    huge = dict_of(t=tensor("0", "FloatStorage", 12, 0, (2**40, 2**20), (0, 0)))
    big = load_bytes(torch_zip(huge, {"0": STORAGE.tobytes()}))["t"]  # no allocation
    assert big.shape == (2**40, 2**20) and big[123, 456].item() == 0.0


def test_big_endian_archives_are_converted():
    pkl = dict_of(t=tensor("0", "LongStorage", 3, 0, (3,), (1,)))
    raw = np.array([1, -2, 3], dtype=">i8").tobytes()
    back = load_bytes(torch_zip(pkl, {"0": raw}, byteorder="big"))
    assert back["t"].dtype == ember.int64
    np.testing.assert_array_equal(back["t"].numpy(), [1, -2, 3])


@pytest.mark.parametrize(
    ("pkl", "storages", "message"),
    [
        (
            dict_of(t=tensor("0", "FloatStorage", 12, 10, (3,), (1,))),
            {"0": STORAGE.tobytes()},
            "reaches element 12",
        ),
        (
            dict_of(t=tensor("0", "FloatStorage", 2**40, 0, (2,), (1,))),
            {"0": STORAGE.tobytes()},
            "expected 4398046511104 bytes, got 48",
        ),
        (
            dict_of(t=tensor("1", "FloatStorage", 12, 0, (2,), (1,))),
            {"0": STORAGE.tobytes()},
            "missing storage",
        ),
    ],
)
def test_crafted_storage_records_are_rejected(pkl, storages, message):
    with pytest.raises(CorruptCheckpointError, match=message):
        load_bytes(torch_zip(pkl, storages))


def test_negative_sizes_and_unsupported_dtypes_are_rejected():
    bad = dict_of(t=tensor("0", "FloatStorage", 12, 0, (-1,), (1,)))
    with pytest.raises(pickle.UnpicklingError, match="non-negative"):
        load_bytes(torch_zip(bad, {"0": STORAGE.tobytes()}))
    bf16 = dict_of(t=tensor("0", "BFloat16Storage", 2, 0, (2,), (1,)))
    with pytest.raises(TypeError, match="BFloat16Storage has no ember dtype"):
        load_bytes(torch_zip(bf16, {"0": b"\0" * 4}))


def test_cuda_locations_need_map_location():
    pkl = dict_of(t=tensor("0", "FloatStorage", 12, 0, (12,), (1,), location="cuda:0"))
    raw = torch_zip(pkl, {"0": STORAGE.tobytes()})
    with pytest.raises(RuntimeError, match="map_location='cpu'"):
        load_bytes(raw)
    for spec in ("cpu", {"cuda:0": "cpu"}, lambda storage, loc: storage):
        np.testing.assert_array_equal(load_bytes(raw, map_location=spec)["t"].numpy(), STORAGE)


def test_damaged_archives_are_corrupt():
    raw = bytearray(
        torch_zip(
            dict_of(t=tensor("0", "FloatStorage", 12, 0, (12,), (1,))), {"0": STORAGE.tobytes()}
        )
    )
    pos = raw.index(STORAGE.tobytes())
    raw[pos + 5] ^= 0x10
    with pytest.raises(CorruptCheckpointError, match="CRC-32 mismatch"):
        load_bytes(bytes(raw))
    with pytest.raises(CorruptCheckpointError):
        load_bytes(bytes(raw[: len(raw) // 2]))
    raw[pos + 5] ^= 0x10
    raw[raw.index(b"_rebuild_tensor_v2") + 3] ^= 0x01  # inside data.pkl
    with pytest.raises(CorruptCheckpointError, match="damaged zip"):
        load_bytes(bytes(raw))


@pytest.mark.parametrize("pkl", [b"R.", b"h\x05.", b"(t", b"}(" + s("k") + b"u.", b"\x8a\x09"])
def test_malformed_pickles_give_unpickling_errors(pkl):
    with pytest.raises(pickle.UnpicklingError):
        load_bytes(torch_zip(pkl, {}))


# -- the committed fixture, loaded without torch ---------------------------------------------
def test_committed_fixture_loads_into_an_ember_model():
    ckpt = ember.load(FIXTURE)
    sd = ckpt["state_dict"]
    assert type(sd) is OrderedDict
    assert sd["1.num_batches_tracked"].dtype == ember.int64
    assert sd["1.num_batches_tracked"].item() == 3
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    model.load_state_dict(sd)
    model.eval()
    with ember.no_grad():
        out = model(ckpt["input"])
    np.testing.assert_allclose(out.numpy(), ckpt["expected"].numpy(), rtol=1e-5, atol=1e-6)
