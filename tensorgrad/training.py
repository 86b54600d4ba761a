"""Training loops: ``train_one_epoch``, ``evaluate``, ``fit``, ``History`` and callbacks.

A loader is any iterable of ``(inputs, targets)`` batches (a :class:`tensorgrad.data.DataLoader`, a
list of tensor pairs, a generator). ``model(inputs)`` gives the output and ``loss_fn(output,
targets)`` a scalar loss averaged over the batch, as PyTorch's losses do by default.

Metrics of an epoch:

- ``loss``: the sample-weighted mean of the batch losses, ``sum(loss_b * n_b) / sum(n_b)`` with
  ``n_b`` the batch's first dimension, so a short last batch counts for what it holds.
- ``accuracy``: only for class-index targets (an integer tensor with ``targets.ndim ==
  output.ndim - 1``, what ``CrossEntropyLoss`` takes): the fraction of target elements where
  ``output.argmax(dim=1)`` equals the target.
- ``lr``: the first parameter group's learning rate used by the epoch's last optimizer step.

Schedulers: a ``scheduler`` given to :func:`train_one_epoch` is stepped after every batch (the
per-batch style of ``OneCycleLR``). :func:`fit` steps a scheduler once per epoch, after
validation, and ``ReduceLROnPlateau`` with the validation loss (the training loss without a
validation set); the exception is ``OneCycleLR``, whose schedule is counted in batches, so fit
steps it after every batch.

``fit(checkpoint=PATH)`` saves model, optimizer, scheduler, the epoch, tensorgrad's RNG state, the
history and the callbacks' state after every epoch (through :mod:`tensorgrad.checkpoint`: atomic,
no pickle); ``resume=True`` continues from that file, and the continued run is bit-identical to one
that never stopped. Ctrl-C during ``fit`` saves a checkpoint (when a path is set) and returns the
history of the completed epochs.

Under ``tensorgrad.distributed`` (every rank runs the same ``fit``): progress bars and log lines
come from rank 0 only, the checkpoint is written by rank 0 only (every rank can load it),
``set_epoch`` is called on a loader's ``DistributedSampler`` before each epoch, and the epoch's
metrics are summed over the ranks (so they are those of the global batch, and callbacks such as
``EarlyStopping`` take the same decision on every rank). ``train_one_epoch`` and ``evaluate``
called on their own report this rank's metrics.
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .autograd import no_grad
from .backend import bool_
from .lr_scheduler import OneCycleLR, ReduceLROnPlateau
from .tensor import Tensor

__all__ = [
    "Callback",
    "EarlyStopping",
    "History",
    "ModelCheckpoint",
    "evaluate",
    "fit",
    "train_one_epoch",
]

_PER_BATCH_SCHEDULERS = (OneCycleLR,)


# --------------------------------------------------------------------------------- batch helpers


def _to_device(obj: Any, device: Any) -> Any:
    if device is None:
        return obj
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj


def _split_batch(batch: Any) -> tuple[Any, Any]:
    if not isinstance(batch, (list, tuple)) or len(batch) != 2:
        raise TypeError(
            "tensorgrad.training: each batch must be an (inputs, targets) pair, got "
            f"{type(batch).__name__}"
            + (f" of length {len(batch)}" if isinstance(batch, (list, tuple)) else "")
        )
    return batch[0], batch[1]


def _batch_size(inputs: Any, targets: Any) -> int:
    for t in (targets, inputs):
        if isinstance(t, Tensor) and t.ndim > 0:
            return int(t.shape[0])
    return 1


def _is_class_index(output: Any, targets: Any) -> bool:
    return (
        isinstance(output, Tensor)
        and isinstance(targets, Tensor)
        and output.ndim >= 2
        and targets.ndim == output.ndim - 1
        and not targets.is_floating_point()
        and targets.dtype != bool_
    )


def _model_device(model: Any) -> Any:
    for p in model.parameters():
        return p.device
    return None


def _lr(optimizer: Any) -> float:
    return float(optimizer.param_groups[0]["lr"])


class _Meter:
    """Running sums for an epoch's loss and accuracy."""

    def __init__(self) -> None:
        self.loss_sum = 0.0
        self.samples = 0
        self.correct = 0
        self.counted = 0  # target elements that took part in the accuracy

    def update(self, loss: Tensor, output: Any, targets: Any, n: int) -> None:
        self.loss_sum += float(loss.item()) * n
        self.samples += n
        if _is_class_index(output, targets):
            with no_grad():
                self.correct += int((output.argmax(dim=1) == targets).sum().item())
            self.counted += targets.numel()

    def all_reduce(self) -> None:
        """Sum the counts over the ranks of a distributed job (no-op in a single process)."""
        from .distributed import process_group as pg

        if pg.get_world_size() == 1:
            return
        counts = [self.loss_sum, self.samples, self.correct, self.counted]
        totals = Tensor._from_data(np.array(counts, np.float64))
        pg.all_reduce(totals, pg.ReduceOp.SUM)
        totals = totals.numpy()
        self.loss_sum = float(totals[0])
        self.samples, self.correct, self.counted = (int(v) for v in totals[1:])

    def result(self) -> dict[str, float]:
        if self.samples == 0:
            raise ValueError("tensorgrad.training: the loader produced no batches")
        out = {"loss": self.loss_sum / self.samples}
        if self.counted:
            out["accuracy"] = self.correct / self.counted
        return out


