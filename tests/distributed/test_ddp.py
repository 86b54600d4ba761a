"""DistributedDataParallel, collectives and fit on real MPI jobs: each test launches
``mpiexec -n 2`` on worker.py and checks what the ranks wrote."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import cuda_available
from tests.distributed import worker

pytest.importorskip("mpi4py", reason="the dist extra (mpi4py, mpich) is not installed")
MPIEXEC = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or shutil.which("mpiexec")
if MPIEXEC is None:
    pytest.skip("no mpiexec on PATH (pip install mpich)", allow_module_level=True)

WORKER = str(Path(worker.__file__))


ROOT = Path(__file__).parents[2]


def mpirun(argv: list, n: int = 2, timeout: float = 120):
    """``mpiexec -n N python ARGV...``; returns (CompletedProcess, seconds). One BLAS thread
    per rank: the ranks share the machine's cores."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    # Open MPI's mpiexec refuses to start as root unless told (the GPU machines run as root);
    # MPICH ignores these
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    cmd = [MPIEXEC, "-n", str(n), sys.executable, *map(str, argv)]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    return proc, time.monotonic() - t0


def launch(scenario: str, outdir: Path, *args, n: int = 2, timeout: float = 120):
    """Run worker.py's ``scenario`` on n ranks."""
    return mpirun([WORKER, scenario, outdir, *args], n=n, timeout=timeout)


def run_ok(scenario: str, outdir: Path, *args, n: int = 2) -> subprocess.CompletedProcess:
    proc, _ = launch(scenario, outdir, *args, n=n)
    assert proc.returncode == 0, f"mpiexec failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def params(path: Path) -> dict:
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def assert_same_model(got: dict, want: dict, rtol: float, atol: float) -> None:
    names = [k for k in want if not k.startswith("_")]
    assert names and set(names) <= set(got)
    for k in names:
        np.testing.assert_allclose(got[k], want[k], rtol=rtol, atol=atol, err_msg=k)


def test_ddp_on_two_ranks_equals_one_process_on_the_whole_batch(tmp_path):
    run_ok("ddp", tmp_path)
    reference = worker.train_reference(world=2)
    ranks = [params(tmp_path / f"rank{r}.npz") for r in range(2)]
    for got in ranks:
        assert_same_model(got, reference, rtol=1e-10, atol=1e-12)
    assert_same_model(ranks[1], ranks[0], rtol=0, atol=0)  # identical, bit for bit
    # one collective per bucket per backward, and there are several buckets
    assert ranks[0]["_buckets"] >= 2
    assert (ranks[0]["_collectives_per_step"] == ranks[0]["_buckets"]).all()


def test_no_sync_accumulates_then_averages(tmp_path):
    run_ok("no_sync", tmp_path)
    reference = worker.train_reference(world=2)
    for r in range(2):
        assert_same_model(params(tmp_path / f"rank{r}.npz"), reference, rtol=1e-10, atol=1e-12)


def test_sync_batchnorm_equals_batchnorm_on_the_whole_batch(tmp_path):
    run_ok("syncbn", tmp_path)
    reference = worker.train_bn_reference(world=2)
    assert "1.running_var" in reference
    for r in range(2):
        assert_same_model(params(tmp_path / f"rank{r}.npz"), reference, rtol=1e-10, atol=1e-12)


def test_one_rank_job_is_plain_training(tmp_path):
    run_ok("ddp", tmp_path, n=1)
    assert_same_model(params(tmp_path / "rank0.npz"), worker.train_reference(world=1), 0, 0)


def test_collectives(tmp_path):
    run_ok("collectives", tmp_path, n=3)
    for r in range(3):
        results = json.loads((tmp_path / f"rank{r}.json").read_text())
        failed = [name for name, ok in results.items() if not ok]
        assert not failed, f"rank {r}: {failed}"


