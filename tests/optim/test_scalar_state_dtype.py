"""Optimizers' scalar state (``step``, NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``) has
PyTorch's dtype: float32, or float64 under a float64 default dtype, and the values follow."""

import numpy as np
import pytest
import torch

import tensorgrad as tg

NAMES = ["SGD", "Adam", "AdamW", "NAdam", "RAdam", "ASGD", "Adamax", "RMSprop", "Adagrad"]


@pytest.fixture(params=["float32", "float64"])
def default(request):
    tg.set_default_dtype(getattr(tg, request.param))
    torch.set_default_dtype(getattr(torch, request.param))
    yield request.param
    tg.set_default_dtype(tg.float32)
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("name", NAMES)
def test_state_dtypes_and_values_match_torch(name, default):
    a = np.random.default_rng(0).standard_normal((3, 4)).astype(default)
    ours, theirs = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    opts = [getattr(lib.optim, name)([p], lr=0.1) for lib, p in ((tg, ours), (torch, theirs))]
    for _ in range(4):
        for p, opt in zip((ours, theirs), opts):
            (p**2).sum().backward()
            opt.step()
            opt.zero_grad()
    tol = dict(rtol=1e-5, atol=1e-7) if default == "float32" else dict(rtol=1e-12, atol=1e-14)
    mine, want = opts[0].state[ours], opts[1].state[theirs]
    assert set(mine) == set(want)
    for key, value in want.items():
        got = mine[key]
        assert str(got.dtype).split(".")[-1] == str(value.dtype).split(".")[-1], key
        np.testing.assert_allclose(got.numpy(), value.numpy(), err_msg=key, **tol)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tol)
