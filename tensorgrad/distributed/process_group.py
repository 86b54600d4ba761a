"""The process group: which rank this process is, and the collectives that connect the ranks.

A job is N copies of one script, started by ``mpiexec -n N python script.py``; each copy is a
*rank* (0 .. N-1). ``init_process_group`` joins the job, then collectives move tensors between
ranks. Every rank must call the same collectives in the same order, as in PyTorch.

Collectives work in place on ``tensor.array``::

    all_reduce      x_r <- op(x_0, ..., x_{N-1})            op in SUM, AVG, MAX, MIN
    broadcast       x_r <- x_src
    all_gather      out_r[i] <- x_i                         (a list of N tensors)
    reduce_scatter  y_r <- op over i of inputs_i[r]         (each rank gets one reduced chunk)

Two engines, no sockets of our own: MPI (mpi4py over the MPICH wheel) moves NumPy arrays;
NCCL (``cupy.cuda.nccl``, its unique id broadcast over MPI) moves CuPy arrays on GPUs, with MPI
still carrying CPU tensors and the barrier.

Failure is loud, not a hang: every collective is non-blocking underneath and waited for with a
deadline (``timeout``); a rank that waits longer raises ``RuntimeError``. A rank that dies of an
uncaught exception prints its traceback and aborts the whole job (``MPI_Abort``), so the other
ranks are ended at once instead of waiting in their next collective.
"""

from __future__ import annotations

import datetime
import importlib.util
import sys
import time
from typing import Any

import numpy as np

from .. import backend
from ..backend import is_float
from ..jit import recorder
from ..tensor import Tensor

DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)  # PyTorch's default


class ReduceOp:
    """How ``all_reduce`` and ``reduce_scatter`` combine the ranks' values."""

    SUM = "sum"
    AVG = "avg"
    MAX = "max"
    MIN = "min"


_OPS = (ReduceOp.SUM, ReduceOp.AVG, ReduceOp.MAX, ReduceOp.MIN)
_group: _MPIGroup | None = None


# ------------------------------------------------------------------------------ joining the job


def is_available() -> bool:
    """True when mpi4py (the ``dist`` extra: ``pip install tensorgrad[dist]``) is installed."""
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available() -> bool:
    return is_available()


def is_nccl_available() -> bool:
    """True when CuPy with NCCL is installed and a GPU is visible."""
    try:
        backend.nccl()
        return backend.cupy().cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def init_process_group(
    backend: str | None = None,
    timeout: datetime.timedelta | float | None = None,
    world_size: int = -1,
    rank: int = -1,
) -> None:
    """Join the job this process was started in (by ``mpiexec``; a script started on its own is
    a job of one rank). ``backend`` is ``'mpi'`` (CPU, the default) or ``'nccl'`` (GPUs: rank r
    uses GPU r mod the GPU count). ``timeout`` (a timedelta or seconds, default 30 minutes)
    bounds every collective's wait. ``world_size``/``rank``, when given, are checked against
    what the launcher says."""
    global _group
    if _group is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    name = "mpi" if backend is None else str(backend).lower()
    if name not in ("mpi", "nccl"):
        raise ValueError(f"init_process_group: backend must be 'mpi' or 'nccl', got {backend!r}")
    seconds = _seconds(DEFAULT_TIMEOUT if timeout is None else timeout)
    MPI = _mpi()
    comm = MPI.COMM_WORLD.Dup()  # our own communicator: user MPI traffic cannot interleave
    for what, given, actual in (
        ("world_size", world_size, comm.Get_size()),
        ("rank", rank, comm.Get_rank()),
    ):
        if given not in (-1, None) and given != actual:
            comm.Free()
            raise ValueError(
                f"init_process_group: {what}={given} but the launcher started this process "
                f"with {what} {actual} (mpiexec -n N sets both)"
            )
    group = _NCCLGroup(comm, seconds) if name == "nccl" else _MPIGroup(comm, seconds)
    _group = group
    _abort_job_on_uncaught_exception()


def destroy_process_group() -> None:
    """Leave the job: free the communicators. ``init_process_group`` may be called again."""
    global _group
    if _group is None:
        raise RuntimeError("destroy_process_group: no process group is initialized")
    group, _group = _group, None
    group.close()


