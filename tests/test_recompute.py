"""tensorgrad/recompute.py (``torch.utils.checkpoint``): checkpointed blocks give the
gradients the blocks give uncheckpointed (dropout masks drawn again equal), and PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.recompute import checkpoint, checkpoint_sequential


def _blocks(lib, seed=0):
    rng = np.random.default_rng(seed)
    nn_ = lib.nn
    blocks = nn_.ModuleList(
        [nn_.Sequential(nn_.Linear(6, 6), nn_.Tanh(), nn_.Linear(6, 6)) for _ in range(3)]
    )
    state = {k: rng.standard_normal(tuple(v.shape)) * 0.5 for k, v in blocks.state_dict().items()}
    blocks.load_state_dict({k: lib.tensor(v, dtype=lib.float32) for k, v in state.items()})
    return blocks


@pytest.mark.parametrize("input_requires_grad", [False, True])
def test_checkpointed_blocks_match_torch(input_requires_grad):
    x = np.random.default_rng(1).standard_normal((4, 6))
    grads = []
    for lib, ckpt in ((tg, checkpoint), (torch, torch.utils.checkpoint.checkpoint)):
        blocks = _blocks(lib)
        h = xt = lib.tensor(x, dtype=lib.float32).requires_grad_(input_requires_grad)
        for block in blocks:
            h = h + ckpt(block, h, use_reentrant=False)
        loss = h.square().mean()
        loss.backward()
        grads.append([p.grad.numpy() for p in blocks.parameters()] + [loss.detach().numpy()])
        if input_requires_grad:
            grads[-1].append(xt.grad.numpy())
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_checkpoint_sequential_matches_torch():
    x = np.random.default_rng(2).standard_normal((3, 6))
    results = []
    runs = ((tg, checkpoint_sequential), (torch, torch.utils.checkpoint.checkpoint_sequential))
    for lib, run in runs:
        seq = lib.nn.Sequential(*[block for block in _blocks(lib)])
        xt = lib.tensor(x, dtype=lib.float32, requires_grad=True)
        out = run(seq, 2, xt, use_reentrant=False)
        out.sum().backward()
        grads = [p.grad.numpy() for p in seq.parameters()]
        results.append([out.detach().numpy(), xt.grad.numpy(), *grads])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_dropout_inside_a_checkpoint_draws_the_same_masks_again():
    """The backward's second run restores the random state: gradients equal the same blocks
    run without checkpointing from the same seed."""
    results = []
    for use_checkpoint in (True, False):
        tg.manual_seed(0)
        block = nn.Sequential(nn.Linear(6, 16), nn.Dropout(0.5), nn.Linear(16, 6))
        x = tg.tensor(np.random.default_rng(3).standard_normal((5, 6)), dtype=tg.float32)
        out = checkpoint(block, x, use_reentrant=False) if use_checkpoint else block(x)
        out.square().sum().backward()
        results.append([p.grad.numpy() for p in block.parameters()] + [tg.rand(3).numpy()])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_autograd_grad_through_a_checkpoint_raises():
    block = nn.Linear(3, 3)
    x = tg.ones(2, 3, requires_grad=True)
    out = checkpoint(block, x, use_reentrant=False).sum()
    with pytest.raises(RuntimeError, match=r"loss.backward\(\)"):
        tg.autograd.grad(out, [x])


def test_torch_utils_checkpoint_is_reachable_under_as_torch():
    from tensorgrad import as_torch

    with as_torch.installed():
        from torch.utils.checkpoint import checkpoint as torch_name

    assert torch_name is checkpoint and tg.utils.checkpoint.checkpoint is checkpoint
