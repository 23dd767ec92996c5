"""ConfusionMatrix.plot (needs matplotlib)."""

import numpy as np
import pytest

from ember.metrics import ConfusionMatrix

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def test_plot_saves_and_returns_figure(tmp_path):
    import matplotlib.pyplot as plt

    cm = ConfusionMatrix("multiclass", num_classes=3, normalize="true")
    cm.update(np.array([0, 1, 2, 2, 1]), np.array([0, 1, 2, 1, 1]))
    path = tmp_path / "cm.png"
    fig = cm.plot(labels=["cat", "dog", "eel"], path=str(path))
    assert path.stat().st_size > 0
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "eel"]
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts.count("1.00") == 2 and texts.count("0.67") == 1 and len(texts) == 9
    plt.close(fig)


def test_plot_multilabel_and_into_axes():
    import matplotlib.pyplot as plt

    cm = ConfusionMatrix("multilabel", num_labels=2)
    cm.update(np.array([[1, 0], [0, 1]]), np.array([[1, 1], [0, 1]]))
    fig = cm.plot()
    assert len([a for a in fig.axes if a.get_title()]) == 2
    plt.close(fig)
    fig, ax = plt.subplots()
    single = ConfusionMatrix("binary")
    single.update(np.array([0, 1]), np.array([1, 1]))
    assert single.plot(ax=ax) is fig
    with pytest.raises(ValueError, match="expected 2 labels, got 3"):
        single.plot(labels=["a", "b", "c"])
    plt.close("all")