# ------------------------------------------------------------------------------ progress output


def _is_main_process() -> bool:
    """Rank 0 of a distributed job, or a process on its own: the one that prints and saves."""
    from .distributed import process_group as pg

    return pg.get_rank() == 0


def _use_tqdm(progress: bool) -> bool:
    if not progress or not sys.stderr.isatty() or not _is_main_process():
        return False
    return importlib.util.find_spec("tqdm") is not None


def _total(loader: Any) -> int | None:
    try:
        return len(loader)
    except TypeError:
        return None


def _fmt(logs: dict[str, float]) -> dict[str, str]:
    return {k: (f"{v:.3g}" if k == "lr" else f"{v:.4f}") for k, v in logs.items()}


# -------------------------------------------------------------------------------------- loops


def _make_step(model, loss_fn, optimizer, scheduler, grad_clip, compile: bool) -> Callable:
    """One training step on a batch, returning (loss, output); with ``compile``, through
    ``tg.compile`` (recorded on its second call, replayed from the third)."""
    from .nn.utils import clip_grad_norm_

    def train_step(inputs, targets):
        optimizer.zero_grad()
        output = model(inputs)
        loss = loss_fn(output, targets)
        loss.backward()
        if grad_clip is not None:
            clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        return loss, output

    if compile:
        from .jit import compile as jit_compile

        return jit_compile(train_step)
    return train_step


def _train_epoch(
    model: Any,
    loader: Iterable,
    step: Callable,
    optimizer: Any,
    bar: bool,
    desc: str,
    device: Any,
    reduce: bool = False,
) -> dict[str, float]:
    meter = _Meter()
    lr = _lr(optimizer)
    batches = loader
    if bar:
        from tqdm.auto import tqdm

        batches = tqdm(loader, total=_total(loader), desc=desc, leave=True, dynamic_ncols=True)
    try:
        for batch in batches:
            inputs, targets = _split_batch(_to_device(batch, device))
            lr = _lr(optimizer)  # the lr this batch's optimizer step uses
            loss, output = step(inputs, targets)
            meter.update(loss, output, targets, _batch_size(inputs, targets))
            if bar:
                running = {"loss": meter.loss_sum / meter.samples, "lr": lr}
                if meter.counted:
                    running["accuracy"] = meter.correct / meter.counted
                batches.set_postfix(_fmt(running), refresh=False)
    finally:
        if bar:
            batches.close()
    if reduce:
        meter.all_reduce()
    return {**meter.result(), "lr": lr}


