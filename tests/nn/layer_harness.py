"""Compare a tensorgrad layer with the same PyTorch layer, weights copied across.

``check_layer(tg_layer, torch_layer, inputs)``:
1. casts both to float64 and copies PyTorch's weights into tensorgrad through
   ``load_state_dict`` (strict: the state-dict keys must match exactly);
2. runs both in the mode asked for (train or eval) on the same inputs (NumPy arrays; float
   arrays become inputs that require grad, integer arrays stay constants);
3. backpropagates the same random upstream gradient through every floating output;
4. compares outputs, input gradients, every parameter gradient (by name) and, after the step,
   every buffer (running statistics), at rtol 1e-6.
"""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")


def copy_weights(tg_layer, torch_layer) -> None:
    state = {k: v.detach().numpy().copy() for k, v in torch_layer.state_dict().items()}
    tg_layer.load_state_dict(state)  # strict: keys must match PyTorch's exactly


def _flat(out) -> list:
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out] if out is not None else []


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy() if hasattr(t, "cpu") else np.asarray(t.detach().array)


def check_layer(
    tg_layer,
    torch_layer,
    inputs,
    *,
    train: bool = True,
    forward=None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    seed: int = 0,
    copy: bool = True,
):
    """Run both layers on ``inputs`` (NumPy arrays) and compare everything; returns outputs."""
    forward = forward or (lambda layer, *xs: layer(*xs))
    tg_layer.double()
    torch_layer.double()
    if copy:
        copy_weights(tg_layer, torch_layer)
    tg_layer.train(train)
    torch_layer.train(train)
    tg_in, th_in = [], []
    for a in inputs:
        if isinstance(a, np.ndarray):
            a = a.astype(np.float64) if a.dtype.kind == "f" else a
            t1, t2 = tg.tensor(a), torch.tensor(a)
            if a.dtype.kind == "f":
                t1.requires_grad_(True)
                t2.requires_grad_(True)
            tg_in.append(t1)
            th_in.append(t2)
        else:
            tg_in.append(a)
            th_in.append(a)
    tg_out = _flat(forward(tg_layer, *tg_in))
    th_out = _flat(forward(torch_layer, *th_in))
    assert len(tg_out) == len(th_out), f"{len(tg_out)} outputs vs PyTorch's {len(th_out)}"
    rng = np.random.default_rng(seed)
    roots, th_roots, grads = [], [], []
    for i, (a, b) in enumerate(zip(tg_out, th_out)):
        assert tuple(a.shape) == tuple(b.shape), f"output {i}: {a.shape} vs {tuple(b.shape)}"
        np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=atol, err_msg=f"output {i}")
        if b.requires_grad:
            g = rng.standard_normal(tuple(b.shape))
            roots.append(a)
            th_roots.append(b)
            grads.append(g)
    if th_roots:
        tg.autograd.backward(roots, [tg.tensor(g) for g in grads])
        torch.autograd.backward(th_roots, [torch.tensor(g) for g in grads])
    for i, (a, b) in enumerate(zip(tg_in, th_in)):
        if isinstance(b, torch.Tensor) and b.requires_grad and b.grad is not None:
            assert a.grad is not None, f"input {i} got no gradient"
            np.testing.assert_allclose(
                _np(a.grad), _np(b.grad), rtol=rtol, atol=atol, err_msg=f"input {i} gradient"
            )
    th_params = dict(torch_layer.named_parameters())
    tg_params = dict(tg_layer.named_parameters())
    assert list(tg_params) == list(th_params), "parameter names differ from PyTorch's"
    for name, p in th_params.items():
        q = tg_params[name]
        if p.grad is None:
            assert q.grad is None or not np.any(_np(q.grad)), f"{name} should get no gradient"
            continue
        assert q.grad is not None, f"parameter {name} got no gradient"
        np.testing.assert_allclose(
            _np(q.grad), _np(p.grad), rtol=rtol, atol=atol, err_msg=f"gradient of {name}"
        )
    th_buffers = dict(torch_layer.named_buffers())
    for name, b in tg_layer.named_buffers():
        np.testing.assert_allclose(
            _np(b), _np(th_buffers[name]), rtol=rtol, atol=atol, err_msg=f"buffer {name}"
        )
    return tg_out, th_out
