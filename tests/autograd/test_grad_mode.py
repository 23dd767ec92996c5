"""no_grad, enable_grad, set_grad_enabled, inference_mode: context managers and decorators."""

import ember


def test_no_grad_context_and_decorator():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not (x * 2).requires_grad
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()

    @ember.no_grad()
    def f():
        return x * 2

    @ember.no_grad
    def g():
        return x * 2

    assert not f().requires_grad and not g().requires_grad
    assert (x * 2).requires_grad


def test_enable_grad_inside_no_grad():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        with ember.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad


def test_set_grad_enabled_function_and_context():
    x = ember.ones(2, requires_grad=True)
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        ember.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_inference_mode():
    x = ember.ones(2, requires_grad=True)
    with ember.inference_mode():
        assert not (x * 2).requires_grad
    with ember.inference_mode(False):
        assert (x * 2).requires_grad


def test_grad_mode_restored_after_exception():
    try:
        with ember.no_grad():
            raise ValueError
    except ValueError:
        pass
    assert ember.is_grad_enabled()
