"""tg.cuda.is_available / device_count answer, never raise, with or without a GPU."""

import tensorgrad as tg
from tests.conftest import cuda_available


def test_is_available_agrees_with_cupy():
    assert tg.cuda.is_available() is cuda_available()


def test_device_count():
    count = tg.cuda.device_count()
    assert isinstance(count, int)
    assert (count > 0) == cuda_available()


def test_manual_seed_seeds_the_default_generator():
    tg.cuda.manual_seed(3)
    a = tg.randn(4)
    tg.manual_seed(3)
    assert tg.randn(4).tolist() == a.tolist()
