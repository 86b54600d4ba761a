"""Seeding, private generators and saved generator states."""

import numpy as np
import pytest

import tensorgrad as tg

DRAWS = {
    "randn": lambda **kw: tg.randn(4, 3, **kw),
    "rand": lambda **kw: tg.rand(5, **kw),
    "randint": lambda **kw: tg.randint(0, 100, (6,), **kw),
    "randperm": lambda **kw: tg.randperm(10, **kw),
    "randn float64": lambda **kw: tg.randn(3, dtype=tg.float64, **kw),
    "multinomial": lambda **kw: tg.multinomial(tg.linspace(0.1, 2.0, 20), 10, **kw),
    "multinomial replacement": lambda **kw: tg.multinomial(tg.ones(3, 10), 20, True, **kw),
    "bernoulli": lambda **kw: tg.bernoulli(tg.full((50,), 0.3), **kw),
    "bernoulli p": lambda **kw: tg.zeros(50).bernoulli(0.5, **kw),
    "normal tensors": lambda **kw: tg.normal(tg.zeros(5), tg.ones(5), **kw),
    "normal size": lambda **kw: tg.normal(0.0, 1.0, (5,), **kw),
    "randint_like": lambda **kw: tg.randint_like(tg.zeros(6), 100, **kw),
    "uniform_": lambda **kw: tg.empty(5).uniform_(**kw),
    "normal_": lambda **kw: tg.empty(5).normal_(**kw),
    "bernoulli_": lambda **kw: tg.empty(50).bernoulli_(tg.full((50,), 0.5), **kw),
    "exponential_": lambda **kw: tg.empty(5).exponential_(**kw),
    "geometric_": lambda **kw: tg.empty(20).geometric_(0.2, **kw),
    "log_normal_": lambda **kw: tg.empty(5).log_normal_(**kw),
    "cauchy_": lambda **kw: tg.empty(5).cauchy_(**kw),
    "random_": lambda **kw: tg.empty(5).random_(0, 1000, **kw),
}


def _values(t: tg.Tensor) -> np.ndarray:
    return t.numpy().copy()


@pytest.mark.parametrize("name", list(DRAWS))
def test_manual_seed_repeats_the_draws(name):
    draw = DRAWS[name]
    tg.manual_seed(1234)
    first = [_values(draw()) for _ in range(3)]
    tg.manual_seed(1234)
    second = [_values(draw()) for _ in range(3)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])  # the stream moves on between draws


@pytest.mark.parametrize("name", list(DRAWS))
def test_different_seeds_differ(name):
    draw = DRAWS[name]
    tg.manual_seed(1)
    a = _values(draw())
    tg.manual_seed(2)
    b = _values(draw())
    assert not np.array_equal(a, b)


def test_manual_seed_returns_the_default_generator_and_sets_initial_seed():
    g = tg.manual_seed(42)
    assert isinstance(g, tg.Generator)
    assert tg.initial_seed() == 42 and g.initial_seed() == 42


def test_negative_and_large_seeds_are_pytorchs_uint64():
    torch = pytest.importorskip("torch")
    for seed in (-1, -5, -(2**63), 2**63, 2**64 - 1):
        torch.manual_seed(seed)
        tg.manual_seed(seed)
        assert tg.initial_seed() == torch.initial_seed()
        assert tg.rand(3).tolist() == torch.rand(3).tolist()
        assert tg.Generator().manual_seed(seed).initial_seed() == torch.initial_seed()
    for seed in (2**64, -(2**63) - 1):
        with pytest.raises(ValueError, match="Overflow"):
            tg.manual_seed(seed)
    tg.manual_seed(0)


def test_seed_reseeds_from_entropy():
    s = tg.seed()
    assert isinstance(s, int) and tg.initial_seed() == s
    a = _values(tg.randn(3))
    tg.manual_seed(s)
    np.testing.assert_array_equal(_values(tg.randn(3)), a)