def is_initialized() -> bool:
    return _group is not None


def get_rank() -> int:
    """This process's rank, 0 .. world_size - 1 (0 when no group is initialized, like a job of
    one; PyTorch raises there, but a script that runs alone or under mpiexec alike reads
    better this way)."""
    return _group.rank if _group is not None else 0


def get_world_size() -> int:
    """The number of ranks (1 when no group is initialized)."""
    return _group.world_size if _group is not None else 1


def get_backend() -> str:
    return _default_group().name


def barrier() -> None:
    """Wait until every rank got here."""
    group = _default_group()
    group.wait(group.comm.Ibarrier(), "barrier")


def _default_group() -> _MPIGroup:
    if _group is None:
        raise RuntimeError(
            "Default process group has not been initialized, please make sure to call "
            "init_process_group."
        )
    return _group


# ------------------------------------------------------------------------------- collectives


class Work:
    """A collective in flight (``async_op=True``): ``wait()`` finishes it and writes the result
    into its tensors."""

    def __init__(self, group: _MPIGroup, what: str, finish) -> None:
        self._group, self._what, self._finish = group, what, finish
        self._done = False

    def wait(self) -> bool:
        if not self._done:
            self._finish()
            self._done = True
        return True

    def is_completed(self) -> bool:
        return self._done


def all_reduce(tensor: Tensor, op: str = ReduceOp.SUM, group=None, async_op: bool = False):
    """``tensor`` <- op over ranks of ``tensor``, in place on every rank."""
    _check_tensor(tensor, "all_reduce")
    work = _default_group().all_reduce(tensor.array, _check_op(op), "all_reduce", _bump(tensor))
    return _finish(work, async_op)


def broadcast(tensor: Tensor, src: int, group=None, async_op: bool = False):
    """``tensor`` <- rank ``src``'s ``tensor``, in place on every rank."""
    _check_tensor(tensor, "broadcast")
    g = _default_group()
    _check_rank(src, g.world_size, "broadcast", "src")
    work = g.broadcast(tensor.array, src, "broadcast", _bump(tensor))
    return _finish(work, async_op)


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """``tensor_list[i]`` <- rank i's ``tensor``, on every rank."""
    g = _default_group()
    _check_tensor(tensor, "all_gather")
    _check_list(tensor_list, g.world_size, tensor, "all_gather", "tensor_list")
    received = g.xp(tensor.array).empty((g.world_size, *tensor.shape), dtype=tensor.array.dtype)

    def scatter_out():
        for i, out in enumerate(tensor_list):
            out.array[...] = received[i]
            _bump(out)()

    work = g.all_gather(tensor.array, received, "all_gather", scatter_out)
    return _finish(work, async_op)


def reduce_scatter(
    output: Tensor, input_list: list, op: str = ReduceOp.SUM, group=None, async_op: bool = False
):
    """``output`` on rank r <- op over ranks of their ``input_list[r]``."""
    g = _default_group()
    _check_tensor(output, "reduce_scatter")
    _check_list(input_list, g.world_size, output, "reduce_scatter", "input_list")
    xp = g.xp(output.array)
    stacked = xp.stack([t.array for t in input_list])
    work = g.reduce_scatter(stacked, output.array, _check_op(op), "reduce_scatter", _bump(output))
    return _finish(work, async_op)


def _finish(work: Work, async_op: bool) -> Work | None:
    """The Work itself for ``async_op=True``; otherwise wait for it here (PyTorch returns None)."""
    if async_op:
        return work
    work.wait()
    return None


def _bump(tensor: Tensor):
    """A finisher that records the in-place write in the tensor's version counter."""

    def bump():
        tensor._version_counter[0] += 1

    return bump


def _check_tensor(t: Any, fn: str) -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}: expected a Tensor, got {type(t).__name__}")
    recorder.host_read(f"{fn} (a collective: the other processes take part)")  # tg.compile


def _check_op(op: Any) -> str:
    if op not in _OPS:
        raise ValueError(f"unknown reduce op {op!r}; use ReduceOp.SUM, AVG, MAX or MIN")
    return op


