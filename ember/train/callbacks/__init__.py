"""Built-in callbacks of the Trainer, one per file."""

from ember.train.callbacks.early_stopping import EarlyStopping
from ember.train.callbacks.gradient_accumulation import GradientAccumulationScheduler
from ember.train.callbacks.lambda_callback import LambdaCallback
from ember.train.callbacks.lr_monitor import LearningRateMonitor
from ember.train.callbacks.model_checkpoint import ModelCheckpoint
from ember.train.callbacks.model_summary import ModelSummary
from ember.train.callbacks.parameter_histograms import ParameterHistograms
from ember.train.callbacks.progress_bar import ProgressBar
from ember.train.callbacks.swa import StochasticWeightAveraging
from ember.train.callbacks.timer import Timer

__all__ = ["EarlyStopping", "GradientAccumulationScheduler", "LambdaCallback",
           "LearningRateMonitor", "ModelCheckpoint", "ModelSummary", "ParameterHistograms",
           "ProgressBar",
           "StochasticWeightAveraging", "Timer"]
