"""Every numbered example runs end to end in quick mode and produces sane numbers and files."""

from __future__ import annotations

import importlib.util
import math
import pathlib

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def one_blas_thread():
    """One BLAS thread per test process: with ``-n 2`` on two cores, more threads only
    oversubscribe the CPU (the examples' matrices are small)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def run_example(name: str, tmp_path, monkeypatch) -> dict:
    """Import ``examples/<name>.py`` as a module and run ``main`` in quick mode under tmp_path."""
    monkeypatch.syspath_prepend(str(EXAMPLES))  # the examples import their _common helpers
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(out_dir=tmp_path / name, quick=True)
    for path in results["files"]:
        assert pathlib.Path(path).is_file(), f"{name} did not write {path}"
        assert pathlib.Path(path).resolve().is_relative_to(tmp_path.resolve())
    return results


@pytest.fixture
def needs_data_and_plots():
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")


@pytest.fixture
def needs_plots():
    pytest.importorskip("matplotlib")


def test_logistic_regression(tmp_path, monkeypatch, needs_data_and_plots):
    r = run_example("01_logistic_regression", tmp_path, monkeypatch)
    assert r["scratch_loss_last"] < 0.5 * r["scratch_loss_first"]
    for prefix in ("scratch", "trainer"):
        assert r[f"{prefix}_acc"] > 0.85
        assert 0.8 < r[f"{prefix}_f1"] <= 1.0
        assert 0.0 < r[f"{prefix}_precision"] <= 1.0 and 0.0 < r[f"{prefix}_recall"] <= 1.0


def test_digits_classification(tmp_path, monkeypatch, needs_data_and_plots):
    r = run_example("02_digits_classification", tmp_path, monkeypatch)
    assert r["cnn_test_acc"] > 0.3  # chance is 0.1; quick mode trains two short epochs
    assert 0.0 <= r["mlp_test_acc"] <= 1.0
    assert r["search_n_trials"] == 2
    assert set(r["search_best_config"]) == {"lr", "weight_decay", "width"}
    assert (tmp_path / "02_digits_classification" / "confusion_matrix.png").stat().st_size > 0


def test_autoencoder_transfer(tmp_path, monkeypatch, needs_data_and_plots):
    r = run_example("03_autoencoder_transfer", tmp_path, monkeypatch)
    assert r["n_labels"] == 20 and len(r["transfer_accs"]) == r["n_draws"] == 1
    assert r["autoencoder_val_bce"] < math.log(2)  # better than predicting 0.5 everywhere
    assert r["transfer_test_acc"] > 0.2 and r["scratch_test_acc"] > 0.1


def test_keypoint_regression(tmp_path, monkeypatch, needs_plots):
    r = run_example("04_keypoint_regression", tmp_path, monkeypatch)
    assert r["train_loss_last"] < r["train_loss_first"]
    assert 0.0 < r["mean_pixel_error"] < 32.0


def test_segmentation(tmp_path, monkeypatch, needs_plots):
    r = run_example("05_segmentation", tmp_path, monkeypatch)
    assert r["train_loss_last"] < r["train_loss_first"]
    assert 0.0 <= r["mean_iou"] <= 1.0
    assert 0.0 < r["void_fraction"] < 0.5


def test_gans(tmp_path, monkeypatch, needs_data_and_plots):
    r = run_example("06_gans", tmp_path, monkeypatch)
    for kind in ("dcgan", "stylegan2"):
        assert math.isfinite(r[f"{kind}_d_loss"]) and math.isfinite(r[f"{kind}_g_loss"])
        assert 0.0 < r[f"{kind}_d_real"] < 1.0
    samples = sorted((tmp_path / "06_gans" / "dcgan" / "samples").glob("epoch_*.png"))
    assert len(samples) == 2  # one grid per epoch


def test_sequences_and_recommenders(tmp_path, monkeypatch):
    r = run_example("07_sequences_and_recommenders", tmp_path, monkeypatch)
    assert 0.3 < r["motif_fraction"] < 0.7
    for name in ("lstm", "transformer"):
        assert r[f"{name}_loss_last"] < r[f"{name}_loss_first"]
        assert 0.0 <= r[f"{name}_test_acc"] <= 1.0
    assert r["collab_rmse"] < r["collab_mean_baseline_rmse"]


def test_vae(tmp_path, monkeypatch, needs_data_and_plots):
    r = run_example("08_vae", tmp_path, monkeypatch)
    assert r["train_loss_last"] < r["train_loss_first"]
    assert r["test_elbo"] < 0 and r["test_kl"] >= 0
    assert -r["test_elbo"] == pytest.approx(r["test_recon_nll"] + r["test_kl"], rel=1e-4)