def _check_rank(r: Any, world: int, fn: str, what: str) -> None:
    if isinstance(r, bool) or not isinstance(r, int) or not 0 <= r < world:
        raise ValueError(f"{fn}: {what}={r!r} is not a rank of this job (0 .. {world - 1})")


def _check_list(items: Any, world: int, like: Tensor, fn: str, what: str) -> None:
    if not isinstance(items, (list, tuple)) or len(items) != world:
        n = len(items) if isinstance(items, (list, tuple)) else type(items).__name__
        raise ValueError(f"{fn}: {what} must hold world_size={world} tensors, got {n}")
    for i, t in enumerate(items):
        _check_tensor(t, fn)
        if t.shape != like.shape or t.dtype != like.dtype or t.device != like.device:
            raise ValueError(
                f"{fn}: {what}[{i}] is {tuple(t.shape)} {t.dtype} on {t.device}, but the tensor "
                f"is {tuple(like.shape)} {like.dtype} on {like.device}; they must match"
            )


# ------------------------------------------------------------------------------------ engines


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError(
            "tensorgrad.distributed needs mpi4py and an MPI library: pip install "
            "'tensorgrad[dist]' (mpi4py and the mpich wheel, which brings mpiexec)"
        ) from e
    return MPI


def _seconds(timeout: Any) -> float:
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return float(timeout)
    raise ValueError(f"timeout must be a timedelta or a number of seconds > 0, got {timeout!r}")


class _MPIGroup:
    """Collectives over MPI on host arrays. A CuPy array travels through a host copy (the
    MPICH wheel is not CUDA-aware); float16 and bfloat16 are reduced in float32 and bool as
    uint8, types MPI's MAX/MIN/SUM do not define (bfloat16 is moved as uint16 otherwise)."""

    name = "mpi"

    def __init__(self, comm, timeout: float) -> None:
        self.MPI = _mpi()
        self.comm, self.timeout = comm, timeout
        self.rank, self.world_size = comm.Get_rank(), comm.Get_size()

    def close(self) -> None:
        self.comm.Free()

    def xp(self, array):
        return backend.xp_of(array)

    def wait(self, request, what: str) -> None:
        """Wait for ``request`` but not past the deadline. Test() is what moves MPI's
        messages along, so the first milliseconds poll without sleeping."""
        if request.Test():
            return
        start = time.monotonic()
        polls = 0
        while not request.Test():
            polls += 1
            if polls % 64 == 0:
                waited = time.monotonic() - start
                if waited > self.timeout:
                    raise RuntimeError(
                        f"tensorgrad.distributed: {what} on rank {self.rank} of "
                        f"{self.world_size} timed out after {self.timeout:g} s; another rank "
                        "failed, exited, or called a different collective"
                    )
                if waited > 0.005:
                    time.sleep(1e-4)

    def _host(self, array, reduce: bool):
        """``array`` itself, or a C-contiguous host copy of it that MPI can move (and reduce)."""
        host = backend.to_numpy(array) if not isinstance(array, np.ndarray) else array
        if (host.dtype == np.float16 or host.dtype is backend.BF16) and reduce:
            return host.astype(np.float32)
        if host.dtype is backend.BF16:  # MPI has no bfloat16: moved as its bits
            host = host.view(np.uint16)
        if host.dtype == np.bool_:
            return host.astype(np.uint8)
        if not host.flags.c_contiguous or not host.flags.writeable:
            return np.array(host, order="C")  # a copy MPI may write into
        return host

    def _work(self, request, what: str, buf, array, average: bool, then) -> Work:
        """The Work of an MPI request: wait, divide by the world size for AVG, copy ``buf``
        back into ``array`` (when it is a host copy), then run ``then``."""

        def finish():
            self.wait(request, what)
            if average:
                buf[...] /= self.world_size
            if buf is not array:
                moved = buf
                if buf.dtype == np.uint16 and array.dtype is backend.BF16:
                    moved = buf.view(array.dtype)  # bfloat16 bits (``_host``)
                array[...] = backend.xp_of(array).asarray(moved).astype(array.dtype, copy=False)
            if then is not None:
                then()

        return Work(self, what, finish)

    def _mpi_op(self, op: str, dtype, what: str):
        if op == ReduceOp.AVG and not is_float(dtype):
            raise TypeError(f"{what}: ReduceOp.AVG needs a floating tensor, got {dtype}")
        MPI = self.MPI
        return {"sum": MPI.SUM, "avg": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op]

    def all_reduce(self, array, op: str, what: str, then=None) -> Work:
        mpi_op = self._mpi_op(op, array.dtype, what)
        buf = self._host(array, reduce=True)
        request = self.comm.Iallreduce(self.MPI.IN_PLACE, buf, op=mpi_op)
        return self._work(request, what, buf, array, op == ReduceOp.AVG, then)

    def broadcast(self, array, src: int, what: str, then=None) -> Work:
        buf = self._host(array, reduce=False)
        request = self.comm.Ibcast(buf, root=src)
        return self._work(request, what, buf, array, False, then)

    def all_gather(self, array, out, what: str, then=None) -> Work:
        send, recv = self._host(array, reduce=False), self._host(out, reduce=False)
        request = self.comm.Iallgather(send, recv)
        return self._work(request, what, recv, out, False, then)

    def reduce_scatter(self, stacked, out, op: str, what: str, then=None) -> Work:
        mpi_op = self._mpi_op(op, out.dtype, what)
        send, recv = self._host(stacked, reduce=True), self._host(out, reduce=True)
        request = self.comm.Ireduce_scatter_block(send, recv, op=mpi_op)
        return self._work(request, what, recv, out, op == ReduceOp.AVG, then)


