"""detect_anomaly: the first op whose forward or backward produces NaN/Inf is named."""

import pytest

import ember


def test_forward_nan_is_reported_with_op_and_source_line():
    x = ember.tensor([-1.0, 4.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            x.log()  # log(-1) = nan
    msg = str(info.value)
    assert "Log" in msg and "NaN" in msg
    assert "test_anomaly.py" in msg  # the user's line, not ember's internals
    assert "min -1" in msg  # input statistics


def test_backward_nan_is_reported():
    x = ember.tensor([0.0, 4.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = x.sqrt()  # finite forward, infinite gradient at 0
        with pytest.raises(RuntimeError, match="SqrtBackward0.*NaN/Inf|NaN/Inf.*SqrtBackward0"):
            y.sum().backward()


def test_no_checks_outside_the_context():
    x = ember.tensor([-1.0])
    assert ember.isnan(x.log()).item()
    assert not ember.autograd.is_anomaly_enabled()


def test_set_detect_anomaly():
    ember.autograd.set_detect_anomaly(True)
    try:
        assert ember.autograd.is_anomaly_enabled()
    finally:
        ember.autograd.set_detect_anomaly(False)
    assert not ember.autograd.is_anomaly_enabled()


def test_kernels_do_not_emit_numpy_warnings():
    import subprocess
    import sys

    code = (
        "import ember\n"
        "assert ember.isnan(ember.tensor([-1.0]).log()).item()\n"
        "x = ember.tensor([0.0], requires_grad=True)\n"
        "x.sqrt().sum().backward()\n"
        "assert ember.isinf(x.grad).item()\n"
    )
    result = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