def test_private_generator_is_independent_of_the_default():
    g = tg.Generator().manual_seed(0)
    tg.manual_seed(0)
    expected_default = _values(tg.randn(4))
    a = _values(tg.randn(4, generator=g))

    g = tg.Generator().manual_seed(0)
    tg.manual_seed(0)
    b = _values(tg.randn(4, generator=g))
    for _ in range(3):  # drawing from g does not move the default stream, and vice versa
        tg.randn(10, generator=g)
    np.testing.assert_array_equal(_values(tg.randn(4)), expected_default)
    np.testing.assert_array_equal(a, b)

    g1, g2 = tg.Generator().manual_seed(7), tg.Generator().manual_seed(7)
    tg.randn(100)
    np.testing.assert_array_equal(
        _values(tg.rand(3, generator=g1)), _values(tg.rand(3, generator=g2))
    )


@pytest.mark.parametrize("name", list(DRAWS))
def test_generator_argument(name):
    draw = DRAWS[name]
    a = _values(draw(generator=tg.Generator().manual_seed(5)))
    b = _values(draw(generator=tg.Generator().manual_seed(5)))
    c = _values(draw(generator=tg.Generator().manual_seed(6)))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_get_and_set_rng_state_resume_the_stream():
    tg.manual_seed(3)
    tg.randn(5)
    state = tg.get_rng_state()
    assert isinstance(state, tg.Tensor) and state.dtype == tg.uint8 and state.ndim == 1
    after = [_values(tg.randn(3)), _values(tg.randint(0, 10, (4,))), _values(tg.rand(2))]
    tg.randn(50)
    tg.set_rng_state(state)
    again = [_values(tg.randn(3)), _values(tg.randint(0, 10, (4,))), _values(tg.rand(2))]
    for a, b in zip(after, again):
        np.testing.assert_array_equal(a, b)
    assert tg.initial_seed() == 3


def test_generator_state_round_trip_to_another_generator():
    g = tg.Generator().manual_seed(11)
    tg.randn(7, generator=g)
    state = g.get_state()
    h = tg.Generator().set_state(state)
    assert h.initial_seed() == 11
    np.testing.assert_array_equal(
        _values(tg.randn(6, generator=g)), _values(tg.randn(6, generator=h))
    )


def test_state_is_a_copy():
    g = tg.Generator().manual_seed(0)
    state = g.get_state()
    saved = _values(state)
    tg.randn(10, generator=g)
    np.testing.assert_array_equal(_values(state), saved)
    state.zero_()
    np.testing.assert_array_equal(_values(g.get_state()), _values(g.get_state()))


def test_state_keeps_a_buffered_half_word():
    """NumPy's PCG64 caches half of a 64-bit draw for 32-bit integers; the state keeps it."""
    g = tg.Generator().manual_seed(1)
    g.rng.integers(0, 10, dtype=np.uint32)
    state = g.get_state()
    a = g.rng.integers(0, 2**32, size=3, dtype=np.uint32)
    g.set_state(state)
    np.testing.assert_array_equal(g.rng.integers(0, 2**32, size=3, dtype=np.uint32), a)


def test_set_state_rejects_a_wrong_size():
    with pytest.raises(RuntimeError, match="size 5056 but found the input RNG state size to be 3"):
        tg.set_rng_state(tg.zeros(3, dtype=tg.uint8))


def test_inplace_random_fills_follow_the_seed():
    tg.manual_seed(9)
    a = _values(tg.empty(4).uniform_(-1, 1)), _values(tg.empty(4).normal_(2.0, 0.5))
    tg.manual_seed(9)
    b = _values(tg.empty(4).uniform_(-1, 1)), _values(tg.empty(4).normal_(2.0, 0.5))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[0].min() >= -1 and a[0].max() < 1


# ---------------------------------------------------------------------- sampling distributions
# Values cannot equal PyTorch's (another bit generator), so these check shapes, dtypes, the
# support and the statistics: a sample mean within 5 standard errors of the true mean (the
# seed is fixed, so a pass is not luck that changes between runs).


