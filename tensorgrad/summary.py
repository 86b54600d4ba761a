"""``SummaryWriter``, the namesake of ``torch.utils.tensorboard.SummaryWriter``, writing JSON
lines instead of TensorBoard event files.

PyTorch's writer needs the ``tensorboard`` package (its protobufs and event-file writer);
tensorgrad depends on NumPy only, so this one appends one JSON object per call to
``<log_dir>/events.jsonl``: ``{"kind": "scalar", "tag": ..., "value": ..., "step": ...,
"wall_time": ...}``. The methods have PyTorch's signatures. Differences:

- ``add_histogram`` records summary statistics (min, max, mean, std, count, sum, sum of
  squares) and NumPy's histogram (``bins`` as for ``numpy.histogram``; PyTorch's default
  ``'tensorflow'`` bucketing is replaced by 30 equal-width bins), not a TensorBoard histogram;
- ``add_scalars`` writes each entry under ``main_tag/key`` in the same file, where PyTorch
  opens one sub-writer (folder) per key;
- images, audio, graphs, embeddings and meshes are not written: those methods are absent.

TensorBoard cannot read the file; ``pandas.read_json(path, lines=True)`` can.
"""

from __future__ import annotations

import json
import os
import socket
import time
from datetime import datetime

import numpy as np

__all__ = ["SummaryWriter"]


def _number(value) -> float:
    """A Python float of a scalar: a 0-d/1-element tensor, NumPy scalar or Python number."""
    if hasattr(value, "item"):
        return float(value.item())
    return float(value)


def _as_array(values) -> np.ndarray:
    if hasattr(values, "detach"):
        values = values.detach()
    if hasattr(values, "numpy"):
        values = values.numpy()
    return np.asarray(values, dtype=np.float64)


class SummaryWriter:
    """Log scalars, histograms, text and hyper-parameters to ``log_dir/events.jsonl``.

    ``log_dir`` defaults to ``runs/<date>_<host><comment>`` as in PyTorch; ``purge_step``,
    ``max_queue`` and ``flush_secs`` are accepted (each call is written and flushed at once).
    """

    def __init__(
        self,
        log_dir: str | None = None,
        comment: str = "",
        purge_step=None,
        max_queue: int = 10,
        flush_secs: int = 120,
        filename_suffix: str = "",
    ) -> None:
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = log_dir
        os.makedirs(log_dir, exist_ok=True)
        self._path = os.path.join(log_dir, f"events{filename_suffix}.jsonl")
        self._file = open(self._path, "a", encoding="utf-8")

    def get_logdir(self) -> str:
        """The folder written to."""
        return self.log_dir

    def _write(self, record: dict, walltime) -> None:
        if self._file is None:
            self._file = open(self._path, "a", encoding="utf-8")
        record["wall_time"] = time.time() if walltime is None else float(walltime)
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()

    def add_scalar(
        self,
        tag: str,
        scalar_value,
        global_step=None,
        walltime=None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        """One scalar (a Python number or a one-element tensor) at ``global_step``."""
        step = None if global_step is None else int(global_step)
        value = _number(scalar_value)
        self._write({"kind": "scalar", "tag": tag, "value": value, "step": step}, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None, walltime=None):
        """Several scalars, each written as the scalar ``main_tag/key``."""
        for key, value in tag_scalar_dict.items():
            self.add_scalar(f"{main_tag}/{key}", value, global_step, walltime)

    def add_histogram(
        self, tag: str, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None
    ) -> None:
        """Summary statistics and a NumPy histogram of ``values`` (see the module docstring)."""
        a = _as_array(values).ravel()
        if a.size == 0:
            raise ValueError("The histogram is empty, please file a bug report.")  # PyTorch's
        counts, edges = np.histogram(a, bins=30 if bins == "tensorflow" else bins)
        record = {
            "kind": "histogram",
            "tag": tag,
            "step": None if global_step is None else int(global_step),
            "min": float(a.min()),
            "max": float(a.max()),
            "mean": float(a.mean()),
            "std": float(a.std()),
            "num": int(a.size),
            "sum": float(a.sum()),
            "sum_squares": float((a * a).sum()),
            "bucket_limits": edges[1:].tolist(),
            "bucket_counts": counts.tolist(),
        }
        self._write(record, walltime)

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        """A string at ``global_step``."""
        step = None if global_step is None else int(global_step)
        self._write({"kind": "text", "tag": tag, "text": text_string, "step": step}, walltime)

    def add_hparams(
        self,
        hparam_dict: dict,
        metric_dict: dict,
        hparam_domain_discrete=None,
        run_name=None,
        global_step=None,
    ) -> None:
        """Hyper-parameters with the metrics they reached, as one record."""
        metrics = {k: _number(v) for k, v in metric_dict.items()}
        record = {
            "kind": "hparams",
            "hparams": hparam_dict,
            "metrics": metrics,
            "run_name": run_name,
            "step": global_step,
        }
        self._write(record, None)

    def flush(self) -> None:
        """Push what was written to disk (every call already does)."""
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        """Close the file; a later ``add_*`` reopens it (as PyTorch's writer does)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