def test_fit_resumes_exactly_on_two_ranks(tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    straight.mkdir()
    split.mkdir()
    proc = run_ok("fit", straight, 4)
    run_ok("fit", split, 2)
    run_ok("fit", split, 4)  # resumes from epoch 2's checkpoint
    want = params(straight / "rank0.npz")
    for r in range(2):
        got = params(split / f"rank{r}.npz")
        assert_same_model(got, want, rtol=0, atol=0)
        assert_same_model(params(straight / f"rank{r}.npz"), want, rtol=0, atol=0)
    # the second half of the split run logged epochs 3 and 4 with the same losses
    np.testing.assert_array_equal(params(split / "rank0.npz")["_train_loss"], want["_train_loss"])
    # logs come from rank 0 only: one line per epoch
    assert [line[:10] for line in proc.stdout.splitlines() if line.startswith("epoch")] == [
        f"epoch {e}/4 " for e in range(1, 5)
    ]


def test_fit_gives_each_sample_to_one_rank_per_epoch(tmp_path):
    run_ok("fit", tmp_path, 3)
    seen = [json.loads((tmp_path / f"seen{r}.json").read_text()) for r in range(2)]
    per_epoch = 23  # ceil(45 / 2) per rank; fit reads the train loader and then the val loader
    epochs = []
    for e in range(3):
        train = [s[2 * e * per_epoch : (2 * e + 1) * per_epoch] for s in seen]
        assert train[0] == seen[0][(2 * e + 1) * per_epoch : (2 * e + 2) * per_epoch]  # val
        both = train[0] + train[1]
        assert len(both) == 46 and set(both) == set(range(45))  # one sample padded twice
        epochs.append(both)
    assert epochs[0] != epochs[1] != epochs[2]  # set_epoch: a new order each epoch


def test_a_rank_that_raises_ends_the_job_with_its_error(tmp_path):
    proc, seconds = launch("raise", tmp_path, 30, timeout=90)
    assert proc.returncode != 0
    assert "rank 1 failed on purpose in step 4" in proc.stderr
    assert "aborting all 2 ranks" in proc.stderr
    assert seconds < 30  # MPI_Abort ends rank 0 at once, well before the collective timeout


def test_a_missing_collective_times_out_with_a_clear_error(tmp_path):
    proc, seconds = launch("skip", tmp_path, 2, timeout=90)
    assert proc.returncode != 0
    assert "all_reduce on rank 0 of 2 timed out after 2 s" in proc.stderr
    assert seconds < 30


def test_ddp_digits_example_runs_on_two_ranks(tmp_path):
    proc, _ = mpirun([ROOT / "examples" / "ddp_digits.py", "--tiny", "--out", tmp_path])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert sum(line.startswith("epoch 1/1") for line in lines) == 1  # rank 0 prints
    assert sum(line.startswith("test loss") for line in lines) == 1
    assert (tmp_path / "checkpoint.tgc").exists()


@pytest.mark.cuda
@pytest.mark.skipif(not cuda_available(), reason="needs CuPy and a CUDA GPU")
def test_ddp_nccl_equals_one_process(tmp_path):
    """NCCL on 2 ranks, one GPU each. NCCL refuses two ranks of one communicator on the same
    GPU, so with a single GPU the job must stop at init_process_group with an error saying so."""
    import cupy

    gpus = cupy.cuda.runtime.getDeviceCount()
    proc, _ = launch("ddp", tmp_path, "nccl", timeout=300)
    if gpus < 2:
        assert proc.returncode != 0
        assert "2 ranks need a GPU each, but 1 CUDA device(s) are visible" in proc.stderr
        # what one card can prove: NCCL's collectives on a communicator of one rank
        proc, _ = launch("ddp", tmp_path, "nccl", n=1, timeout=300)
        assert proc.returncode == 0, proc.stderr
        got = params(tmp_path / "rank0.npz")
        assert_same_model(got, worker.train_reference(world=1), rtol=1e-5, atol=1e-6)
        return
    assert proc.returncode == 0, proc.stderr
    reference = worker.train_reference(world=2)
    for r in range(2):
        assert_same_model(params(tmp_path / f"rank{r}.npz"), reference, rtol=1e-10, atol=1e-12)