def _close_in_se(sample, mean, var, k=5.0):
    sample = np.asarray(sample, dtype=np.float64)
    se = np.sqrt(var / sample.size)
    assert abs(sample.mean() - mean) <= k * se, (sample.mean(), mean, se)


@pytest.mark.parametrize("replacement", [False, True])
def test_multinomial_shapes_and_dtype(replacement):
    one = tg.multinomial(tg.tensor([1.0, 2.0, 3.0, 4.0]), 3, replacement)
    assert one.shape == (3,) and one.dtype == tg.int64
    rows = tg.tensor([[1.0, 2.0, 3.0], [0.5, 0.0, 0.5]], dtype=tg.float64).multinomial(
        2, replacement
    )
    assert rows.shape == (2, 2) and rows.dtype == tg.int64
    assert tg.multinomial(tg.ones(0, 3), 2, replacement).shape == (0, 2)


def test_multinomial_without_replacement_draws_distinct_nonzero_categories():
    w = tg.tensor([[0.0, 1.0, 5.0, 0.0, 2.0, 1e-3], [3.0, 0.0, 1.0, 1.0, 1.0, 0.0]])
    for _ in range(200):
        s = w.multinomial(4).numpy()
        for row, wrow in zip(s, w.numpy()):
            assert len(set(row)) == 4 and (wrow[row] > 0).all()
    full = tg.multinomial(tg.tensor([0.0, 1.0, 1.0, 2.0]), 3).numpy()
    assert sorted(full) == [1, 2, 3]


def test_multinomial_with_replacement_never_draws_zero_weights():
    w = tg.tensor([0.0, 1.0, 0.0, 0.0, 2.0, 0.0])  # zeros first, between and last
    s = tg.multinomial(w, 5000, True).numpy()
    assert set(np.unique(s)) == {1, 4}


def test_multinomial_with_replacement_frequencies():
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.0])
    n = 20000
    s = tg.multinomial(tg.tensor(p * 7.0), n, True).numpy()  # unnormalised weights
    for k, pk in enumerate(p):
        _close_in_se(s == k, pk, pk * (1 - pk))


def test_multinomial_without_replacement_order_is_sequential_sampling():
    """The first draw is k with probability p_k, the second j with p_j / (1 - p_k)."""
    p = np.array([0.5, 0.3, 0.2])
    w = tg.tensor(np.tile(p, (20000, 1)))
    s = w.multinomial(2).numpy()
    for k in range(3):
        _close_in_se(s[:, 0] == k, p[k], p[k] * (1 - p[k]))
    pair = p[0] * p[1] / (1 - p[0])  # 0 then 1
    _close_in_se((s[:, 0] == 0) & (s[:, 1] == 1), pair, pair * (1 - pair))


@pytest.mark.parametrize(
    "weights, n, replacement, match",
    [
        ([1.0, -1.0, 2.0], 1, True, "inf.*nan.*< 0"),
        ([1.0, float("inf"), 2.0], 1, True, "inf.*nan.*< 0"),
        ([1.0, float("nan"), 2.0], 1, False, "inf.*nan.*< 0"),
        ([[1.0, 1.0], [0.0, 0.0]], 1, True, "sum of probabilities <= 0"),
        ([1.0, 0.0, 2.0], 3, False, "only 2 non-zero"),
        ([1.0, 2.0], 3, False, "without replacement"),
        ([1.0, 2.0], 0, True, "n_sample <= 0"),
        (1.0, 1, True, "1 or 2 dim"),
        ([[[1.0]]], 1, True, "1 or 2 dim"),
        ([1, 2], 1, True, "floating-point"),
    ],
)
def test_multinomial_errors(weights, n, replacement, match):
    with pytest.raises(RuntimeError, match=match):
        tg.multinomial(tg.tensor(weights), n, replacement)


