"""tg.cuda: is_available / device_count answer, never raise, with or without a GPU; the other
queries, seeding and memory counters behave as PyTorch built without CUDA when there is none."""

import collections
import warnings

import pytest

import tensorgrad as tg
from tests.conftest import cuda_available


def test_is_available_agrees_with_cupy():
    assert tg.cuda.is_available() is cuda_available()


def test_device_count():
    count = tg.cuda.device_count()
    assert isinstance(count, int)
    assert (count > 0) == cuda_available()


def test_manual_seed_seeds_the_default_generator_when_cuda_is_there():
    tg.manual_seed(5)
    tg.randn(2)
    tg.cuda.manual_seed(3)
    a = tg.randn(4)
    tg.manual_seed(3 if cuda_available() else 5)
    if not cuda_available():  # as PyTorch's CPU build: the CPU stream went on untouched
        tg.randn(2)
    assert tg.randn(4).tolist() == a.tolist()


# ------------------------------------------------------------------ PyTorch without CUDA
no_cuda = pytest.mark.skipif(cuda_available(), reason="the behaviour of a machine without CUDA")

# the calls a script makes unconditionally, with what PyTorch built without CUDA does:
# ("ok", value) or ("raises", exception type)
TORCH_CPU_BUILD = {
    "manual_seed_all(1)": ("ok", None),
    "seed()": ("ok", None),
    "seed_all()": ("ok", None),
    "empty_cache()": ("ok", None),
    "memory_allocated()": ("ok", 0),
    "memory_allocated(0)": ("ok", 0),
    "max_memory_allocated()": ("ok", 0),
    "memory_reserved()": ("ok", 0),
    "max_memory_reserved()": ("ok", 0),
    "memory_stats()": ("ok", collections.OrderedDict()),
    "is_initialized()": ("ok", False),
    "is_bf16_supported()": ("ok", False),
    "is_bf16_supported(False)": ("ok", False),
    "get_rng_state_all()": ("ok", []),
    "set_rng_state_all([])": ("ok", None),
    "set_device(-1)": ("ok", None),
    "device_count()": ("ok", 0),
    "is_available()": ("ok", False),
    "initial_seed()": ("raises", AssertionError),
    "synchronize()": ("raises", AssertionError),
    "synchronize(0)": ("raises", AssertionError),
    "current_device()": ("raises", AssertionError),
    "get_device_name()": ("raises", AssertionError),
    "get_device_name(0)": ("raises", AssertionError),
    "get_device_capability()": ("raises", AssertionError),
    "get_device_properties()": ("raises", AssertionError),
    "mem_get_info()": ("raises", AssertionError),
    "init()": ("raises", AssertionError),
    "get_rng_state()": ("raises", AssertionError),
    "set_device(None)": ("raises", ValueError),
    "set_device('cuda')": ("raises", ValueError),
    "set_device('cpu')": ("raises", ValueError),
    "set_device(1.5)": ("raises", ValueError),
}


@no_cuda
@pytest.mark.parametrize("call", list(TORCH_CPU_BUILD))
def test_queries_behave_as_pytorch_without_cuda(call):
    import torch

    outcome, expected = TORCH_CPU_BUILD[call]
    for module in (tg.cuda, torch.cuda):
        if outcome == "ok":
            assert eval(f"module.{call}") == expected, (module, call)
        else:
            with pytest.raises(expected):
                eval(f"module.{call}")
    if outcome == "raises" and expected is AssertionError:  # ours says why
        with pytest.raises(AssertionError, match="CUDA is not available: .*CuPy"):
            eval(f"tg.cuda.{call}")


@no_cuda
def test_set_device_and_reset_peak_need_cuda_and_device_context_is_a_no_op_for_none():
    # PyTorch's CPU build fails here with an AttributeError of its missing bindings
    for call in (lambda: tg.cuda.set_device(0), lambda: tg.cuda.set_device("cuda:1")):
        with pytest.raises(AssertionError, match="CUDA is not available"):
            call()
    with pytest.raises(AssertionError, match="CUDA is not available"):
        tg.cuda.reset_peak_memory_stats()
    with pytest.warns(FutureWarning, match="reset_peak_memory_stats"):
        with pytest.raises(AssertionError):
            tg.cuda.reset_max_memory_allocated()
    for idx in (None, -1):
        with tg.cuda.device(idx):  # documented as a no-op (PyTorch's CPU build trips on None)
            pass
    with pytest.raises(AssertionError):
        with tg.cuda.device(0):
            pass
    with pytest.raises(AssertionError):
        tg.cuda.Event(enable_timing=True)


@no_cuda
def test_seeding_without_cuda_keeps_cpu_runs_reproducible():
    tg.manual_seed(5)
    a = tg.randn(3).tolist()
    tg.manual_seed(5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.cuda.seed()  # no CUDA generator to reseed: the CPU stream goes on untouched
        tg.cuda.seed_all()
        tg.cuda.set_rng_state(tg.get_rng_state())
        tg.cuda.set_rng_state_all([tg.zeros(48, dtype=tg.uint8)])
    tg.cuda.manual_seed_all(9)  # no CUDA generator to seed either
    assert tg.randn(3).tolist() == a


def test_device_index_rules():
    from tensorgrad.cuda import _device_index

    assert _device_index(2, optional=False) == 2
    assert _device_index("cuda:1", optional=False) == 1
    assert _device_index(tg.device("cuda:3"), optional=False) == 3
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        _device_index("cpu", optional=True)
    with pytest.raises(ValueError, match="with a specified index or an integer, but got:cuda"):
        _device_index("cuda", optional=False)
