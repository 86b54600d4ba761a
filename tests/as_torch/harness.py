"""Run one PyTorch program twice, under real torch and under ``tensorgrad.as_torch``, with the
weights copied across, and compare what the two runs return.

A program (``programs/*.py``, plain PyTorch) is loaded twice from its source file: once with
real torch, once inside ``as_torch.installed()`` (the alias is in ``sys.modules`` only for that
run; real torch is put back after). Each load is a fresh module, registered in ``sys.modules``
under its own name while it runs, so pickling its classes by reference works.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import torch

import tensorgrad as tg
from tensorgrad import as_torch

PROGRAMS = Path(__file__).resolve().parent / "programs"


def load_program(name: str, flavour: str):
    """A fresh module of ``programs/<name>.py`` named ``<name>_<flavour>``, importing whichever
    ``torch`` is in place now."""
    module_name = f"as_torch_program_{name}_{flavour}"
    spec = importlib.util.spec_from_file_location(module_name, PROGRAMS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def to_numpy(value):
    """A result as NumPy: tensors of either framework, numbers and (nested) lists of numbers."""
    if hasattr(value, "detach"):
        return np.array(value.detach().cpu().numpy())
    return np.asarray(value)


def state_arrays(model) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


def run_both(name: str, steps: int) -> tuple[dict, dict, object, object]:
    """Run program ``name`` for ``steps`` under real torch, then under tensorgrad starting from
    the torch run's initial weights; returns both results (as NumPy) and both modules."""
    assert "torch" in sys.modules and sys.modules["torch"] is torch
    real = load_program(name, "torch")
    torch.manual_seed(0)
    models_t, data_t = real.make()
    states = {k: state_arrays(m) for k, m in models_t.items()}
    out_t = {k: to_numpy(v) for k, v in real.train(models_t, data_t, steps).items()}
    with as_torch.installed() as alias:
        assert alias is not torch and sys.modules["torch"] is alias
        ours = load_program(name, "tensorgrad")
        assert ours.torch is alias
        models_g, data_g = ours.make()
        for key, model in models_g.items():
            model.load_state_dict({k: tg.tensor(v) for k, v in states[key].items()})
        out_g = {k: to_numpy(v) for k, v in ours.train(models_g, data_g, steps).items()}
    assert sys.modules["torch"] is torch, "real torch was not restored"
    return out_t, out_g, real, ours


def assert_same_results(out_t: dict, out_g: dict, rtol: float, atol: float, skip=()) -> None:
    """Every result of the torch run equals tensorgrad's (same keys, shapes and dtype kind)."""
    assert sorted(out_t) == sorted(out_g)
    for key in out_t:
        if key in skip:
            continue
        want, got = out_t[key], out_g[key]
        assert want.shape == got.shape, f"{key}: shape {got.shape}, torch {want.shape}"
        assert want.dtype.kind == got.dtype.kind, f"{key}: dtype {got.dtype}, torch {want.dtype}"
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=key)
