"""ember.train: the training engine (Trainer, TrainModule, DataModule, callbacks, loggers)."""

from ember.train._warnings import EmberTrainWarning, silence_warnings
from ember.train.callback import Callback
from ember.train.callbacks import (
    EarlyStopping,
    GradientAccumulationScheduler,
    LambdaCallback,
    LearningRateMonitor,
    ModelCheckpoint,
    ModelSummary,
    ParameterHistograms,
    ProgressBar,
    StochasticWeightAveraging,
    Timer,
)
from ember.train.learner import Learner
from ember.train.loggers import CSVLogger, Logger, TensorBoardLogger
from ember.train.module import DataModule, TrainModule
from ember.train.seed import seed_everything
from ember.train.trainer import Trainer