def test_bernoulli_values_dtype_and_frequency():
    p = tg.tensor([[0.0, 0.25, 1.0]], dtype=tg.float64).expand(20000, 3)
    s = tg.bernoulli(p)
    assert s.shape == (20000, 3) and s.dtype == tg.float64
    v = s.numpy()
    assert set(np.unique(v)) <= {0.0, 1.0}
    assert (v[:, 0] == 0).all() and (v[:, 2] == 1).all()
    _close_in_se(v[:, 1], 0.25, 0.25 * 0.75)
    q = tg.zeros(20000).bernoulli(0.7)  # the probability as an argument
    assert q.dtype == tg.float32
    _close_in_se(q.numpy(), 0.7, 0.7 * 0.3)


def test_bernoulli_in_place_with_float_or_broadcast_tensor():
    t = tg.zeros(10000, 2, dtype=tg.int64)
    v0 = t._version
    assert t.bernoulli_(tg.tensor([0.2, 0.9])) is t and t._version == v0 + 1
    assert t.dtype == tg.int64
    _close_in_se(t.numpy()[:, 0], 0.2, 0.16)
    _close_in_se(t.numpy()[:, 1], 0.9, 0.09)
    _close_in_se(tg.empty(20000).bernoulli_().numpy(), 0.5, 0.25)  # p = 0.5 by default


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: tg.bernoulli(tg.tensor([0.5, 1.5])), r"\[0, 1\]"),
        (lambda: tg.bernoulli(tg.tensor([0.5, float("nan")])), r"\[0, 1\]"),
        (lambda: tg.bernoulli(tg.tensor([1, 0])), "floating"),
        (lambda: tg.zeros(3).bernoulli(-0.1), r"\[0, 1\]"),
        (lambda: tg.zeros(3).bernoulli_(1.5), r"\[0, 1\]"),
        (lambda: tg.zeros(3).bernoulli_(tg.tensor([[0.5, 0.5, 0.5]])), "broadcast"),
    ],
)
def test_bernoulli_errors(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


def test_in_place_draws_keep_dtype_and_bump_the_version():
    for name, args in [
        ("exponential_", ()),
        ("geometric_", (0.5,)),
        ("log_normal_", ()),
        ("cauchy_", ()),
        ("random_", ()),
        ("bernoulli_", ()),
        ("uniform_", ()),
        ("normal_", ()),
    ]:
        for dt in (tg.float32, tg.float64):
            t = tg.zeros(3, 4, dtype=dt)
            base = t._version
            assert getattr(t, name)(*args) is t
            assert t.dtype == dt and t.shape == (3, 4) and t._version == base + 1, name
    leaf = tg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.exponential_()


def test_exponential_statistics():
    x = tg.empty(40000, dtype=tg.float64).exponential_(2.5).numpy()
    assert (x >= 0).all()
    _close_in_se(x, 1 / 2.5, 1 / 2.5**2)


def test_geometric_statistics_and_support():
    x = tg.empty(40000).geometric_(0.3).numpy()
    assert (x >= 1).all() and (x == np.round(x)).all()
    _close_in_se(x, 1 / 0.3, 0.7 / 0.3**2)
    _close_in_se(x == 1, 0.3, 0.3 * 0.7)
    assert tg.zeros(5, dtype=tg.int64).geometric_(0.5).dtype == tg.int64


def test_log_normal_statistics():
    x = tg.empty(40000, dtype=tg.float64).log_normal_(0.5, 0.25).numpy()
    assert (x > 0).all()
    _close_in_se(np.log(x), 0.5, 0.25**2)
    _close_in_se(x, np.exp(0.5 + 0.25**2 / 2), (np.exp(0.25**2) - 1) * np.exp(1 + 0.25**2))


def test_cauchy_quantiles():
    x = tg.empty(40000, dtype=tg.float64).cauchy_(1.0, 2.0).numpy()
    # P(x < median) = 1/2 and P(|x - median| < sigma) = 1/2
    _close_in_se(x < 1.0, 0.5, 0.25)
    _close_in_se(np.abs(x - 1.0) < 2.0, 0.5, 0.25)


def test_random_ranges():
    x = tg.empty(20000).random_(3, 8).numpy()
    assert set(np.unique(x)) == {3, 4, 5, 6, 7}
    assert set(np.unique(tg.empty(2000, dtype=tg.int64).random_(4).numpy())) == {0, 1, 2, 3}
    f = tg.empty(20000).random_().numpy()  # [0, 2^24] for float32: every value exact
    assert f.min() >= 0 and f.max() <= 2**24 and f.max() > 2**23 and (f == np.round(f)).all()
    u = tg.empty(2000, dtype=tg.uint8).random_().numpy()
    assert u.max() > 200
    assert set(np.unique(tg.empty(100, dtype=tg.bool).random_().numpy())) == {False, True}
    with pytest.raises(RuntimeError, match="from.*less than.*to"):
        tg.empty(3).random_(5, 2)
    with pytest.raises(RuntimeError, match="out of bounds"):
        tg.empty(3, dtype=tg.uint8).random_(0, 300)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: tg.empty(3).exponential_(0), "lambda > 0"),
        (lambda: tg.empty(3).geometric_(1.0), r"p to be in \(0, 1\)"),
        (lambda: tg.empty(3).geometric_(0), r"p to be in \(0, 1\)"),
        (lambda: tg.empty(3).log_normal_(0, 0), "std > 0"),
        (lambda: tg.empty(3).cauchy_(0, -1), "sigma > 0"),
        (lambda: tg.zeros(3, dtype=tg.int64).exponential_(), "floating"),
        (lambda: tg.normal(tg.zeros(3), tg.tensor([1.0, -1.0, 1.0])), "std >= 0"),
        (lambda: tg.normal(tg.zeros(3), -1.0), "std >= 0"),
        (lambda: tg.normal(0.0, -1.0, (3,)), "std >= 0"),
    ],
)
def test_in_place_draw_errors(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


def test_normal_overloads_shapes_dtypes_and_statistics():
    m = tg.normal(tg.full((200, 100), 3.0), tg.full((100,), 2.0))
    assert m.shape == (200, 100) and m.dtype == tg.float32
    _close_in_se(m.numpy(), 3.0, 4.0)
    assert tg.normal(tg.zeros(2, 3, dtype=tg.float64), tg.ones(3)).dtype == tg.float64
    assert tg.normal(tg.zeros(2, 3), tg.ones(3, dtype=tg.float64)).dtype == tg.float32
    a = tg.normal(tg.full((20000,), -1.0), 0.5)
    _close_in_se(a.numpy(), -1.0, 0.25)
    b = tg.normal(2.0, tg.full((20000,), 3.0, dtype=tg.float64))
    assert b.dtype == tg.float64
    _close_in_se(b.numpy(), 2.0, 9.0)
    c = tg.normal(1.0, 2.0, (100, 200), dtype=tg.float64)
    assert c.shape == (100, 200) and c.dtype == tg.float64
    _close_in_se(c.numpy(), 1.0, 4.0)
    assert np.var(c.numpy()) == pytest.approx(4.0, rel=0.05)
    assert tg.normal(0.0, 1.0, (2,)).dtype == tg.float32
    mean = tg.zeros(3, requires_grad=True)
    assert not tg.normal(mean, 1.0).requires_grad  # PyTorch's gradient is zero: none here
    with pytest.raises(TypeError, match="size"):
        tg.normal(0.0, 1.0)


def test_randint_like():
    x = tg.zeros(2, 3, dtype=tg.float64)
    r = tg.randint_like(x, 5)
    assert r.shape == (2, 3) and r.dtype == tg.float64
    assert set(np.unique(tg.randint_like(tg.zeros(1000), 2, 5).numpy())) == {2, 3, 4}
    assert tg.randint_like(x, 0, 4, dtype=tg.int64).dtype == tg.int64


@pytest.mark.skipif(
    not __import__("tests.conftest", fromlist=["cuda_available"]).cuda_available(),
    reason="needs CuPy and a CUDA GPU",
)
def test_draws_on_the_gpu_keep_the_device_and_match_the_cpu_draws():
    w = tg.tensor([[1.0, 0.0, 2.0, 3.0], [0.5, 0.5, 0.0, 1.0]])
    cases = {
        "multinomial": lambda t, g: t.multinomial(3, generator=g),
        "multinomial replacement": lambda t, g: t.multinomial(50, True, generator=g),
        "bernoulli": lambda t, g: (t / 4).bernoulli(generator=g),
        "bernoulli_": lambda t, g: t.clone().bernoulli_(t / 4, generator=g),
        "exponential_": lambda t, g: t.clone().exponential_(generator=g),
        "geometric_": lambda t, g: t.clone().geometric_(0.4, generator=g),
        "normal": lambda t, g: tg.normal(t, t + 1, generator=g),
    }
    for name, fn in cases.items():
        cpu = fn(w, tg.Generator().manual_seed(3))
        gpu = fn(w.cuda(), tg.Generator().manual_seed(3))
        assert gpu.is_cuda and gpu.dtype == cpu.dtype and gpu.shape == cpu.shape, name
        np.testing.assert_allclose(gpu.cpu().numpy(), cpu.numpy(), rtol=1e-6, err_msg=name)


# ---------------------------------------------------------------------- inference_mode


def test_inference_mode_records_no_graph_and_restores():
    x = tg.ones(3, requires_grad=True)
    assert not tg.is_inference_mode_enabled()
    with tg.inference_mode():
        assert tg.is_inference_mode_enabled() and not tg.is_grad_enabled()
        assert not (x * 2).requires_grad
        with tg.inference_mode(False):  # PyTorch: turning it off turns grad mode back on
            assert not tg.is_inference_mode_enabled() and tg.is_grad_enabled()
            assert (x * 2).requires_grad
        assert tg.is_inference_mode_enabled()
    assert tg.is_grad_enabled() and not tg.is_inference_mode_enabled()
    with pytest.raises(KeyError):
        with tg.inference_mode(mode=True):
            raise KeyError("the mode is restored on an exception")
    assert tg.is_grad_enabled() and not tg.is_inference_mode_enabled()


def test_inference_mode_as_a_decorator():
    x = tg.ones(3, requires_grad=True)

    @tg.inference_mode
    def bare(t):
        return t * 2, tg.is_inference_mode_enabled()

    @tg.inference_mode()
    def called(t):
        return t * 2

    @tg.inference_mode(mode=False)
    def off(t):
        return t * 2

    y, enabled = bare(x)
    assert enabled and not y.requires_grad
    assert not called(x).requires_grad
    with tg.no_grad():
        assert off(x).requires_grad
    assert bare.__name__ == "bare" and tg.is_grad_enabled()
    # tensors made inside are ordinary tensors (not PyTorch's inference tensors)
    with tg.inference_mode():
        z = tg.ones(3)
    z.add_(1)
    assert (z * x).requires_grad


def test_fork_rng_puts_the_stream_back():
    tg.manual_seed(3)
    with tg.random.fork_rng():
        inside = tg.randn(4).numpy().copy()
    after = tg.randn(4).numpy()
    np.testing.assert_array_equal(after, inside)  # the stream outside did not move
    with tg.random.fork_rng(enabled=False):
        tg.randn(4)
    assert not np.array_equal(tg.randn(4).numpy(), after)


def test_a_pickled_generator_draws_on_from_where_it_was():
    import pickle

    g = tg.Generator().manual_seed(8)
    tg.randn(5, generator=g)  # a cached normal and a position mid-state
    copy = pickle.loads(pickle.dumps(g))
    for n in (3, 1000, 7):  # below and above the kernels' threshold
        np.testing.assert_array_equal(
            tg.randn(n, generator=copy).numpy(), tg.randn(n, generator=g).numpy()
        )
    np.testing.assert_array_equal(copy.get_state().numpy(), g.get_state().numpy())
