"""tensorgrad/flags.py and the other process-wide switches against PyTorch's: what each reads
back after a set, and the errors and warnings for bad values."""

import numpy as np
import pytest
import torch

import tensorgrad as tg
from tensorgrad import flags


@pytest.fixture(autouse=True)
def restore():
    saved = (torch.get_float32_matmul_precision(), torch.get_deterministic_debug_mode())
    yield
    for lib in (tg, torch):
        lib.set_float32_matmul_precision(saved[0])
        lib.set_deterministic_debug_mode(saved[1])
    flags._warn_always = False


def test_float32_matmul_precision_reads_back_and_warns_on_a_bad_value():
    for precision in ("high", "medium", "highest"):
        for lib in (tg, torch):
            lib.set_float32_matmul_precision(precision)
        assert tg.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    with pytest.warns(UserWarning, match="low is not one of 'highest', 'high', or 'medium'"):
        tg.set_float32_matmul_precision("low")
    assert tg.get_float32_matmul_precision() == "highest"


@pytest.mark.parametrize(
    "setting",
    [
        ("use", True, False), ("use", True, True), ("use", False, False),
        ("debug", "warn"), ("debug", "error"), ("debug", "default"), ("debug", 1), ("debug", 2),
    ],
)  # fmt: skip
def test_deterministic_switches_read_back_as_torch(setting):
    for lib in (tg, torch):
        if setting[0] == "use":
            lib.use_deterministic_algorithms(setting[1], warn_only=setting[2])
        else:
            lib.set_deterministic_debug_mode(setting[1])
    for name in (
        "are_deterministic_algorithms_enabled",
        "is_deterministic_algorithms_warn_only_enabled",
        "get_deterministic_debug_mode",
    ):
        assert getattr(tg, name)() == getattr(torch, name)(), name


@pytest.mark.parametrize(
    "call", [lambda lib: lib.set_deterministic_debug_mode("x"),
             lambda lib: lib.set_deterministic_debug_mode(3),
             lambda lib: lib.use_deterministic_algorithms(1)],
)  # fmt: skip
def test_deterministic_switches_refuse_what_torch_refuses(call):
    with pytest.raises((RuntimeError, TypeError)) as expected:
        call(torch)
    with pytest.raises(expected.type) as got:
        call(tg)
    assert str(got.value) == str(expected.value)


def test_small_queries_and_helpers_match_torch():
    assert tg.typename(tg.ones(2)) == torch.typename(torch.ones(2)) == "torch.FloatTensor"
    assert tg.typename(tg.ones(2, dtype=tg.float64)) == "torch.DoubleTensor"
    assert tg.typename(3) == torch.typename(3) == "int"
    assert tg.typename(tg.nn.Linear(1, 1)) == "tensorgrad.nn.linear.Linear"
    assert tg.set_flush_denormal(False) is False
    tg.set_warn_always(True)
    assert tg.is_warn_always_enabled()
    assert tg.get_num_interop_threads() >= 1
    assert tg.is_anomaly_check_nan_enabled() == torch.is_anomaly_check_nan_enabled()
    tg.set_anomaly_enabled(True)
    try:
        assert tg.is_anomaly_enabled()
    finally:
        tg.set_anomaly_enabled(False)
    assert not tg.is_anomaly_enabled()


def test_scalar_tensor_and_asarray_as_torch():
    for value, kwargs in ((3, {}), (2.5, {}), (1, {"dtype": "int64"})):
        ours = tg.scalar_tensor(value, **{k: getattr(tg, v) for k, v in kwargs.items()})
        theirs = torch.scalar_tensor(value, **{k: getattr(torch, v) for k, v in kwargs.items()})
        assert ours.shape == () and str(ours.dtype)[11:] == str(theirs.dtype)[6:]
        assert ours.item() == theirs.item()
    host = np.ones(3)
    shared, copied = tg.asarray(host), tg.asarray(host, copy=True)
    host[0] = 7
    assert shared[0].item() == 7 and copied[0].item() == 1
    assert tg.asarray([1, 2]).dtype == tg.int64 and tg.asarray([1.5]).dtype == tg.float32
    x = tg.ones(2, requires_grad=True)
    assert tg.asarray(x) is x  # as torch.asarray: the tensor itself, its flag kept
    assert not tg.asarray(x, requires_grad=False).requires_grad
    assert tg.asarray(host, requires_grad=True).requires_grad
    with pytest.raises(ValueError, match="without a copy"):
        tg.asarray(host, dtype=tg.float32, copy=False)


def test_real_tensor_complex_views_are_the_tensor():
    x = tg.randn(2, 3)
    for name in ("conj", "resolve_conj", "resolve_neg", "conj_physical", "real"):
        assert np.array_equal(getattr(tg, name)(x).numpy(), x.numpy())
    assert not tg.is_conj(x) and not tg.is_neg(x)
    for lib, t in ((tg, x), (torch, torch.randn(2, 3))):
        with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non"):
            lib.imag(t)