def train_one_epoch(
    model: Any,
    loader: Iterable,
    loss_fn: Callable,
    optimizer: Any,
    scheduler: Any = None,
    device: Any = None,
    grad_clip: float | None = None,
    progress: bool = True,
    compile: bool = False,
) -> dict[str, float]:
    """One pass over ``loader`` in train mode: ``zero_grad``, forward, ``loss.backward()``,
    optional ``clip_grad_norm_(model.parameters(), grad_clip)``, ``optimizer.step()`` and, when
    given, ``scheduler.step()`` **after every batch** (per-batch schedules such as
    ``OneCycleLR``; :func:`fit` steps epoch-level schedulers itself). ``compile=True`` runs
    that step through ``tg.compile`` (docs/compile.md).

    Batches are moved to ``device`` when it is given. ``progress=True`` shows a tqdm bar with
    the running loss, accuracy and lr when stderr is a terminal (and tqdm is installed); it
    prints nothing otherwise. Returns ``{'loss', 'accuracy' (class-index targets), 'lr'}`` (see
    the module docstring). The model is left in train mode.
    """
    model.train()
    step = _make_step(model, loss_fn, optimizer, scheduler, grad_clip, compile)
    return _train_epoch(model, loader, step, optimizer, _use_tqdm(progress), "train", device)


def evaluate(model: Any, loader: Iterable, loss_fn: Callable, device: Any = None) -> dict:
    """The loss (sample-weighted mean) and, for class-index targets, the accuracy of ``model``
    on ``loader``, computed in eval mode under ``no_grad``. Every submodule's previous
    ``training`` flag is restored afterwards."""
    return _evaluate(model, loader, loss_fn, device, reduce=False)


def _evaluate(model: Any, loader: Iterable, loss_fn: Callable, device: Any, reduce: bool) -> dict:
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    meter = _Meter()
    try:
        with no_grad():
            for batch in loader:
                inputs, targets = _split_batch(_to_device(batch, device))
                output = model(inputs)
                meter.update(
                    loss_fn(output, targets), output, targets, _batch_size(inputs, targets)
                )
    finally:
        for m, mode in modes:
            m.training = mode
    if reduce:
        meter.all_reduce()
    return meter.result()


# ------------------------------------------------------------------------------------ History


