"""detect_anomaly: the op, the shapes and the user's line of the first NaN/Inf, forward or
backward; nothing changes outside the block."""

import inspect
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.autograd import anomaly, function


def next_line() -> int:
    return inspect.currentframe().f_back.f_lineno + 1


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own "invalid value" warning
        yield


def test_forward_nan_names_the_op_shapes_and_line():
    x = tg.tensor([[1.0, -1.0, 2.0]], requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        with tg.autograd.detect_anomaly():
            line = next_line()
            y = x.log()  # noqa: F841 (the error message must quote this very line)
    message = str(info.value)
    assert "'Log" in message and "LogBackward0" in message and "nan" in message
    assert "(1, 3)" in message
    assert f'test_anomaly.py", line {line}' in message and "y = x.log()" in message
    assert "tensorgrad/" not in message.replace("tests/", "")  # the library's frames are skipped
    assert not tg.autograd.is_anomaly_enabled()


def test_backward_inf_names_the_node_and_the_forward_line():
    x = tg.tensor([0.0, 1.0, 4.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        with tg.autograd.detect_anomaly():
            line = next_line()
            y = x.sqrt()  # finite forward; d sqrt(x)/dx = 1 / (2 sqrt(x)) is inf at 0
            (y * 3).sum().backward()
    message = str(info.value)
    assert "Function 'SqrtBackward0' returned inf values in its 0th output" in message
    assert "(3,)" in message
    assert f'test_anomaly.py", line {line}' in message and "y = x.sqrt()" in message
    assert x.grad is None  # raised before reaching the leaf
    assert not tg.autograd.is_anomaly_enabled()


def test_without_the_mode_nothing_is_checked_or_recorded():
    x = tg.tensor([0.0, -1.0], requires_grad=True)
    y = x.log() + x.sqrt()
    y.sum().backward()  # nan and inf, silently, as in PyTorch
    assert np.isnan(x.grad.numpy()).any()
    assert not hasattr(y.grad_fn, "_anomaly_stack")
    assert function._watch is None and anomaly._in_backward == [0]


def test_mode_is_restored_after_the_block_and_after_an_error():
    assert not tg.autograd.is_anomaly_enabled()
    with tg.autograd.detect_anomaly():
        assert tg.autograd.is_anomaly_enabled()
        with tg.autograd.set_detect_anomaly(False):
            assert not tg.autograd.is_anomaly_enabled()
            assert function._watch is None
        assert tg.autograd.is_anomaly_enabled()
    assert not tg.autograd.is_anomaly_enabled() and function._watch is None
    with pytest.raises(RuntimeError):
        with tg.autograd.detect_anomaly():
            tg.tensor([-1.0]).log()
    assert not tg.autograd.is_anomaly_enabled() and function._watch is None
    tg.autograd.set_detect_anomaly(True)  # as a plain call, like PyTorch
    try:
        assert tg.autograd.is_anomaly_enabled()
    finally:
        tg.autograd.set_detect_anomaly(False)
    assert not tg.autograd.is_anomaly_enabled()


def test_finite_work_runs_unchanged_in_the_mode():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with tg.autograd.detect_anomaly():
        y = (x.log() * x).sum()
        y.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.log([1, 2, 3]) + 1, rtol=1e-6)
    assert y.grad_fn._anomaly_stack  # nodes remember where they were made


def test_check_nan_false_only_records_where_nodes_were_created():
    x = tg.tensor([-1.0], requires_grad=True)
    with tg.autograd.detect_anomaly(check_nan=False):
        y = x.log()
    assert np.isnan(y.detach().numpy()).all() and y.grad_fn._anomaly_stack


def test_a_user_function_output_is_checked_too():
    class Bad(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * float("inf")

        @staticmethod
        def backward(ctx, g):
            return g

    x = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="'Bad.*inf"):
        with tg.autograd.detect_anomaly():
            Bad.apply(x)
