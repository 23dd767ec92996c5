"""TensorBoardLogger, its event-file and PNG encoders, and ParameterHistograms, read back with
TensorBoard's own reader (skipped without tensorboard) and Pillow."""

from __future__ import annotations

import io
import json
import os
import struct
import zlib

import numpy as np
import pytest

import ember
from ember.train import Callback, ParameterHistograms, TensorBoardLogger, Trainer
from ember.train.loggers import _event_file as ev
from ember.train.loggers._png import encode_png
from tests.train.conftest import TinyModule, loaders


def _accumulator(log_dir: str):
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    sizes = {
        kind: 0
        for kind in (
            ea_mod.SCALARS,
            ea_mod.HISTOGRAMS,
            ea_mod.IMAGES,
            ea_mod.TENSORS,
            ea_mod.COMPRESSED_HISTOGRAMS,
            ea_mod.AUDIO,
        )
    }
    acc = ea_mod.EventAccumulator(log_dir, size_guidance=sizes)
    return acc.Reload()


def _records(path: str) -> list[bytes]:
    """TFRecord payloads of a file, checking both CRCs with our own crc32c."""
    out = []
    with open(path, "rb") as fh:
        blob = fh.read()
    pos = 0
    while pos < len(blob):
        header = blob[pos : pos + 8]
        (length,) = struct.unpack("<Q", header)
        assert struct.unpack("<I", blob[pos + 8 : pos + 12])[0] == ev.masked_crc32c(header)
        data = blob[pos + 12 : pos + 12 + length]
        assert struct.unpack("<I", blob[pos + 12 + length : pos + 16 + length])[
            0
        ] == ev.masked_crc32c(data)
        out.append(data)
        pos += 16 + length
    return out


# -- encoders ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", 0x00000000),
        (b"a", 0xC1D04330),
        (b"123456789", 0xE3069283),
        (bytes(32), 0x8A9136AA),
        (b"\xff" * 32, 0x62A8AB43),
        (bytes(range(32)), 0x46DD794E),
    ],
)
def test_crc32c_known_vectors(data, expected):
    # RFC 3720 (iSCSI) B.4 test vectors and the classic check value.
    assert ev.crc32c(data) == expected


def test_varint_and_negative_step_encoding():
    pb = pytest.importorskip("tensorboard.compat.proto.event_pb2")
    for step in (0, 1, 127, 128, 300, 2**40, -1, -(2**40)):
        parsed = pb.Event.FromString(ev.event(1.5, step, file_version="x"))
        assert (parsed.step, parsed.wall_time, parsed.file_version) == (step, 1.5, "x")


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 1), (4, 6, 3), (3, 2, 4), (2, 3, 2)])
def test_png_roundtrip_through_pillow(shape):
    image_mod = pytest.importorskip("PIL.Image")
    img = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    decoded = np.asarray(image_mod.open(io.BytesIO(encode_png(img))))
    np.testing.assert_array_equal(decoded, img.squeeze(-1) if shape[-1:] == (1,) else img)


def test_png_structure_without_pillow():
    png = encode_png(np.full((2, 3), 9, dtype=np.uint8))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, color = struct.unpack(">IIBB", png[16:26])
    assert (width, height, depth, color) == (3, 2, 8, 0)
    (idat_len,) = struct.unpack(">I", png[33:37])
    assert zlib.decompress(png[41 : 41 + idat_len]) == bytes([0, 9, 9, 9] * 2)


