"""MNIST / FashionMNIST / CIFAR10 readers on generated official-format files, and download."""

import email.message
import gzip
import hashlib
import io
import os
import struct
import tarfile
import urllib.error
import urllib.request
import urllib.response

import numpy as np
import pytest

import ember.transforms as T
from ember.datasets import CIFAR10, MNIST, FashionMNIST, download_url
from ember.datasets.mnist import read_idx


def _idx_bytes(arr: np.ndarray) -> bytes:
    """IDX encoding: 00 00 08 <ndim>, big-endian int32 dims, uint8 data."""
    return (
        struct.pack(">BBBB", 0, 0, 0x08, arr.ndim)
        + struct.pack(f">{arr.ndim}i", *arr.shape)
        + arr.astype(np.uint8).tobytes()
    )


def _mnist_files(n=5, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    return (
        images,
        labels,
        {
            "train-images-idx3-ubyte.gz": gzip.compress(_idx_bytes(images)),
            "train-labels-idx1-ubyte.gz": gzip.compress(_idx_bytes(labels)),
            "t10k-images-idx3-ubyte.gz": gzip.compress(_idx_bytes(images[:2])),
            "t10k-labels-idx1-ubyte.gz": gzip.compress(_idx_bytes(labels[:2])),
        },
    )


def _write(folder, files):
    os.makedirs(folder, exist_ok=True)
    for name, blob in files.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(blob)


def _md5(blob: bytes) -> str:
    return hashlib.md5(blob).hexdigest()


class _FakeHTTPS(urllib.request.HTTPSHandler, urllib.request.HTTPHandler):
    """Serves bytes from a dict instead of the network; records every URL asked for."""

    def __init__(self, files):
        super().__init__()
        self.files, self.requested = files, []

    def _serve(self, req):
        url = req.get_full_url()
        self.requested.append(url)
        blob = self.files.get(url)
        if blob is None:
            raise urllib.error.URLError("network is unreachable")
        headers = email.message.Message()
        headers["Content-Length"] = str(len(blob))
        response = urllib.response.addinfourl(io.BytesIO(blob), headers, url, 200)
        response.msg = "OK"
        return response

    https_open = http_open = _serve


@pytest.fixture
def serve(monkeypatch):
    def install(files):
        handler = _FakeHTTPS(files)
        monkeypatch.setattr(urllib.request, "_opener", urllib.request.build_opener(handler))
        return handler

    return install


def test_read_idx_header_and_errors(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a.idx").write_bytes(_idx_bytes(arr))
    np.testing.assert_array_equal(read_idx(str(tmp_path / "a.idx")), arr)
    ints = np.array([1, -2, 300], dtype=">i4")
    blob = struct.pack(">BBBBi", 0, 0, 0x0C, 1, 3) + ints.tobytes()
    (tmp_path / "b.idx.gz").write_bytes(gzip.compress(blob))
    np.testing.assert_array_equal(read_idx(str(tmp_path / "b.idx.gz")), [1, -2, 300])
    (tmp_path / "bad.idx").write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(str(tmp_path / "bad.idx"))
    (tmp_path / "short.idx").write_bytes(_idx_bytes(arr)[:-3])
    with pytest.raises(ValueError, match="expected 24"):
        read_idx(str(tmp_path / "short.idx"))


def test_mnist_reads_generated_files(tmp_path):
    images, labels, files = _mnist_files()
    _write(tmp_path / "MNIST" / "raw", files)
    ds = MNIST(str(tmp_path))
    assert len(ds) == 5 and ds.data.shape == (5, 28, 28, 1) and ds.data.dtype == np.uint8
    img, label = ds[3]
    np.testing.assert_array_equal(img[..., 0], images[3])
    assert label == labels[3] and isinstance(label, int)
    assert ds.targets.dtype == np.int64 and len(ds.classes) == 10
    test = MNIST(str(tmp_path), train=False, transform=T.ToTensor(), target_transform=lambda v: -v)
    x, t = test[1]
    assert len(test) == 2 and x.shape == (1, 28, 28) and t == -int(labels[1])


def test_fashion_mnist_uncompressed_and_classes(tmp_path):
    images, labels, files = _mnist_files(seed=1)
    raw = {k[:-3]: gzip.decompress(v) for k, v in files.items()}
    _write(tmp_path / "FashionMNIST" / "raw", raw)
    ds = FashionMNIST(str(tmp_path))
    np.testing.assert_array_equal(ds.data[..., 0], images)
    assert ds.classes[9] == "Ankle boot"


def test_missing_files_error(tmp_path):
    with pytest.raises(RuntimeError, match="download=True"):
        MNIST(str(tmp_path))
    with pytest.raises(RuntimeError, match="download=True"):
        CIFAR10(str(tmp_path))


def test_mnist_download_verifies_md5_and_skips_existing(tmp_path, serve, monkeypatch):
    images, labels, files = _mnist_files()
    monkeypatch.setattr(MNIST, "resources", [(k, _md5(v)) for k, v in files.items()])
    handler = serve({MNIST.mirrors[0] + k: v for k, v in files.items()})
    ds = MNIST(str(tmp_path), download=True)
    assert len(handler.requested) == 4 and handler.requested[0].startswith(
        "https://ossci-datasets.s3.amazonaws.com/mnist/"
    )
    np.testing.assert_array_equal(ds.data[..., 0], images)
    MNIST(str(tmp_path), download=True)  # files exist and verify: no new request
    assert len(handler.requested) == 4
    # a corrupted file is fetched again
    (tmp_path / "MNIST" / "raw" / "train-labels-idx1-ubyte.gz").write_bytes(b"junk")
    MNIST(str(tmp_path), download=True)
    assert len(handler.requested) == 5


def test_download_checksum_mismatch_and_offline(tmp_path, serve):
    url = "https://example.org/data.bin"
    serve({url: b"payload"})
    with pytest.raises(RuntimeError, match="Checksum mismatch"):
        download_url(url, str(tmp_path), md5="0" * 32, progress=False)
    assert os.listdir(tmp_path) == []  # nothing half-written is left behind
    path = download_url(url, str(tmp_path), md5=_md5(b"payload"))
    assert open(path, "rb").read() == b"payload"
    with pytest.raises(RuntimeError, match="place it in .* manually") as err:
        download_url("https://example.org/other.bin", str(tmp_path))
    assert "https://example.org/other.bin" in str(err.value)


def test_mnist_offline_error_names_url(tmp_path, serve):
    serve({})
    with pytest.raises(RuntimeError, match="ossci-datasets.s3.amazonaws.com/mnist/train-images"):
        MNIST(str(tmp_path), download=True)


def _cifar_records(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    chw = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    blob = b"".join(bytes([labels[i]]) + chw[i].tobytes() for i in range(n))
    return labels, chw, blob


def _cifar_archive():
    parts, buf = {}, io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
        for k, name in enumerate(names):
            labels, chw, blob = _cifar_records(2 + k % 2, k)
            parts[name] = (labels, chw)
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return parts, buf.getvalue()


def test_cifar10_reads_binary_records(tmp_path):
    parts, _ = _cifar_archive()
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    for name, (labels, chw) in parts.items():
        blob = b"".join(bytes([labels[i]]) + chw[i].tobytes() for i in range(len(labels)))
        (folder / name).write_bytes(blob)
    train = CIFAR10(str(tmp_path))
    assert len(train) == sum(len(parts[f"data_batch_{i}.bin"][0]) for i in range(1, 6))
    img, label = train[2]  # third record: first of data_batch_2
    labels, chw = parts["data_batch_2.bin"]
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    np.testing.assert_array_equal(img, chw[0].transpose(1, 2, 0))
    assert label == labels[0] and train.classes[0] == "airplane"
    test = CIFAR10(str(tmp_path), train=False)
    np.testing.assert_array_equal(test.targets, parts["test_batch.bin"][0])
    (folder / "test_batch.bin").write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match="3073"):
        CIFAR10(str(tmp_path), train=False)


def test_cifar10_download_extracts_tar_gz(tmp_path, serve, monkeypatch):
    parts, archive = _cifar_archive()
    monkeypatch.setattr(CIFAR10, "tgz_md5", _md5(archive))
    handler = serve({CIFAR10.url: archive})
    ds = CIFAR10(str(tmp_path), train=False, download=True)
    assert handler.requested == ["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"]
    np.testing.assert_array_equal(ds.data, parts["test_batch.bin"][1].transpose(0, 2, 3, 1))
    CIFAR10(str(tmp_path), download=True)  # already extracted: no second request
    assert len(handler.requested) == 1
