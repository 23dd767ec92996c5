"""Random numbers: seeding, independent generators, state round trips and the distributions.

Statistical checks use sample sizes and tolerances that a correct sampler fails with
probability far below 1e-6 (about 6 standard errors), so they do not flake.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember


def _draw_all(generator=None):
    """One draw from every random factory, as plain lists."""
    kw = {} if generator is None else {"generator": generator}
    return [
        ember.rand(3, **kw).tolist(),
        ember.randn(2, 2, **kw).tolist(),
        ember.randint(0, 100, (4,), **kw).tolist(),
        ember.randperm(6, **kw).tolist(),
        ember.normal(0.0, 1.0, (3,), **kw).tolist(),
        ember.normal(ember.zeros(2), ember.ones(2), **kw).tolist(),
        ember.bernoulli(ember.full((5,), 0.5), **kw).tolist(),
        ember.multinomial(ember.ones(5), 3, **kw).tolist(),
        ember.multinomial(ember.ones(5), 3, replacement=True, **kw).tolist(),
        ember.rand_like(ember.zeros(2), **kw).tolist(),
        ember.randn_like(ember.zeros(2), **kw).tolist(),
        ember.zeros(3).uniform_(-1, 1, **kw).tolist(),
        ember.zeros(3).normal_(0, 1, **kw).tolist(),
    ]


@pytest.fixture
def restore_rng():
    state = ember.get_rng_state()
    yield
    ember.set_rng_state(state)


def test_manual_seed_makes_every_draw_reproducible(restore_rng):
    ember.manual_seed(1234)
    first = _draw_all()
    ember.manual_seed(1234)
    assert _draw_all() == first
    ember.manual_seed(1235)
    assert _draw_all() != first


def test_manual_seed_returns_the_default_generator(restore_rng):
    g = ember.manual_seed(7)
    assert isinstance(g, ember.Generator)
    assert ember.initial_seed() == 7
    assert g.initial_seed() == 7


def test_negative_seed_is_accepted_as_in_pytorch(restore_rng):
    ember.manual_seed(-1)
    assert ember.initial_seed() == 2**64 - 1
    with pytest.raises(ValueError, match="seed"):
        ember.manual_seed(2**64)


def test_successive_draws_differ(restore_rng):
    ember.manual_seed(0)
    assert ember.rand(5).tolist() != ember.rand(5).tolist()


def test_generator_stream_is_independent_of_the_global_one(restore_rng):
    g = ember.Generator().manual_seed(42)
    a = _draw_all(g)
    # the same seed on a fresh generator gives the same stream ...
    assert _draw_all(ember.Generator().manual_seed(42)) == a
    # ... whatever happens to the global generator in between
    ember.manual_seed(0)
    g2 = ember.Generator().manual_seed(42)
    ember.rand(100)
    assert _draw_all(g2) == a
    # and drawing from a generator does not advance the global stream
    ember.manual_seed(5)
    expected = ember.rand(4).tolist()
    ember.manual_seed(5)
    ember.rand(10, generator=ember.Generator().manual_seed(1))
    assert ember.rand(4).tolist() == expected


def test_generator_manual_seed_returns_itself():
    g = ember.Generator()
    assert g.manual_seed(3) is g
    assert g.initial_seed() == 3
    assert g.device == "cpu"


def test_generator_rejects_cuda():
    with pytest.raises(RuntimeError, match="CuPy"):
        ember.Generator(device="cuda")


def test_rng_state_round_trip_reproduces_draws(restore_rng):
    ember.manual_seed(99)
    ember.rand(3)
    state = ember.get_rng_state()
    a = _draw_all()
    ember.rand(50)  # move on
    ember.set_rng_state(state)
    assert _draw_all() == a


def test_generator_state_round_trip():
    g = ember.Generator().manual_seed(11)
    state = g.get_state()
    a = ember.randn(4, generator=g).tolist()
    g.set_state(state)
    assert ember.randn(4, generator=g).tolist() == a


def test_state_is_a_snapshot(restore_rng):
    ember.manual_seed(3)
    state = ember.get_rng_state()
    ember.rand(10)
    ember.set_rng_state(state)
    a = ember.rand(2).tolist()
    ember.set_rng_state(state)  # the saved state was not advanced by the draws above
    assert ember.rand(2).tolist() == a


def test_bad_generator_argument():
    with pytest.raises(TypeError, match="Generator"):
        ember.rand(2, generator=np.random.default_rng(0))


# -- distributions --------------------------------------------------------------------------------
N = 40_000


@pytest.fixture
def gen():
    return ember.Generator().manual_seed(2024)


def test_rand_is_uniform_on_unit_interval(gen):
    x = ember.rand(N, generator=gen).numpy().astype(np.float64)
    assert x.min() >= 0.0 and x.max() < 1.0
    assert abs(x.mean() - 0.5) < 6 * np.sqrt(1 / 12 / N)
    assert abs(x.var() - 1 / 12) < 0.005
    hist = np.histogram(x, bins=10, range=(0, 1))[0] / N
    assert np.all(np.abs(hist - 0.1) < 0.01)


def test_randn_is_standard_normal(gen):
    x = ember.randn(N, generator=gen).numpy().astype(np.float64)
    assert abs(x.mean()) < 6 / np.sqrt(N)
    assert abs(x.std() - 1.0) < 0.03
    assert abs((np.abs(x) < 1).mean() - 0.6827) < 0.015


def test_randint_is_uniform_over_range(gen):
    x = ember.randint(-3, 4, (N,), generator=gen).numpy()
    assert x.min() == -3 and x.max() == 3
    freq = np.bincount(x + 3) / N
    assert np.all(np.abs(freq - 1 / 7) < 0.015)


def test_randperm_is_a_uniform_permutation(gen):
    first = [ember.randperm(4, generator=gen)[0].item() for _ in range(2000)]
    freq = np.bincount(first, minlength=4) / 2000
    assert np.all(np.abs(freq - 0.25) < 0.06)


def test_normal_mean_and_std(gen):
    x = ember.normal(3.0, 2.0, (N,), generator=gen).numpy().astype(np.float64)
    assert abs(x.mean() - 3.0) < 6 * 2 / np.sqrt(N)
    assert abs(x.std() - 2.0) < 0.06
    means = ember.tensor([-5.0, 0.0, 5.0]).reshape(3, 1).expand(3, 4000).contiguous()
    y = ember.normal(means, 0.5, generator=gen).numpy()
    np.testing.assert_allclose(y.mean(1), [-5.0, 0.0, 5.0], atol=0.05)
    np.testing.assert_allclose(y.std(1), [0.5, 0.5, 0.5], atol=0.03)


def test_bernoulli_frequency(gen):
    p = ember.tensor([0.1, 0.5, 0.9]).reshape(3, 1).expand(3, 10_000).contiguous()
    x = ember.bernoulli(p, generator=gen).numpy()
    assert set(np.unique(x)) <= {0.0, 1.0}
    np.testing.assert_allclose(x.mean(1), [0.1, 0.5, 0.9], atol=0.02)
    y = ember.bernoulli(ember.zeros(N), 0.3, generator=gen).numpy()
    assert abs(y.mean() - 0.3) < 0.015


def test_uniform_and_normal_fill(gen):
    x = ember.empty(N).uniform_(-2.0, 4.0, generator=gen).numpy()
    assert x.min() >= -2.0 and x.max() < 4.0 and abs(x.mean() - 1.0) < 0.05
    y = ember.empty(N, dtype=ember.float64).normal_(1.0, 3.0, generator=gen)
    assert y.dtype is ember.float64
    assert abs(y.numpy().mean() - 1.0) < 0.1 and abs(y.numpy().std() - 3.0) < 0.1


def test_multinomial_with_replacement_matches_probabilities(gen):
    w = ember.tensor([1.0, 0.0, 3.0, 6.0])  # unnormalised weights are fine
    x = ember.multinomial(w, N, replacement=True, generator=gen).numpy()
    assert x.shape == (N,) and x.dtype == np.int64
    freq = np.bincount(x, minlength=4) / N
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.3, 0.6], atol=0.015)
    assert freq[1] == 0.0  # a zero-weight category is never drawn


def test_multinomial_rows_are_independent_distributions(gen):
    w = ember.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 2.0]])
    x = ember.multinomial(w, 4000, replacement=True, generator=gen).numpy()
    assert x.shape == (3, 4000)
    assert np.all(x[0] == 0) and np.all(x[1] == 2)
    np.testing.assert_allclose(np.bincount(x[2], minlength=3) / 4000, [0.25, 0.25, 0.5],
                               atol=0.04)


def test_multinomial_without_replacement_never_repeats(gen):
    w = ember.tensor([[5.0, 1.0, 1.0, 1.0, 0.5, 0.1]] * 200)
    x = ember.multinomial(w, 6, generator=gen).numpy()
    assert x.shape == (200, 6)
    for row in x:
        assert sorted(row.tolist()) == list(range(6))
    # the heaviest category comes first most often: P = 5 / 8.6
    assert abs((x[:, 0] == 0).mean() - 5 / 8.6) < 0.13
    y = ember.multinomial(ember.ones(10), 10, generator=gen).tolist()
    assert sorted(y) == list(range(10))


def test_multinomial_without_replacement_first_draw_distribution(gen):
    w = ember.tensor([1.0, 2.0, 7.0])
    rows = w.reshape(1, 3).expand(N // 4, 3).contiguous()
    first = ember.multinomial(rows, 2, generator=gen).numpy()[:, 0]
    np.testing.assert_allclose(np.bincount(first, minlength=3) / (N // 4), [0.1, 0.2, 0.7],
                               atol=0.025)


def test_multinomial_zero_weights_come_last_without_replacement(gen):
    # PyTorch draws zero-probability categories only after all positive ones
    x = ember.multinomial(ember.tensor([0.0, 1.0, 0.0, 2.0]), 4, generator=gen).tolist()
    assert sorted(x[:2]) == [1, 3] and sorted(x[2:]) == [0, 2]


@pytest.mark.parametrize("dtype", [ember.float16, ember.float32, ember.float64])
def test_rand_never_reaches_one_after_rounding(gen, dtype):
    # a float64 draw just below 1 rounds to exactly 1.0 in lower precision (p ~ 2e-4 per
    # float16 draw), so the draw must be made, or clamped, in the target precision
    x = ember.rand(200_000, generator=gen, dtype=dtype)
    assert x.dtype is dtype
    assert x.max().item() < 1.0 and x.min().item() >= 0.0
