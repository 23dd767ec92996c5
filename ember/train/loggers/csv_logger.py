"""CSVLogger: metrics.csv plus the hyperparameters as hparams.json (and .yaml with PyYAML)."""

from __future__ import annotations

import csv
import os

from ember.train.loggers.base import Logger, write_hparams_files


class CSVLogger(Logger):
    """One row per logging call in ``<log_dir>/metrics.csv`` (columns: step, epoch, metrics).

    A new metric adds a column; the file is rewritten so every row has every column.
    """

    def __init__(
        self,
        save_dir: str,
        name: str = "ember_logs",
        version=None,
        flush_logs_every_n_steps: int = 100,
    ):
        super().__init__(save_dir, name, version)
        self.flush_logs_every_n_steps = flush_logs_every_n_steps
        self.rows: list[dict] = []
        self._written = 0
        self._columns: list[str] = []

    @property
    def metrics_file_path(self) -> str:
        return os.path.join(self.log_dir, "metrics.csv")

    def log_metrics(self, metrics: dict, step: int) -> None:
        self.rows.append({"step": step, **{k: float(v) for k, v in metrics.items()}})
        if len(self.rows) - self._written >= self.flush_logs_every_n_steps:
            self.save()

    def log_hyperparams(self, params: dict, metrics: dict | None = None) -> None:
        write_hparams_files(self.log_dir, params, metrics)

    def save(self) -> None:
        if self._written == len(self.rows):
            return
        os.makedirs(self.log_dir, exist_ok=True)
        columns = list(self._columns)
        for row in self.rows:
            columns += [k for k in row if k not in columns]
        rewrite = columns != self._columns or self._written == 0
        mode = "w" if rewrite else "a"
        with open(self.metrics_file_path, mode, newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, restval="")
            if rewrite:
                writer.writeheader()
                writer.writerows(self.rows)
            else:
                writer.writerows(self.rows[self._written :])
        self._columns, self._written = columns, len(self.rows)


def read_metrics_csv(path: str) -> list[dict]:
    """Rows of a metrics.csv as dicts of floats (empty cells left out)."""
    with open(path, newline="") as fh:
        return [{k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(fh)]