class History:
    """Per-epoch metrics of a :func:`fit` run.

    ``history.history`` is a dict of lists, one entry per completed epoch, with the keys
    ``epoch`` (0-based), ``train_loss``, ``lr``, ``time`` (seconds) and, when available,
    ``train_accuracy``, ``val_loss`` and ``val_accuracy``. The same lists are attributes
    (``history.train_loss``, ``history.val_accuracy``, ...; an empty list when never recorded),
    and ``history[k]`` is ``history.history[k]``. ``len(history)`` is the number of epochs.
    """

    KEYS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "time")

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}

    def append(self, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __getattr__(self, name: str) -> list[float]:
        if name in History.KEYS:
            return self.__dict__["history"].get(name, [])
        raise AttributeError(f"'History' object has no attribute {name!r}")

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __len__(self) -> int:
        return len(self.history.get("epoch", []))

    def __repr__(self) -> str:
        return f"History(epochs={len(self)}, keys={list(self.history)})"

    def state_dict(self) -> dict[str, list[float]]:
        return {k: list(v) for k, v in self.history.items()}

    def load_state_dict(self, state: dict[str, Sequence[float]]) -> None:
        self.history = {
            k: [int(x) if k == "epoch" else float(x) for x in v] for k, v in state.items()
        }

    def plot(self, path: str | os.PathLike):
        """Write a PNG with the loss curves, the accuracy curves (when recorded) and the lr,
        against whole epochs; returns the ``matplotlib.figure.Figure``.

        Uses matplotlib's Agg renderer through ``matplotlib.figure.Figure`` (no pyplot, no GUI,
        the global backend is left alone)."""
        try:
            from matplotlib.figure import Figure
            from matplotlib.ticker import MaxNLocator
        except ImportError as e:
            raise ImportError("History.plot needs matplotlib: pip install tensorgrad[train]") from e
        h = self.history
        epochs = [e + 1 for e in h.get("epoch", [])]
        panels = [("loss", ("train_loss", "val_loss"))]
        if h.get("train_accuracy") or h.get("val_accuracy"):
            panels.append(("accuracy", ("train_accuracy", "val_accuracy")))
        panels.append(("lr", ("lr",)))
        fig = Figure(figsize=(4.5 * len(panels), 3.5))
        for i, (title, keys) in enumerate(panels):
            ax = fig.add_subplot(1, len(panels), i + 1)
            for key in keys:
                if h.get(key):
                    ax.plot(epochs, h[key], marker="o", label=key)
            ax.set_title(title)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # no epoch 2.5
            if title != "lr":
                ax.legend()
        fig.tight_layout()
        fig.savefig(os.fspath(path), format="png")
        return fig


# ---------------------------------------------------------------------------------- callbacks


class Callback:
    """Base class: :func:`fit` calls ``on_epoch_end`` after every epoch (after validation and
    the scheduler step). ``logs`` holds the epoch's metrics (the keys of :class:`History`).
    Returning ``True``, or setting ``self.stop_training = True``, ends training after this
    epoch. ``state_dict``/``load_state_dict`` carry the callback's state through checkpoints."""

    stop_training: bool = False

    def on_epoch_end(
        self,
        epoch: int,
        logs: dict[str, float],
        model: Any = None,
        optimizer: Any = None,
        scheduler: Any = None,
        history: History | None = None,
    ) -> bool | None:
        return None

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        pass


class _Monitor:
    """Tracks the best value of ``monitor`` in ``mode`` ('min' or 'max')."""

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"{owner}: mode must be 'min' or 'max', got {mode!r}")
        if min_delta < 0:
            raise ValueError(f"{owner}: min_delta must be >= 0, got {min_delta!r}")
        self.owner, self.monitor, self.mode, self.min_delta = owner, monitor, mode, min_delta
        self.best = math.inf if mode == "min" else -math.inf

    def value(self, logs: dict[str, float]) -> float:
        if self.monitor not in logs:
            raise ValueError(
                f"{self.owner}: monitor {self.monitor!r} is not among this epoch's metrics "
                f"{sorted(logs)} (val_* metrics need a val_loader)"
            )
        return float(logs[self.monitor])

    def improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` consecutive epochs.

    An epoch improves when its value is below ``best - min_delta`` (``mode='min'``) or above
    ``best + min_delta`` (``mode='max'``); the defaults follow PyTorch Lightning."""

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 3,
        min_delta: float = 0.0,
        mode: str = "min",
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 0, got {patience!r}")
        self._monitor = _Monitor("EarlyStopping", monitor, mode, min_delta)
        self.monitor, self.patience, self.min_delta, self.mode = monitor, patience, min_delta, mode
        self.wait = 0
        self.stopped_epoch: int | None = None

    @property
    def best(self) -> float:
        return self._monitor.best

    def on_epoch_end(self, epoch, logs, model=None, optimizer=None, scheduler=None, history=None):
        value = self._monitor.value(logs)
        if self._monitor.improved(value):
            self._monitor.best = value
            self.wait = 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.stop_training = True
        return self.stop_training

    def state_dict(self) -> dict[str, Any]:
        return {"best": self._monitor.best, "wait": self.wait}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._monitor.best = float(state["best"])
        self.wait = int(state["wait"])


class ModelCheckpoint(Callback):
    """Save a checkpoint (:func:`tensorgrad.checkpoint.save_checkpoint`: model, optimizer,
    scheduler, epoch, RNG state) at the end of each epoch.

    ``path`` may hold format fields filled from the epoch's metrics, e.g.
    ``'ckpt-{epoch:03d}-{val_loss:.3f}.tgc'``. With ``save_best_only=True`` a file is written only
    when ``monitor`` improves on the best value so far (lower for ``mode='min'``)."""

    def __init__(
        self,
        path: str | os.PathLike,
        monitor: str | None = None,
        save_best_only: bool = False,
        mode: str = "min",
    ) -> None:
        if save_best_only and monitor is None:
            raise ValueError(
                "ModelCheckpoint: save_best_only=True needs a monitor, e.g. 'val_loss'"
            )
        self.path = os.fspath(path)
        self.monitor, self.save_best_only, self.mode = monitor, save_best_only, mode
        self._monitor = _Monitor("ModelCheckpoint", monitor, mode) if monitor else None
        self.last_saved: str | None = None

    @property
    def best(self) -> float | None:
        return None if self._monitor is None else self._monitor.best

    def on_epoch_end(self, epoch, logs, model=None, optimizer=None, scheduler=None, history=None):
        from . import checkpoint

        if self._monitor is not None:
            value = self._monitor.value(logs)
            improved = self._monitor.improved(value)
            if improved:
                self._monitor.best = value
            if self.save_best_only and not improved:
                return None
        path = self.path.format(**logs) if "{" in self.path else self.path
        checkpoint.save_checkpoint(path, model, optimizer, scheduler, epoch=epoch)
        self.last_saved = path
        return None

    def state_dict(self) -> dict[str, Any]:
        return {} if self._monitor is None else {"best": self._monitor.best}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self._monitor is not None and "best" in state:
            self._monitor.best = float(state["best"])


# ---------------------------------------------------------------------------------------- fit


def _save(path, model, optimizer, scheduler, epoch, history, callbacks, **extra) -> None:
    from . import checkpoint

    checkpoint.save_checkpoint(
        path,
        model,
        optimizer,
        scheduler,
        epoch=epoch,
        history=history.state_dict(),
        callbacks=[cb.state_dict() for cb in callbacks],
        **extra,
    )


def _log_line(epoch: int, num_epochs: int, logs: dict[str, float]) -> str:
    parts = [f"epoch {epoch + 1}/{num_epochs}"]
    for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
        if key in logs:
            parts.append(f"{key} {logs[key]:.4f}")
    parts.append(f"lr {logs['lr']:.3g}")
    parts.append(f"{logs['time']:.1f}s")
    return " - ".join(parts)


def fit(
    model: Any,
    train_loader: Iterable,
    loss_fn: Callable,
    optimizer: Any,
    num_epochs: int,
    val_loader: Iterable | None = None,
    scheduler: Any = None,
    callbacks: Sequence[Callback] = (),
    checkpoint: str | os.PathLike | None = None,
    resume: bool = False,
    progress: bool = True,
    compile: bool = False,
) -> History:
    """Train ``model`` for ``num_epochs`` epochs; returns the :class:`History`.

    Each epoch: train mode and one pass over ``train_loader`` (see :func:`train_one_epoch`;
    batches are moved to the device of the model's parameters), then :func:`evaluate` on
    ``val_loader`` when given (eval mode, ``no_grad``), then the scheduler:
    ``ReduceLROnPlateau.step(val_loss)`` (``train_loss`` without a validation set), any other
    scheduler ``step()`` once per epoch, except ``OneCycleLR``, which is stepped per batch.
    Then the callbacks (any may stop training), then the checkpoint.

    Output: with ``progress=True`` and stderr a terminal, a tqdm bar per epoch with the running
    loss, accuracy and lr; otherwise one plain line per epoch on stdout.

    ``checkpoint=PATH`` saves after every epoch (model, optimizer, scheduler, epoch, RNG state
    and, as extras, the history and the callbacks' state). ``resume=True`` loads PATH and
    continues with the next epoch, bit-identical to a run that never stopped (data order and
    dropout come from tensorgrad's RNG, whose state the checkpoint holds); when PATH does not
    exist yet, training starts from scratch, so the same command can start and restart a job.

    Ctrl-C (``KeyboardInterrupt``) ends training: fit saves a checkpoint when a path is set and
    returns the history of the completed epochs. That checkpoint holds the weights of the
    interrupted (partial) epoch with the last completed epoch number, so resuming from it runs
    the interrupted epoch again from those weights.

    ``compile=True`` runs each training step through ``tg.compile``: recorded once per batch
    shape, then replayed (docs/compile.md); the numbers are the eager ones.
    """
    if isinstance(num_epochs, bool) or not isinstance(num_epochs, int) or num_epochs < 0:
        raise ValueError(f"fit: num_epochs must be an integer >= 0, got {num_epochs!r}")
    if resume and checkpoint is None:
        raise ValueError("fit: resume=True needs checkpoint=PATH (the file to continue from)")
    callbacks = list(callbacks)
    history = History()
    start = 0
    if resume and os.path.exists(checkpoint):
        from . import checkpoint as ckpt

        info = ckpt.load_checkpoint(checkpoint, model, optimizer, scheduler)
        start = int(info["epoch"]) + 1
        history.load_state_dict(info.get("history", {}))
        states = info.get("callbacks", [])
        if len(states) == len(callbacks):
            for cb, state in zip(callbacks, states):
                cb.load_state_dict(state)
    elif resume and _is_main_process():
        print(f"fit: no checkpoint at {os.fspath(checkpoint)!r}, starting from scratch")

    device = _model_device(model)
    per_batch = isinstance(scheduler, _PER_BATCH_SCHEDULERS)
    bar = _use_tqdm(progress)
    main = _is_main_process()
    step = _make_step(model, loss_fn, optimizer, scheduler if per_batch else None, None, compile)
    epoch = start - 1  # the last completed epoch
    try:
        for e in range(start, num_epochs):
            t0 = time.perf_counter()
            for loader in (train_loader, val_loader):
                _set_epoch(loader, e)
            model.train()
            desc = f"epoch {e + 1}/{num_epochs}"
            train = _train_epoch(
                model, train_loader, step, optimizer, bar, desc, device, reduce=True
            )
            logs: dict[str, float] = {"epoch": e, "train_loss": train["loss"]}
            if "accuracy" in train:
                logs["train_accuracy"] = train["accuracy"]
            if val_loader is not None:
                val = _evaluate(model, val_loader, loss_fn, device, reduce=True)
                logs["val_loss"] = val["loss"]
                if "accuracy" in val:
                    logs["val_accuracy"] = val["accuracy"]
            logs["lr"] = train["lr"]
            if isinstance(scheduler, ReduceLROnPlateau):
                scheduler.step(logs.get("val_loss", logs["train_loss"]))
            elif scheduler is not None and not per_batch:
                scheduler.step()
            logs["time"] = time.perf_counter() - t0
            history.append(logs)
            epoch = e
            stop = False
            for cb in callbacks:
                kwargs = {"model": model, "optimizer": optimizer, "scheduler": scheduler}
                asked = cb.on_epoch_end(e, dict(logs), history=history, **kwargs)
                stop = bool(asked) or bool(getattr(cb, "stop_training", False)) or stop
            if checkpoint is not None:
                _save(checkpoint, model, optimizer, scheduler, e, history, callbacks)
            if bar:
                from tqdm.auto import tqdm

                tqdm.write(_log_line(e, num_epochs, logs))
            elif main:
                print(_log_line(e, num_epochs, logs), flush=True)
            if stop:
                if main:
                    print(f"fit: stopped by a callback after epoch {e + 1}")
                break
    except KeyboardInterrupt:
        note = f"fit: interrupted during epoch {epoch + 2}"
        if checkpoint is not None:
            _save(
                checkpoint, model, optimizer, scheduler, epoch, history, callbacks, interrupted=True
            )
            note += f"; saved a checkpoint to {os.fspath(checkpoint)!r}"
        if main:
            print(
                f"{note}; returning the history of {len(history)} completed epochs", file=sys.stderr
            )
    return history


def _set_epoch(loader: Any, epoch: int) -> None:
    """Tell a loader's ``DistributedSampler`` (anything with ``set_epoch``) the epoch."""
    for owner in (loader, getattr(loader, "batch_sampler", None)):
        sampler = getattr(owner, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)
            return
