"""The benchmark workloads compute real training steps: losses fall, and ember matches torch.

Every workload runs in its ``quick`` form (small batches); nothing here asserts on time.
"""

import numpy as np
import pytest

import ember
from benchmarks.workloads import ALL, dataloader, inference
from benchmarks.workloads._common import init_state

TRAINING = [
    w
    for w in ALL.values()
    if w.build is not None
    and w.flops
    and w.name in ("tiny", "mlp", "cnn", "lstm", "resnet", "transformer")
]
INFERENCE = [inference.BATCH1, inference.BATCH256]


def _torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    return torch


def _losses_fall(lib, workload):
    step = workload.build(lib, 0, quick=True)
    losses = [step() for _ in range(20)]
    assert np.isfinite(losses).all()
    assert losses[-1] < 0.9 * losses[0]


def _copy_weights(src, dst, torch):
    """Load ember module ``src``'s state into torch module ``dst`` (arrays copied)."""
    state = {k: torch.tensor(np.array(v.numpy())) for k, v in src.state_dict().items()}
    dst.load_state_dict(state)


@pytest.mark.parametrize("workload", TRAINING, ids=lambda w: w.name)
def test_ember_loss_decreases_over_20_steps(workload):
    _losses_fall(ember, workload)


@pytest.mark.parametrize("workload", TRAINING, ids=lambda w: w.name)
def test_torch_loss_decreases_over_20_steps(workload):
    _losses_fall(_torch(), workload)


@pytest.mark.parametrize("workload", TRAINING, ids=lambda w: w.name)
def test_losses_agree_after_one_step_from_the_same_weights(workload):
    torch = _torch()
    e, t = workload.build(ember, 1, quick=True), workload.build(torch, 1, quick=True)
    init_state(t.model, torch, 2)  # other weights: the copy is what makes them equal again
    _copy_weights(e.model, t.model, torch)
    first = e(), t()
    np.testing.assert_allclose(first[0], first[1], rtol=1e-4)
    # the second loss is taken after one optimizer update in each framework
    np.testing.assert_allclose(e(), t(), rtol=2e-4)


@pytest.mark.parametrize("workload", INFERENCE, ids=lambda w: w.name)
def test_inference_outputs_agree(workload):
    torch = _torch()
    e, t = workload.build(ember, 1, quick=True), workload.build(torch, 1, quick=True)
    init_state(t.model, torch, 2)
    _copy_weights(e.model, t.model, torch)
    np.testing.assert_allclose(e(), t(), rtol=1e-4, atol=1e-4)
    assert not e.model.training


def test_weights_are_the_same_in_both_frameworks():
    torch = _torch()
    e, t = ALL["resnet"].build(ember, 3, quick=True), ALL["resnet"].build(torch, 3, quick=True)
    te = e.model.state_dict()
    for key, value in t.model.state_dict().items():
        np.testing.assert_array_equal(te[key].numpy(), value.numpy(), err_msg=key)


def test_dataloader_epoch_counts_batches():
    pytest.importorskip("ember.utils.data")
    epoch = dataloader.build(ember, 0, quick=True)
    assert epoch() == 8.0  # ceil(1000 / 128)
    assert epoch() == 8.0
