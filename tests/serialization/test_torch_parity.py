"""torch.save -> ember.load gives the same tensors and model outputs (torch is the oracle)."""

import io
import pickle

import numpy as np
import pytest

import ember
from ember import nn

torch = pytest.importorskip("torch")


def torch_model():
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 4 * 4, 5),
    )


def ember_model():
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 5),
    )


def torch_saved(obj) -> io.BytesIO:
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return buf


def test_conv_model_state_dict_gives_the_same_outputs():
    torch.manual_seed(0)
    tm = torch_model()
    tm.train()
    tm(torch.randn(8, 3, 8, 8))  # running statistics away from their defaults
    tm.eval()
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        expected = tm(x).numpy()
    sd = ember.load(torch_saved(tm.state_dict()))
    assert list(sd) == list(tm.state_dict())
    em = ember_model()
    em.load_state_dict(sd)
    em.eval()
    with ember.no_grad():
        out = em(ember.tensor(x.numpy())).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_views_shared_storages_parameters_and_dtypes_match_torch():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    lin = torch.nn.Linear(3, 2)
    obj = {
        "base": base,
        "row": base[1],
        "cols": base[:, 1::2],  # non-contiguous view of the same storage
        "t": base.t(),
        "offset": base.reshape(-1)[7:15],
        "expanded": torch.ones(3).expand(4, 3),
        "param": lin.weight,  # a Parameter: loads as a plain tensor
        "ints": {0: torch.tensor([1, 2], dtype=torch.int64), 1: torch.tensor(7, dtype=torch.int8)},
        "half": torch.randn(3).half(),
        "double": torch.randn(2, 2, dtype=torch.float64),
        "mask": torch.tensor([True, False]),
        "meta": (torch.float16, torch.Size([2, 3]), "text", 1.5, None),
    }
    back = ember.load(torch_saved(obj))
    for key in ("base", "row", "cols", "t", "offset", "expanded", "half", "double", "mask"):
        np.testing.assert_array_equal(back[key].numpy(), obj[key].numpy())
        assert back[key].dtype.name == str(obj[key].dtype).removeprefix("torch.")
    assert back["cols"].stride() == obj["cols"].stride()
    assert type(back["param"]) is ember.Tensor and not back["param"].requires_grad
    np.testing.assert_array_equal(back["param"].numpy(), lin.weight.detach().numpy())
    assert list(back["ints"]) == [0, 1] and back["ints"][1].dtype == ember.int8
    assert back["meta"] == (ember.float16, ember.Size([2, 3]), "text", 1.5, None)


def test_ember_checkpoint_is_readable_by_safetensors_torch(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    em = ember_model()
    path = tmp_path / "model.ckpt"
    ember.save(em.state_dict(), path)
    loaded = safetensors_torch.load_file(str(path))
    tm = torch_model()
    tm.load_state_dict(loaded)
    tm.eval()
    em.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    with torch.no_grad():
        expected = tm(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        np.testing.assert_allclose(em(ember.tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-5)


def test_torch_pickled_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            import os

            return (os.system, (f"touch {marker}",))

    buf = torch_saved({"w": torch.ones(2), "evil": Evil()})
    with pytest.raises(pickle.UnpicklingError, match="refusing to load global"):
        ember.load(buf)
    assert not marker.exists()
