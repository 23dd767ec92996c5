"""Loggers of the Trainer: CSV always; TensorBoard event files without TensorBoard itself."""

from ember.train.loggers.base import Logger
from ember.train.loggers.csv_logger import CSVLogger, read_metrics_csv
from ember.train.loggers.tensorboard import TensorBoardLogger

__all__ = ["CSVLogger", "Logger", "TensorBoardLogger", "read_metrics_csv"]
