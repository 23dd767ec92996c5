"""TensorBoardLogger: real TensorBoard event files, written without TensorBoard or protobuf."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

import numpy as np

from ember.train.loggers import _event_file as ev
from ember.train.loggers._png import encode_png
from ember.train.loggers.base import Logger, write_hparams_files

_DATAFORMATS = ("CHW", "HWC", "HW")


def _array(value) -> np.ndarray:
    """NumPy view of an ember (or any) tensor or array-like, detached from autograd."""
    if hasattr(value, "detach"):
        value = value.detach()
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def _scalar(value) -> float:
    return float(value.item()) if hasattr(value, "item") else float(value)


def _flatten(params: Mapping, prefix: str = "") -> dict:
    """Nested dicts become ``"outer/inner"`` keys, as TensorBoard shows hparams flat."""
    out = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, name + "/"))
        else:
            out[name] = value
    return out


def _hparam(value):
    """A string, bool or number, the value kinds the hparams plugin stores."""
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.number)):
        return value.item() if isinstance(value, np.number) else value
    if hasattr(value, "numel") and value.numel() == 1:
        return value.item()
    return str(value)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    """uint8 stays; floats (and bools) in [0, 1] are scaled to 0..255 and clipped."""
    if image.dtype == np.uint8:
        return image
    return np.clip(np.rint(image.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)


def _to_hwc(image: np.ndarray, dataformats: str, where: str) -> np.ndarray:
    if dataformats not in _DATAFORMATS:
        raise ValueError(f"{where}: dataformats must be one of {_DATAFORMATS}, got {dataformats!r}")
    if image.ndim != len(dataformats):
        raise ValueError(
            f"{where}: dataformats {dataformats!r} expects a {len(dataformats)}-D "
            f"image, got shape {tuple(image.shape)}"
        )
    if dataformats == "HW":
        return image[:, :, None]
    return image.transpose(1, 2, 0) if dataformats == "CHW" else image


def _grid(images: np.ndarray, padding: int = 2) -> np.ndarray:
    """Tile (N, H, W, C) images row-major into one image, ``ceil(sqrt(N))`` per row."""
    n, h, w, c = images.shape
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid = np.zeros(
        (rows * (h + padding) + padding, cols * (w + padding) + padding, c), dtype=images.dtype
    )
    for i in range(n):  # one slice assignment per image, not per pixel
        top, left = padding + (i // cols) * (h + padding), padding + (i % cols) * (w + padding)
        grid[top : top + h, left : left + w] = images[i]
    return grid


class TensorBoardLogger(Logger):
    """Event files in ``<save_dir>/<name>/version_<N>/`` that ``tensorboard --logdir`` reads.

    Scalars, histograms, images, text and the hparams plugin's data are encoded by
    :mod:`ember.train.loggers._event_file`; TensorBoard is needed only to view them.

    Args:
        save_dir: root folder of the logs.
        name: experiment folder under ``save_dir``.
        version: run folder (int -> ``version_<N>``, str used as is); None: next free one.
        default_hp_metric: log ``hp_metric = -1`` with the hparams when no metrics are given,
            so TensorBoard's HPARAMS tab lists the run.
        flush_secs: flush the event file at least this often (seconds).
        max_queue: flush after this many events.
    """

    def __init__(
        self,
        save_dir: str,
        name: str = "ember_logs",
        version: int | str | None = None,
        default_hp_metric: bool = True,
        flush_secs: float = 120.0,
        max_queue: int = 10,
    ):
        super().__init__(save_dir, name, version)
        self.default_hp_metric = default_hp_metric
        self.flush_secs, self.max_queue = flush_secs, max_queue
        self._writer: ev.EventFileWriter | None = None
        self._session_open = False

    @property
    def experiment(self) -> ev.EventFileWriter:
        """The event-file writer; a new file is opened after :meth:`finalize` closed one."""
        if self._writer is None or self._writer.closed:
            self._writer = ev.EventFileWriter(self.log_dir, self.flush_secs, self.max_queue)
        return self._writer

    def log_metrics(self, metrics: dict, step: int) -> None:
        """One scalar per key (nested dicts become ``outer/inner`` tags), all at ``step``."""
        values = [
            ev.summary_value(tag, simple_value=_scalar(v)) for tag, v in _flatten(metrics).items()
        ]
        if values:
            self.experiment.add_summary(values, step)

    def log_hyperparams(self, params: dict, metrics: dict | None = None) -> None:
        """Write ``params`` for the HPARAMS tab (and hparams.json/.yaml in ``log_dir``).

        Args:
            params: hyperparameters; nested dicts are flattened, values other than str,
                bool and numbers are stored as their ``str``.
            metrics: scalars to show next to them (logged at step 0); None with
                ``default_hp_metric`` logs ``hp_metric = -1``.
        """
        hparams = {k: _hparam(v) for k, v in _flatten(dict(params)).items()}
        write_hparams_files(self.log_dir, hparams, metrics)  # the same files as CSVLogger
        if metrics is None and self.default_hp_metric:
            metrics = {"hp_metric": -1}
        if metrics:
            self.log_metrics(metrics, 0)
        now = time.time()
        experiment = ev.hparams_experiment(hparams, _flatten(metrics or {}).keys())
        start = ev.hparams_session_start(hparams, now)
        self.experiment.add_summary(
            [
                ev.summary_value(ev.HPARAMS_EXPERIMENT_TAG, metadata=experiment),
                ev.summary_value(ev.HPARAMS_SESSION_START_TAG, metadata=start),
            ],
            step=0,
            wall_time=now,
        )
        self._session_open = True

    def log_histogram(self, tag: str, values, step: int, bins: int | str = 64) -> None:
        """Histogram of the finite entries of ``values`` (any shape).

        Args:
            bins: number of equal-width buckets, or a NumPy ``histogram_bin_edges`` rule.

        Raises:
            ValueError: when ``values`` has no finite entry.
        """
        data = _array(values).astype(np.float64).ravel()
        data = data[np.isfinite(data)]
        if data.size == 0:
            raise ValueError(f"TensorBoardLogger.log_histogram: {tag!r} has no finite values")
        counts, edges = np.histogram(data, bins=bins)
        # bucket i holds (limit[i-1], limit[i]]: a leading empty bucket ends at the left edge.
        histo = ev.histogram(
            float(data.min()),
            float(data.max()),
            float(data.size),
            float(data.sum()),
            float(np.dot(data, data)),
            edges,
            np.concatenate([[0.0], counts]),
        )
        self.experiment.add_summary([ev.summary_value(tag, histo=histo)], step)

    def log_image(self, tag: str, image, step: int, dataformats: str = "CHW") -> None:
        """One image: uint8, or float in [0, 1] (clipped).

        Args:
            image: array or tensor of shape (C, H, W), (H, W, C) or (H, W) per
                ``dataformats``, with C in 1 (grey), 3 (RGB) or 4 (RGBA).
        """
        where = "TensorBoardLogger.log_image"
        self._write_image(tag, _to_hwc(_array(image), dataformats, where), step, where)

    def log_images(self, tag: str, images, step: int, dataformats: str = "NCHW") -> None:
        """A batch shown as one grid image.

        Args:
            images: array or tensor of shape (N, C, H, W), (N, H, W, C) or (N, H, W).
            dataformats: ``"NCHW"``, ``"NHWC"`` or ``"NHW"``.
        """
        where = "TensorBoardLogger.log_images"
        batch = _array(images)
        if not dataformats.startswith("N") or batch.ndim < 1 or len(batch) == 0:
            raise ValueError(
                f"{where}: expected a non-empty batch with dataformats starting "
                f"with 'N', got shape {tuple(batch.shape)} and {dataformats!r}"
            )
        hwc = np.stack([_to_hwc(img, dataformats[1:], where) for img in batch])
        self._write_image(tag, _grid(_to_uint8(hwc)), step, where)

    def _write_image(self, tag: str, hwc: np.ndarray, step: int, where: str) -> None:
        height, width, channels = hwc.shape
        if channels not in (1, 3, 4):
            raise ValueError(
                f"{where}: expected 1, 3 or 4 channels, got image of shape "
                f"(H, W, C) = {tuple(hwc.shape)}"
            )
        png = encode_png(_to_uint8(hwc))
        image = ev.image(height, width, channels, png)
        self.experiment.add_summary([ev.summary_value(tag, image=image)], step)

    def log_text(self, tag: str, text: str, step: int) -> None:
        """Markdown text for the TEXT tab (a string tensor of the ``text`` plugin)."""
        value = ev.summary_value(
            tag, tensor=ev.string_tensor([str(text)]), metadata=ev.summary_metadata("text")
        )
        self.experiment.add_summary([value], step)

    def save(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def finalize(self, status: str) -> None:
        """Record how the hparams session ended ("success", "failed", "interrupted") and
        close the event file."""
        if self._session_open:
            end = ev.hparams_session_end(status, time.time())
            self.experiment.add_summary(
                [ev.summary_value(ev.HPARAMS_SESSION_END_TAG, metadata=end)], step=0
            )
            self._session_open = False
        if self._writer is not None:
            self._writer.close()
