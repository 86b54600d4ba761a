"""tensorgrad.accelerator (torch.accelerator): the same answers as PyTorch on this machine."""

from __future__ import annotations

import pytest
import torch

import tensorgrad as tg
from tensorgrad import as_torch

from ..conftest import cuda_available


@pytest.mark.skipif(cuda_available(), reason="checks the answers without a GPU")
def test_without_a_gpu_as_pytorch_on_a_cpu_build():
    assert tg.accelerator.current_accelerator() is None
    assert torch.accelerator.current_accelerator() is None
    assert tg.accelerator.is_available() is torch.accelerator.is_available() is False
    assert tg.accelerator.device_count() == torch.accelerator.device_count() == 0
    for fn, args in (("current_device_index", ()), ("set_device_index", (0,)), ("synchronize", ())):
        with pytest.raises(RuntimeError) as theirs:
            getattr(torch.accelerator, fn)(*args)
        with pytest.raises(RuntimeError, match="none is available") as ours:
            getattr(tg.accelerator, fn)(*args)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.cuda
@pytest.mark.skipif(not cuda_available(), reason="needs CuPy and a CUDA device")
def test_with_a_gpu():
    assert tg.accelerator.current_accelerator() == tg.device("cuda")
    assert tg.accelerator.is_available() and tg.accelerator.device_count() >= 1
    tg.accelerator.set_device_index(0)
    assert tg.accelerator.current_device_index() == 0
    with tg.accelerator.device_index(0):
        x = tg.ones(3, device=tg.accelerator.current_accelerator())
    tg.accelerator.synchronize()
    assert x.device == tg.device("cuda:0")


def test_the_device_selection_idiom():
    with as_torch.installed() as t:
        use_accel = t.accelerator.is_available()
        device = t.accelerator.current_accelerator() if use_accel else t.device("cpu")
        assert device == (tg.device("cuda") if cuda_available() else tg.device("cpu"))
        assert t.ones(2).to(device).device == device
