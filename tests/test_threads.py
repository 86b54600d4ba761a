"""``tg.set_num_threads`` / ``tg.get_num_threads``: one count for numba's parallel loops and the
optimizer's thread pool, and the two never run at once."""

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import kernels, threads
from tensorgrad.optim import _foreach


@pytest.fixture
def restore():
    saved_threads, saved_path = tg.get_num_threads(), kernels.current()
    yield
    tg.set_num_threads(saved_threads)
    kernels.use(saved_path)


def test_set_num_threads_roundtrip(restore):
    tg.set_num_threads(1)
    assert tg.get_num_threads() == threads.get_num_threads() == 1
    tg.set_num_threads(3)
    assert tg.get_num_threads() == 3


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects_non_positive_ints(bad, restore):
    with pytest.raises(ValueError, match="positive int"):
        tg.set_num_threads(bad)


@pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")
def test_set_num_threads_sets_numbas_count(restore):
    import numba

    tg.set_num_threads(1)
    assert numba.get_num_threads() == 1
    n = min(2, numba.config.NUMBA_NUM_THREADS)
    tg.set_num_threads(n)
    assert numba.get_num_threads() == n


def _big_step(make):
    rng = np.random.default_rng(0)
    params = [tg.tensor(rng.standard_normal(_foreach._MIN_PARALLEL + 5), requires_grad=True)]
    params[0].grad = tg.tensor(rng.standard_normal(params[0].shape))
    make(params).step()


def test_optimizer_pool_follows_get_num_threads(restore, monkeypatch):
    parts = []
    real_split = _foreach.split
    monkeypatch.setattr(_foreach, "split", lambda jobs, n: parts.append(n) or real_split(jobs, n))
    kernels.use("numpy")
    for n in (3, 2):
        tg.set_num_threads(n)
        _big_step(lambda ps: tg.optim.Adam(ps))
        assert parts[-1] == n and _foreach._pool_threads == n
    tg.set_num_threads(1)  # one thread: no pool hand-off at all
    count = len(parts)
    _big_step(lambda ps: tg.optim.SGD(ps, lr=0.1))
    assert len(parts) == count


@pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")
@pytest.mark.parametrize(
    "make",
    [lambda ps: tg.optim.SGD(ps, lr=0.1, momentum=0.9), lambda ps: tg.optim.AdamW(ps)],
    ids=["sgd", "adamw"],
)
def test_kernels_enabled_keeps_sgd_and_adam_off_the_pool(make, restore, monkeypatch):
    # numba's workqueue threading layer aborts when two threads enter a parallel region at
    # once: with the kernels on, SGD and Adam run their numba kernel and submit nothing
    def no_pool(*args, **kwargs):
        raise AssertionError("the optimizer's pool ran while the numba kernels are enabled")

    monkeypatch.setattr(_foreach, "_run_share", no_pool)
    kernels.use("numba")
    tg.set_num_threads(2)
    _big_step(make)
