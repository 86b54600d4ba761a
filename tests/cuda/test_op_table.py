"""Every op-table entry (tests/op_harness.py) re-run on ``'cuda'``: the same float32 inputs on
the CPU and on the GPU give the same outputs and the same gradient for every input."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tests.cuda import _common
from tests.cuda._common import CUDA_LIB, assert_close, flat
from tests.op_harness import make_arrays
from tests.test_op_coverage import _tables


def _params():
    for spec in _tables():
        for k, case in enumerate(spec.cases):
            yield pytest.param(spec, case, id=f"{spec.name}-{k}")


def _inputs(arrays, device):
    out = []
    for a in arrays:
        if not isinstance(a, np.ndarray):
            out.append(a)
            continue
        t = tg.from_numpy(a.copy())
        if device != "cpu":
            t = t.to(device)
        if a.dtype.kind == "f":
            t.requires_grad_(True)
        out.append(t)
    return out


def _run(spec, arrays, device, upstream_seed):
    inputs = _inputs(arrays, device)
    outs = flat(spec.fn(CUDA_LIB if device == _common.DEVICE else tg, *inputs))
    roots = [o for o in outs if isinstance(o, tg.Tensor) and o.requires_grad]
    if roots:
        rng = np.random.default_rng(upstream_seed)
        grads = [
            tg.tensor(rng.standard_normal(tuple(o.shape)).astype(np.float32), device=device).to(
                o.dtype
            )
            for o in roots
        ]
        tg.autograd.backward(roots, grads)
    return inputs, outs


@pytest.mark.parametrize("spec,case", list(_params()))
def test_op_matches_cpu(spec, case):
    arrays = make_arrays(spec, case, np.float32, seed=0)
    cpu_in, cpu_out = _run(spec, arrays, "cpu", 1)
    gpu_in, gpu_out = _run(spec, arrays, _common.DEVICE, 1)
    assert len(gpu_out) == len(cpu_out)
    tol = dict(atol=max(spec.atol, 1e-5), rtol=max(spec.rtol, 1e-4))
    for i, (g, c) in enumerate(zip(gpu_out, cpu_out)):
        assert_close(g, c, f"{spec.name} output {i}", **tol)
    for i, (g, c) in enumerate(zip(gpu_in, cpu_in)):
        if not isinstance(c, tg.Tensor) or not c.requires_grad:
            continue
        if c.grad is None:
            assert g.grad is None or not np.any(g.grad.cpu().numpy()), f"{spec.name} input {i}"
            continue
        assert g.grad is not None, f"{spec.name}: input {i} got no gradient on cuda"
        assert_close(g.grad, c.grad, f"{spec.name} gradient of input {i}", **tol)
