"""The script tooling around a training loop under as_torch: torch.jit's TorchScript entry points
(identities), torch.profiler (record_function timing) and torch.utils.tensorboard's
SummaryWriter (JSON lines), each against what real PyTorch shows where it is observable."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tensorgrad import as_torch


def _smooth(x, eps: float):
    return (x * (1.0 - eps)).exp().sum(-1)


def test_jit_script_and_trace_give_pytorchs_numbers():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    lin = torch.nn.Linear(4, 2)
    state = {k: v.detach().numpy().copy() for k, v in lin.state_dict().items()}
    ref_fn = torch.jit.script(_smooth)(torch.from_numpy(x), 0.1).numpy()
    ref_traced = torch.jit.trace(lin, torch.from_numpy(x))(torch.from_numpy(x)).detach().numpy()
    with as_torch.installed() as tg_torch:
        scripted = tg_torch.jit.script(_smooth)
        assert scripted is _smooth  # an identity: no TorchScript
        np.testing.assert_allclose(scripted(tg_torch.tensor(x), 0.1).numpy(), ref_fn, rtol=1e-6)
        m = tg_torch.nn.Linear(4, 2)
        m.load_state_dict({k: tg_torch.tensor(v) for k, v in state.items()})
        traced = tg_torch.jit.trace(m, tg_torch.tensor(x))
        assert traced is m
        out = traced(tg_torch.tensor(x)).detach().numpy()
        np.testing.assert_allclose(out, ref_traced, rtol=1e-6)
        assert not tg_torch.jit.is_scripting() and not tg_torch.jit.is_tracing()
        with pytest.raises(NotImplementedError, match="state_dict"):
            tg_torch.jit.save(traced, "m.pt")
        with pytest.raises(NotImplementedError, match="TorchScript"):
            tg_torch.jit.load("m.pt")


def _profile_keys(t, name_outer: str, name_inner: str):
    from torch.profiler import ProfilerActivity, profile, record_function

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(2):
            with record_function(name_outer):
                with record_function(name_inner):
                    t.ones(8, 8).sum()
    rows = {e.key: e for e in prof.key_averages()}
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=10)
    return rows, table


def test_profiler_counts_record_function_blocks_as_pytorch_does():
    ref, ref_table = _profile_keys(torch, "outer_blk", "inner_blk")
    with as_torch.installed() as tg_torch:
        rows, table = _profile_keys(tg_torch, "outer_blk", "inner_blk")
        from torch.autograd.profiler import profile as autograd_profile

        from tensorgrad.profiler import profile as ours

        assert autograd_profile is ours
    for key in ("outer_blk", "inner_blk"):
        assert rows[key].count == ref[key].count == 2
        assert key in table and key in ref_table
        # a block's total holds its nested block's; self time excludes it
        assert rows[key].cpu_time_total >= rows[key].self_cpu_time_total >= 0
    assert rows["outer_blk"].cpu_time_total >= rows["inner_blk"].cpu_time_total
    assert "Self CPU time total" in table


def test_summary_writer_writes_json_lines(tmp_path):
    with as_torch.installed() as tg_torch:
        from torch.utils.tensorboard import SummaryWriter

        with SummaryWriter(log_dir=str(tmp_path / "run")) as w:
            w.add_scalar("loss", tg_torch.tensor(0.5), 3)
            w.add_scalars("acc", {"train": 0.9, "val": 0.8}, 3)
            w.add_histogram("w", tg_torch.arange(10.0), 3)
            w.add_text("cfg", "lr=0.1")
        assert w.get_logdir() == str(tmp_path / "run")
    lines = [json.loads(s) for s in (tmp_path / "run" / "events.jsonl").read_text().splitlines()]
    assert [(r["kind"], r["tag"]) for r in lines] == [
        ("scalar", "loss"),
        ("scalar", "acc/train"),
        ("scalar", "acc/val"),
        ("histogram", "w"),
        ("text", "cfg"),
    ]
    assert lines[0]["value"] == 0.5 and lines[0]["step"] == 3
    hist = lines[3]
    assert (hist["min"], hist["max"], hist["mean"], hist["num"]) == (0.0, 9.0, 4.5, 10)
    assert sum(hist["bucket_counts"]) == 10 and hist["sum_squares"] == 285.0


def test_multiprocessing_is_the_standard_librarys():
    import multiprocessing

    import torch.multiprocessing as real_mp

    with as_torch.installed():
        import torch.multiprocessing as mp

        for name in ("set_start_method", "get_context", "Process", "Queue", "cpu_count"):
            assert getattr(mp, name) is getattr(multiprocessing, name)
            assert hasattr(real_mp, name)