def test_png_rejects_bad_input():
    with pytest.raises(TypeError, match="uint8"):
        encode_png(np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(ValueError, match=r"\(2, 2, 5\)"):
        encode_png(np.zeros((2, 2, 5), dtype=np.uint8))


def test_event_file_records_have_valid_crcs_and_version_first(tmp_path):
    pb = pytest.importorskip("tensorboard.compat.proto.event_pb2")
    writer = ev.EventFileWriter(str(tmp_path), max_queue=1000)
    writer.add_summary([ev.summary_value("a", simple_value=2.5)], step=3)
    writer.flush()  # flushed records are on disk before close
    records = _records(writer.path)
    writer.close()
    first, second = (pb.Event.FromString(r) for r in records)
    assert first.file_version == "brain.Event:2"
    assert (second.step, second.summary.value[0].tag, second.summary.value[0].simple_value) == (
        3,
        "a",
        2.5,
    )
    assert "tfevents" in os.path.basename(writer.path)


# -- logger --------------------------------------------------------------------------------


class LastGrad(Callback):
    """Copies the gradients the optimizer is about to use."""

    def on_before_optimizer_step(self, trainer, module, optimizer):
        self.grads = {n: p.grad.numpy().copy() for n, p in module.named_parameters()}


@pytest.fixture
def fitted(tmp_path):
    ember.manual_seed(0)
    module = TinyModule(lr=0.05, hidden=8)
    logger = TensorBoardLogger(tmp_path)
    trainer = Trainer(
        max_epochs=2,
        logger=logger,
        callbacks=[ParameterHistograms(), LastGrad()],
        log_every_n_steps=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
    )
    train, val = loaders()
    trainer.fit(module, train, val)
    return module, trainer, logger


def test_fit_scalars_read_back(fitted):
    module, trainer, logger = fitted
    acc = _accumulator(logger.log_dir)
    tags = acc.Tags()["scalars"]
    assert {
        "train_loss_step",
        "train_loss_epoch",
        "val_loss",
        "val_acc",
        "epoch",
        "hp_metric",
    } <= set(tags)
    steps = acc.Scalars("train_loss_step")
    assert [e.step for e in steps] == list(range(1, trainer.global_step + 1))
    np.testing.assert_array_equal([e.value for e in steps], np.float32(module.losses))
    val = acc.Scalars("val_loss")
    assert len(val) == 2 and [e.step for e in val] == [6, 12]
    assert float(trainer.callback_metrics["val_loss"]) == pytest.approx(val[-1].value, rel=1e-6)
    assert [e.value for e in acc.Scalars("hp_metric")] == [-1.0]


def test_fit_histograms_of_weights_and_gradients(fitted):
    module, trainer, logger = fitted
    acc = _accumulator(logger.log_dir)
    names = [n for n, _ in module.named_parameters()]
    tags = set(acc.Tags()["histograms"])
    assert tags == {f"{kind}/{n}" for kind in ("weights", "gradients") for n in names}
    events = acc.Histograms("weights/net.0.weight")
    assert [e.step for e in events] == [6, 12]  # one per epoch, at the global step
    weight = module.net[0].weight.detach().numpy().astype(np.float64)
    last = events[-1].histogram_value
    assert (last.num, last.min, last.max) == (weight.size, weight.min(), weight.max())
    assert last.sum == pytest.approx(weight.sum()) and sum(last.bucket) == weight.size
    assert last.sum_squares == pytest.approx((weight**2).sum())
    grad = acc.Histograms("gradients/net.3.bias")[-1].histogram_value
    recorder = next(c for c in trainer.callbacks if isinstance(c, LastGrad))
    expected = recorder.grads["net.3.bias"].astype(np.float64)  # the last step's gradient
    assert (grad.num, grad.min, grad.max) == (3, expected.min(), expected.max())
    assert grad.sum == pytest.approx(expected.sum(), abs=1e-12)


def test_fit_hparams_plugin_data(fitted):
    plugin_data_pb2 = pytest.importorskip("tensorboard.plugins.hparams.plugin_data_pb2")
    _, _, logger = fitted
    acc = _accumulator(logger.log_dir)
    content = acc.PluginTagToContent("hparams")
    assert set(content) == {
        ev.HPARAMS_EXPERIMENT_TAG,
        ev.HPARAMS_SESSION_START_TAG,
        ev.HPARAMS_SESSION_END_TAG,
    }
    start = plugin_data_pb2.HParamsPluginData.FromString(
        content[ev.HPARAMS_SESSION_START_TAG]
    ).session_start_info
    hp = {k: v.WhichOneof("kind") for k, v in start.hparams.items()}
    assert hp == {
        "lr": "number_value",
        "hidden": "number_value",
        "dropout": "number_value",
        "optimizer": "string_value",
    }
    assert start.hparams["lr"].number_value == 0.05
    assert start.hparams["optimizer"].string_value == "sgd"
    experiment = plugin_data_pb2.HParamsPluginData.FromString(
        content[ev.HPARAMS_EXPERIMENT_TAG]
    ).experiment
    assert [m.name.tag for m in experiment.metric_infos] == ["hp_metric"]
    assert {h.name: h.type for h in experiment.hparam_infos}["optimizer"] == 1  # STRING
    end = plugin_data_pb2.HParamsPluginData.FromString(content[ev.HPARAMS_SESSION_END_TAG])
    assert end.session_end_info.status == 1  # STATUS_SUCCESS
    with open(os.path.join(logger.log_dir, "hparams.json")) as fh:
        assert json.load(fh)["lr"] == 0.05


def test_hparams_kinds_metrics_and_nesting(tmp_path):
    plugin_data_pb2 = pytest.importorskip("tensorboard.plugins.hparams.plugin_data_pb2")
    logger = TensorBoardLogger(tmp_path, version="run")
    logger.log_hyperparams(
        {"flag": True, "n": 3, "opt": {"name": "adam", "betas": (0.9, 0.99)}, "none": None},
        metrics={"best": 0.25},
    )
    logger.finalize("failed")
    acc = _accumulator(logger.log_dir)
    assert acc.Scalars("best")[0].value == 0.25 and "hp_metric" not in acc.Tags()["scalars"]
    content = acc.PluginTagToContent("hparams")
    hp = plugin_data_pb2.HParamsPluginData.FromString(
        content[ev.HPARAMS_SESSION_START_TAG]
    ).session_start_info.hparams
    assert hp["flag"].bool_value is True and hp["n"].number_value == 3
    assert hp["opt/name"].string_value == "adam"
    assert hp["opt/betas"].string_value == "(0.9, 0.99)"
    assert hp["none"].string_value == "None"
    end = plugin_data_pb2.HParamsPluginData.FromString(content[ev.HPARAMS_SESSION_END_TAG])
    assert end.session_end_info.status == 2  # STATUS_FAILURE


def test_image_roundtrip(tmp_path):
    image_mod = pytest.importorskip("PIL.Image")
    logger = TensorBoardLogger(tmp_path)
    rng = np.random.default_rng(1)
    chw = rng.random((3, 5, 7)).astype(np.float32)
    gray = rng.integers(0, 256, (4, 6), dtype=np.uint8)
    logger.log_image("rgb", ember.tensor(chw), step=2)
    logger.log_image("gray", gray, step=3, dataformats="HW")
    logger.log_images("batch", rng.random((5, 1, 3, 4)), step=4)
    logger.finalize("success")
    acc = _accumulator(logger.log_dir)
    rgb = acc.Images("rgb")[0]
    assert (rgb.step, rgb.height, rgb.width) == (2, 5, 7)
    decoded = np.asarray(image_mod.open(io.BytesIO(rgb.encoded_image_string)))
    np.testing.assert_array_equal(decoded, np.rint(chw.transpose(1, 2, 0) * 255))
    decoded = np.asarray(image_mod.open(io.BytesIO(acc.Images("gray")[0].encoded_image_string)))
    np.testing.assert_array_equal(decoded, gray)
    grid = acc.Images("batch")[0]  # 5 images of 3x4, 3 per row, padding 2
    assert (grid.height, grid.width) == (2 * 5 + 2, 3 * 6 + 2)


def test_image_errors(tmp_path):
    logger = TensorBoardLogger(tmp_path)
    with pytest.raises(ValueError, match="dataformats"):
        logger.log_image("x", np.zeros((3, 4, 4)), 0, dataformats="NCHW")
    with pytest.raises(ValueError, match="3-D"):
        logger.log_image("x", np.zeros((4, 4)), 0)
    with pytest.raises(ValueError, match="channels"):
        logger.log_image("x", np.zeros((2, 4, 4)), 0)


def test_text_and_histogram_edge_cases(tmp_path):
    logger = TensorBoardLogger(tmp_path)
    logger.log_text("notes", "hello **ember**", step=5)
    logger.log_histogram("h", np.array([1.0, np.nan, 2.0, np.inf, 2.0]), step=1, bins=4)
    with pytest.raises(ValueError, match="no finite values"):
        logger.log_histogram("empty", np.array([np.nan]), step=1)
    logger.finalize("success")
    acc = _accumulator(logger.log_dir)
    assert acc.PluginTagToContent("text") == {"notes": b""}
    tensor = acc.Tensors("notes")[0]
    assert tensor.step == 5 and tensor.tensor_proto.string_val == [b"hello **ember**"]
    histo = acc.Histograms("h")[0].histogram_value
    assert (histo.num, histo.min, histo.max, histo.sum) == (3, 1.0, 2.0, 5.0)
    assert list(histo.bucket) == [0, 1, 0, 0, 2] and list(histo.bucket_limit)[0] == 1.0


def test_reopens_after_finalize_and_versions(tmp_path):
    first = TensorBoardLogger(tmp_path)
    first.log_metrics({"a": 1.0}, step=0)
    first.finalize("success")
    first.log_metrics({"a": 2.0}, step=1)  # e.g. trainer.test() after fit(): a new file
    first.finalize("success")
    files = [f for f in os.listdir(first.log_dir) if "tfevents" in f]
    assert len(files) == 2 and first.version == 0
    assert [e.value for e in _accumulator(first.log_dir).Scalars("a")] == [1.0, 2.0]
    assert TensorBoardLogger(tmp_path).version == 1


def test_parameter_histograms_every_n_epochs_without_gradients(tmp_path):
    logger = TensorBoardLogger(tmp_path)
    trainer = Trainer(
        max_epochs=3,
        logger=logger,
        callbacks=[ParameterHistograms(every_n_epochs=2, gradients=False)],
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        limit_train_batches=2,
        limit_val_batches=0,
    )
    trainer.fit(TinyModule(), *loaders())
    acc = _accumulator(logger.log_dir)
    assert all(t.startswith("weights/") for t in acc.Tags()["histograms"])
    assert [e.step for e in acc.Histograms("weights/net.0.bias")] == [4]
    with pytest.raises(ValueError, match="every_n_epochs"):
        ParameterHistograms(every_n_epochs=0)
