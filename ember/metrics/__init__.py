"""ember.metrics: stateful, mergeable metrics (``update`` / ``compute`` / ``reset``).

Classification (Accuracy, Precision, Recall, F1Score, FBetaScore, ConfusionMatrix), ranking
(AUROC, AveragePrecision), regression (MeanSquaredError, RootMeanSquaredError,
MeanAbsoluteError, R2Score) and segmentation (JaccardIndex / IoU, Dice), checked against
scikit-learn. Functional forms live in ``ember.metrics.functional``.
"""

from ember.metrics import functional
from ember.metrics.classification import (
    Accuracy,
    ConfusionMatrix,
    F1Score,
    FBeta,
    FBetaScore,
    Precision,
    Recall,
)
from ember.metrics.metric import Metric
from ember.metrics.ranking import AUROC, AveragePrecision
from ember.metrics.regression import (
    MeanAbsoluteError,
    MeanSquaredError,
    R2Score,
    RootMeanSquaredError,
)
from ember.metrics.segmentation import Dice, IoU, JaccardIndex

__all__ = [
    "AUROC",
    "Accuracy",
    "AveragePrecision",
    "ConfusionMatrix",
    "Dice",
    "F1Score",
    "FBeta",
    "FBetaScore",
    "IoU",
    "JaccardIndex",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Metric",
    "Precision",
    "R2Score",
    "Recall",
    "RootMeanSquaredError",
    "functional",
]