class _NCCLGroup(_MPIGroup):
    """CuPy arrays through NCCL on this rank's GPU; host arrays through MPI as above.

    NCCL runs the collective on the current CUDA stream; ``wait`` polls the stream against the
    deadline. NCCL refuses two ranks of one communicator on the same GPU, so an N-rank job needs
    N GPUs.
    """

    name = "nccl"

    def __init__(self, comm, timeout: float) -> None:
        super().__init__(comm, timeout)
        cp, nccl = backend.cupy(), backend.nccl()
        self.cp, self.nccl = cp, nccl
        self._nccl_types = {
            np.dtype(np.float16): nccl.NCCL_FLOAT16,
            np.dtype(np.float32): nccl.NCCL_FLOAT32,
            np.dtype(np.float64): nccl.NCCL_FLOAT64,
            np.dtype(np.int32): nccl.NCCL_INT32,
            np.dtype(np.int64): nccl.NCCL_INT64,
            np.dtype(np.uint8): nccl.NCCL_UINT8,
            np.dtype(np.int8): nccl.NCCL_INT8,
        }
        gpus = cp.cuda.runtime.getDeviceCount()
        if gpus < self.world_size:
            # NCCL (since 2.5) refuses two ranks of one communicator on the same GPU
            # ("Duplicate GPU detected"); say so before it does, in our words
            raise RuntimeError(
                f"init_process_group(backend='nccl'): {self.world_size} ranks need a GPU each, "
                f"but {gpus} CUDA device(s) are visible; NCCL does not allow two ranks on one "
                "GPU (start fewer ranks, or use backend='mpi' with CPU tensors)"
            )
        cp.cuda.Device(self.rank % gpus).use()
        # ncclUniqueId: 128 bytes, which CuPy hands out as bytes (CuPy 14) or as a tuple of
        # signed chars (older); rank 0 sends the values and which form they came in
        buf = np.zeros(129, dtype=np.int16)
        if self.rank == 0:
            raw = nccl.get_unique_id()
            if isinstance(raw, (bytes, bytearray)):
                buf[:128], buf[128] = np.frombuffer(bytes(raw), dtype=np.uint8), 1
            else:
                buf[:128] = raw
        super().wait(comm.Ibcast(buf, root=0), "init_process_group(nccl)")
        uid = bytes(buf[:128].astype(np.uint8)) if buf[128] else tuple(int(v) for v in buf[:128])
        self.nccl_comm = nccl.NcclCommunicator(self.world_size, uid, self.rank)

    def close(self) -> None:
        self.nccl_comm.destroy()
        super().close()

    def _on_gpu(self, array) -> bool:
        return not isinstance(array, np.ndarray)

    def _dtype(self, dtype):
        if dtype not in self._nccl_types:
            raise TypeError(f"the NCCL backend does not move {dtype} arrays")
        return self._nccl_types[dtype]

    def _op(self, op: str):
        nccl = self.nccl
        return {
            "sum": nccl.NCCL_SUM,
            "avg": nccl.NCCL_SUM,
            "max": nccl.NCCL_MAX,
            "min": nccl.NCCL_MIN,
        }[op]

    def _gpu_work(self, what: str, buf, array, average: bool, then) -> Work:
        """The Work of a collective queued on the current stream: wait for the stream (not
        past the deadline), divide by the world size for AVG, copy ``buf`` into ``array``."""
        event = self.cp.cuda.get_current_stream().record()

        def finish():
            start = time.monotonic()
            while not event.done:
                if time.monotonic() - start > self.timeout:
                    raise RuntimeError(
                        f"tensorgrad.distributed: {what} (nccl) on rank {self.rank} timed out "
                        f"after {self.timeout:g} s"
                    )
                time.sleep(1e-5)
            if average:
                buf[...] /= self.world_size
            if buf is not array:
                array[...] = buf
            if then is not None:
                then()

        return Work(self, what, finish)

    def _contiguous(self, array):
        return array if array.flags.c_contiguous else self.cp.ascontiguousarray(array)

    def all_reduce(self, array, op: str, what: str, then=None) -> Work:
        if not self._on_gpu(array):
            return super().all_reduce(array, op, what, then)
        self._mpi_op(op, array.dtype, what)  # the same argument checks as on the CPU
        buf = self._contiguous(array)
        stream = self.cp.cuda.get_current_stream().ptr
        kind = self._dtype(buf.dtype)
        self.nccl_comm.allReduce(buf.data.ptr, buf.data.ptr, buf.size, kind, self._op(op), stream)
        return self._gpu_work(what, buf, array, op == ReduceOp.AVG, then)

    def broadcast(self, array, src: int, what: str, then=None) -> Work:
        if not self._on_gpu(array):
            return super().broadcast(array, src, what, then)
        buf = self._contiguous(array)
        stream = self.cp.cuda.get_current_stream().ptr
        self.nccl_comm.bcast(buf.data.ptr, buf.size, self._dtype(buf.dtype), src, stream)
        return self._gpu_work(what, buf, array, False, then)

    def all_gather(self, array, out, what: str, then=None) -> Work:
        if not self._on_gpu(array):
            return super().all_gather(array, out, what, then)
        send, recv = self._contiguous(array), self._contiguous(out)
        stream = self.cp.cuda.get_current_stream().ptr
        kind = self._dtype(send.dtype)
        self.nccl_comm.allGather(send.data.ptr, recv.data.ptr, send.size, kind, stream)
        return self._gpu_work(what, recv, out, False, then)

    def reduce_scatter(self, stacked, out, op: str, what: str, then=None) -> Work:
        if not self._on_gpu(out):
            return super().reduce_scatter(stacked, out, op, what, then)
        self._mpi_op(op, out.dtype, what)
        send, recv = self._contiguous(stacked), self._contiguous(out)
        stream = self.cp.cuda.get_current_stream().ptr
        kind, nccl_op = self._dtype(recv.dtype), self._op(op)
        self.nccl_comm.reduceScatter(send.data.ptr, recv.data.ptr, recv.size, kind, nccl_op, stream)
        return self._gpu_work(what, recv, out, op == ReduceOp.AVG, then)


# ---------------------------------------------------------------------------------- failure


_hook_installed = False


def _abort_job_on_uncaught_exception() -> None:
    """An uncaught exception on one rank prints its traceback, then ends every rank of the job
    (``MPI_Abort``). Without it the failed rank would sit in MPI_Finalize and the others in
    their next collective until the timeout."""
    global _hook_installed
    if _hook_installed:
        return
    previous = sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)
        group = _group
        if group is not None and group.world_size > 1:
            print(
                f"tensorgrad.distributed: rank {group.rank} raised {kind.__name__}; aborting "
                f"all {group.world_size} ranks",
                file=sys.stderr,
                flush=True,
            )
            sys.stdout.flush()
            time.sleep(0.5)  # let mpiexec forward the traceback before it ends every rank
            group.MPI.COMM_WORLD.Abort(1)

    sys.excepthook = hook
    _hook_installed = True
