"""torch.autograd's legacy names against PyTorch: Variable makes a Tensor, is_tensor_like, and
the grad-mode names re-exported there."""

import numpy as np
import pytest
import torch

import tensorgrad as tg
from tensorgrad.autograd import Variable, inference_mode, is_tensor_like


def test_variable_returns_a_detached_tensor_like_torch():
    for lib in (tg, torch):
        t = lib.ones(2)
        v = lib.autograd.Variable(t, requires_grad=True)
        assert type(v) is lib.Tensor and v is not t
        assert v.requires_grad and v.is_leaf and not t.requires_grad
        assert isinstance(t, lib.autograd.Variable) and not isinstance(1.0, lib.autograd.Variable)
        assert not lib.autograd.Variable(t).requires_grad
        y = lib.ones(2, requires_grad=True) * 2
        d = lib.autograd.Variable(y)  # a non-leaf comes back cut from its graph
        assert d.is_leaf and d.grad_fn is None and not d.requires_grad
        assert lib.autograd.Variable().shape == (0,)
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
            lib.autograd.Variable([1.0])
        with pytest.warns(UserWarning, match="volatile was removed"):
            lib.autograd.Variable(t, volatile=True)


def test_variable_shares_storage_and_trains():
    t = tg.tensor([1.0, 2.0])
    v = Variable(t, requires_grad=True)
    (v * v).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [2.0, 4.0])
    t.add_(1.0)  # the same storage, as in PyTorch
    assert v.tolist() == [2.0, 3.0]
    with pytest.raises(RuntimeError, match="floating point"):
        Variable(tg.tensor([1, 2]), requires_grad=True)


def test_is_tensor_like_and_inference_mode():
    assert is_tensor_like(tg.ones(1)) and is_tensor_like(tg.nn.Parameter(tg.ones(1)))
    assert not is_tensor_like(1.0) and not is_tensor_like(np.ones(1))
    assert inference_mode is tg.inference_mode
    with tg.autograd.inference_mode():
        assert not (tg.ones(1, requires_grad=True) * 2).requires_grad
    names = {"Variable", "inference_mode", "is_tensor_like", "no_grad", "enable_grad"}
    assert names <= set(tg.autograd.__all__) and names <= set(dir(torch.autograd))
