"""The benchmark driver (benchmarks/_harness.py): workers that stay alive across rounds, ABBA
order, a failing worker's error. The workloads here are tiny NumPy loops; no timing is
asserted."""

import sys
import textwrap
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import _harness  # noqa: E402  (benchmarks/ is not a package)

SCRIPT = """
import sys
sys.path.insert(0, {benchmarks!r})
import numpy as np
import _harness

def setup(fail=False):
    if fail:
        raise ValueError("setup failed on purpose")
    a = np.ones((8, 8))
    calls = []
    def step():
        calls.append(1)
        a @ a
    return step, lambda: float(len(calls) + 1.5)

BENCH = _harness.Benchmark(
    name="tiny", description="a tiny loop", script=__file__,
    setup_tg=lambda: setup(fail={fail}), setup_torch=setup, target=1.0,
    full=_harness.Settings(iters=2, warmup=1, repeats=2, rounds=3),
    quick=_harness.Settings(iters=1, warmup=0, repeats=1, rounds=1),
)
if __name__ == "__main__":
    sys.exit(_harness.main(BENCH))
"""


def _bench(tmp_path, fail=False):
    pytest.importorskip("torch")  # the torch worker imports it for set_num_threads
    path = tmp_path / "bench_tiny.py"
    path.write_text(textwrap.dedent(SCRIPT.format(benchmarks=str(BENCHMARKS), fail=fail)))
    namespace = {"__file__": str(path), "__name__": "bench_tiny"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace["BENCH"]


def test_compare_runs_one_block_per_library_per_round(tmp_path, monkeypatch):
    monkeypatch.setattr(_harness, "GAP", 0.0)
    bench = _bench(tmp_path)
    result = _harness.compare(bench, bench.full, threads=1)
    assert len(result.tg_times) == len(result.torch_times) == len(result.ratios) == 3
    assert all(t > 0 for t in result.tg_times + result.torch_times)
    # the check ran once, before the warmup, in each worker: the same value on both sides
    assert result.tg_check == result.torch_check == 1.5
    assert "tiny" in _harness.format_table([result])


def test_a_failing_worker_raises_with_its_error(tmp_path):
    bench = _bench(tmp_path, fail=True)
    with pytest.raises(RuntimeError, match="setup failed on purpose"):
        _harness.compare(bench, bench.full, threads=1)


def test_rounds_alternate_abba(monkeypatch):
    monkeypatch.setattr(_harness, "GAP", 0.0)
    calls = []

    class Fake:
        def __init__(self, name):
            self.name = name

        def time(self):
            calls.append(self.name)
            return {"sec_per_iter": 1.0}

    times = _harness.time_rounds({"a": Fake("a"), "b": Fake("b")}, rounds=3)
    assert calls == ["a", "b", "b", "a", "a", "b"]
    assert times == {"a": [1.0] * 3, "b": [1.0] * 3}


def test_a_worker_dying_between_blocks_raises_with_its_error(tmp_path, monkeypatch):
    monkeypatch.setattr(_harness, "GAP", 0.0)
    script = tmp_path / "dies.py"
    script.write_text(
        "import sys\n"
        f"print({_harness.RESULT_TAG!r} + '{{}}', flush=True)\n"
        "sys.stdin.readline()\n"
        "sys.exit('died after the first request')\n"
    )
    worker = _harness.Worker([sys.executable, str(script)], 1, "dies")
    assert worker.ready == {}
    with pytest.raises(RuntimeError, match="died after the first request"):
        worker.time()
    with pytest.raises(RuntimeError, match="exit 1"):  # and again: the pipe is broken now
        worker.time()
    worker.close()


def test_ab_compares_tensorgrad_with_itself_under_two_environments(tmp_path, monkeypatch, capsys):
    import ab

    monkeypatch.setattr(_harness, "GAP", 0.0)
    _bench(tmp_path)  # writes bench_tiny.py
    script = str(tmp_path / "bench_tiny.py")
    argv = [script, "--rounds", "2", "--threads", "1", "--b-env", "TG_AB_SIDE=b"]
    assert ab.main([*argv, "--a-checkout", str(_harness.REPO_ROOT)]) == 0
    out = capsys.readouterr().out
    assert "B: env TG_AB_SIDE=b " in out and "A: env PYTHONPATH=" in out
    assert "tiny: A " in out and "B / A " in out and "2 rounds" in out
    with pytest.raises(SystemExit):
        ab.main([script, "--b-env", "no-equals-sign"])


def test_gpu_benchmark_smoke_on_the_cpu(capsys):
    """benchmarks/gpu.py end to end on the CPU (its smoke mode): a worker process per library,
    and the --compile rows, so the GPU session's script is known to run."""
    import gpu

    assert gpu.main(["--device", "cpu", "--no-torch", "--only", "mlp", "--compile"]) == 0
    out = capsys.readouterr().out
    assert "mlp: tensorgrad" in out and "mlp compiled: tensorgrad" in out
    assert "tg.c/eager" in out
