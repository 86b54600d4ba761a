"""The connectionist temporal classification loss (Graves et al., 2006): ``ctc_loss`` and
``CTCLoss``, PyTorch's signatures, reductions and errors.

A target l of length L is spread over T frames by the paths of the extended sequence
l' = (blank, l_1, blank, l_2, ..., l_L, blank) of length 2L + 1: a path stays on a position,
moves to the next one, or skips a blank between two different labels. The forward variable

    alpha_t(s) = log sum over the paths that are at position s after frame t of their
                 probabilities
               = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), alpha_{t-1}(s-2) if l'_s != blank
                 and l'_s != l'_{s-2}) + log_probs[t, l'_s]

starts from alpha_{-1} = (0, -inf, ..., -inf), and the loss is -logsumexp(alpha_{T-1}(2L),
alpha_{T-1}(2L - 1)). The recursion is written in tensor ops (one ``gather`` of the emissions
of every position, then a logsumexp per frame over the whole batch), so autograd derives the
gradient (the alpha-beta formula) and the gradient of that gradient. A sample stops at its
own input length: later frames leave its alpha as it was.

Where no path exists (too few frames for the labels and the blanks that repeated labels need),
the loss is inf; ``zero_infinity=True`` makes it 0 with a zero gradient. The logsumexp is kept
finite for positions no path reaches (all terms -inf), so their gradient is 0 instead of NaN.

The gradient with respect to ``log_probs`` is the derivative of the loss. PyTorch's kernel
returns that derivative plus exp(log_probs) (times the upstream gradient) at every frame
before the input length, a term that vanishes once it flows back through the ``log_softmax``
that made ``log_probs`` (any normalised log-probabilities), so the gradients of the logits are
the same; only ``log_probs.grad`` itself differs.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..jit import recorder
from ..tensor import Tensor, cat
from .loss import _Loss

__all__ = ["CTCLoss", "ctc_loss"]

_NEG_INF = float("-inf")


def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths,
    target_lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """-log p(target | log_probs) summed over every alignment (see the module docstring).

    ``log_probs`` (T, N, C) or unbatched (T, C): log-probabilities of the C classes at each
    frame (``log_softmax`` output). ``targets``: padded (N, S) (row b's first
    ``target_lengths[b]`` labels), or the N targets concatenated in one 1-D tensor of length
    sum(target_lengths); labels are in [0, C) and not ``blank``. ``input_lengths`` and
    ``target_lengths``: (N,) integer tensors or sequences of ints. ``reduction='mean'``
    divides each loss by its target length (at least 1) and then averages over the batch;
    ``'sum'`` sums; ``'none'`` gives the (N,) losses. ``zero_infinity`` replaces an infinite
    loss (no alignment exists) by 0, with a zero gradient."""
    return _ctc(
        log_probs,
        targets,
        input_lengths,
        target_lengths,
        blank,
        reduction,
        zero_infinity,
        "ctc_loss",
    )


def _ctc(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_inf, name):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{name}: {reduction!r} is not a valid value for reduction")
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(
            f"{name}: expected log_probs of shape (T, N, C) or (T, C), got {log_probs.shape}"
        )
    if not log_probs.is_floating_point():
        raise RuntimeError(f"{name}: log_probs must be floating point, got {log_probs.dtype}")
    unbatched = log_probs.ndim == 2
    il = _lengths(input_lengths, unbatched, log_probs.device, "input_lengths", name)
    tl = _lengths(target_lengths, unbatched, log_probs.device, "target_lengths", name)
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0)
    T, N, C = log_probs.shape
    if not 0 <= blank < C:
        raise RuntimeError(f"{name}: blank must be in label range (blank={blank}, {C} classes)")
    for lengths, what in ((il, "input_lengths"), (tl, "target_lengths")):
        if lengths.shape != (N,):
            raise RuntimeError(
                f"{name}: {what} must be of size batch_size ({N}), got shape {lengths.shape}"
            )
    if targets.array.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: targets must be an integer tensor, got {targets.dtype}")
    concatenated = targets.ndim == 1
    if not concatenated and (targets.ndim != 2 or targets.shape[0] != N):
        raise RuntimeError(
            f"{name}: expected targets of shape (N={N}, S) or concatenated 1-D, got {targets.shape}"
        )
    recorder.check(_check_lengths, il.array, tl.array, targets.shape, concatenated, T, name)
    recorder.check(_check_labels, targets.array, C, name)
    if concatenated:  # a Python int that shapes the recursion: a guard of tg.compile
        width = recorder.guard(_max_length, tl.array, label="ctc_loss: the longest target")
    else:
        width = targets.shape[1]
    device = log_probs.device
    ext, skip, final, final_ok, active = (
        Tensor._make(a)
        for a in recorder.call(
            _tables, targets.array, tl.array, il.array, width, blank, concatenated, T, device
        )
    )
    W = 2 * width + 1
    # emissions[t, b, s] = log_probs[t, b, l'_s]: one gather for every frame
    emissions = log_probs.gather(2, ext.unsqueeze(0).expand(T, N, W))
    ninf = log_probs.new_full((N, 2), _NEG_INF)
    alpha = cat([log_probs.new_zeros(N, 1), ninf[:, :1].expand(N, W - 1)], 1)
    for t in range(T):
        stay_or_step = [alpha, cat([ninf[:, :1], alpha[:, :-1]], 1)]
        if W >= 3:
            stay_or_step.append(cat([ninf, alpha[:, :-2]], 1).where(skip, _NEG_INF))
        new = _logsumexp(stay_or_step) + emissions[t]
        alpha = new.where(active[t].unsqueeze(1), alpha)
    ends = alpha.gather(1, final).where(final_ok, _NEG_INF)
    nll = -_logsumexp([ends[:, 0], ends[:, 1]])
    if zero_inf:
        nll = nll.where(~nll.isinf(), 0.0)
    else:
        nll = nll + _nan_gradient_where_impossible(nll, log_probs, active)
    if reduction == "mean":
        return (nll / tl.clamp(min=1).to(nll.dtype)).mean()
    if reduction == "sum":
        return nll.sum()
    return nll.squeeze(0) if unbatched else nll


def _logsumexp(terms: list) -> Tensor:
    """log sum_i exp(terms_i), elementwise, finite in value and gradient where every term is
    -inf (then -inf, with gradient 0): the shift m is the max (0 where it is -inf), and the
    log only ever sees a positive sum."""
    m = terms[0].detach()
    for t in terms[1:]:
        m = m.maximum(t.detach())
    m = m.masked_fill(m.isinf(), 0.0)
    total = (terms[0] - m).exp()
    for t in terms[1:]:
        total = total + (t - m).exp()
    live = total > 0
    return (total.where(live, 1.0).log() + m).where(live, _NEG_INF)


def _nan_gradient_where_impossible(nll: Tensor, log_probs: Tensor, active: Tensor) -> Tensor:
    """0 in value; its gradient is NaN at the frames (t < input length) of every sample whose
    loss is inf, as PyTorch's kernel gives (exp(-inf + inf)): sqrt(0 * s) is 0, and its slope
    inf times 0 is NaN."""
    mask = active.unsqueeze(2) & log_probs.isfinite()
    per_sample = log_probs.where(mask, 0.0).sum((0, 2))
    impossible = nll.isinf()
    # sqrt only sees 0 where the loss is inf (elsewhere 1): a zero gradient stays 0 there
    return (per_sample * 0.0).where(impossible, 1.0).sqrt().where(impossible, 0.0)


def _lengths(lengths, unbatched: bool, device, what: str, name: str) -> Tensor:
    """The lengths as an int64 tensor of shape (N,) (a tensor, or a sequence of ints)."""
    if isinstance(lengths, Tensor):
        if lengths.array.dtype.kind not in "iu":
            raise RuntimeError(f"{name}: {what} must be integers, got {lengths.dtype}")
        t = lengths.long().to(device)
    else:
        array = np.asarray(lengths)
        if array.dtype.kind not in "iu":
            raise RuntimeError(f"{name}: {what} must be integers, got {lengths!r}")
        t = Tensor._make(backend.to_device(array.astype(np.int64), device))
    return t.reshape(1) if unbatched and t.ndim == 0 else t


def _check_lengths(il, tl, target_shape: tuple, concatenated: bool, T: int, name: str) -> None:
    il, tl = backend.to_numpy(il), backend.to_numpy(tl)
    for lengths, what in ((il, "input_lengths"), (tl, "target_lengths")):
        if lengths.size and lengths.min() < 0:
            raise RuntimeError(
                f"{name}: expected {what} to have value at least 0, but got value "
                f"{int(lengths.min())}"
            )
    if il.size and il.max() > T:
        raise RuntimeError(
            f"{name}: expected input_lengths to have value at most {T} (the frames of "
            f"log_probs), but got value {int(il.max())}"
        )
    if concatenated:
        if int(tl.sum()) != target_shape[0]:
            raise RuntimeError(
                f"{name}: concatenated targets must hold sum(target_lengths) = {int(tl.sum())} "
                f"labels, got targets of shape {target_shape}"
            )
    elif tl.size and tl.max() > target_shape[1]:
        raise RuntimeError(
            f"{name}: expected targets to have size at least {int(tl.max())} at dimension 1 "
            f"(the longest target), but got targets of shape {target_shape}"
        )


def _check_labels(targets, C: int, name: str) -> None:
    targets = backend.to_numpy(targets)
    if targets.size and (targets.min() < 0 or targets.max() >= C):
        raise RuntimeError(
            f"{name}: target labels must be in [0, {C}) for log_probs with {C} classes, got "
            f"values in [{int(targets.min())}, {int(targets.max())}]"
        )


def _max_length(tl) -> int:
    tl = backend.to_numpy(tl)
    return int(tl.max()) if tl.size else 0


def _tables(targets, tl, il, width: int, blank: int, concatenated: bool, T: int, device):
    """The recursion's index tables, on ``device``:

    * ``ext`` (N, 2 width + 1): the extended labels l' (blank, l_1, blank, ..., blank), blank
      past each target's end;
    * ``skip`` (N, 2 width + 1): True where a path may come from s - 2 (l'_s is a label other
      than blank and than l'_{s-2});
    * ``final`` (N, 2) and ``final_ok``: the positions a complete path ends on, 2L and 2L - 1
      (the latter only when L > 0);
    * ``active`` (T, N): True at the frames before each sample's input length."""
    targets, tl, il = (backend.to_numpy(a).astype(np.int64) for a in (targets, tl, il))
    n = tl.shape[0]
    labels = np.full((n, width), blank, dtype=np.int64)
    if concatenated:
        starts = np.concatenate([[0], np.cumsum(tl)[:-1]]) if n else tl
        for b in range(n):
            labels[b, : tl[b]] = targets[starts[b] : starts[b] + tl[b]]
    else:
        keep = np.arange(width) < tl[:, None]
        labels = np.where(keep, targets[:, :width], blank)
    ext = np.full((n, 2 * width + 1), blank, dtype=np.int64)
    ext[:, 1::2] = labels
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 3::2] = (labels[:, 1:] != blank) & (labels[:, 1:] != labels[:, :-1])
    final = np.stack([2 * tl, np.maximum(2 * tl - 1, 0)], axis=1)
    final_ok = np.stack([np.ones(n, dtype=bool), tl > 0], axis=1)
    active = np.arange(T)[:, None] < il[None, :]
    return tuple(backend.to_device(a, device) for a in (ext, skip, final, final_ok, active))


class CTCLoss(_Loss):
    """``ctc_loss`` as a module: ``blank`` label, ``reduction`` ('mean' divides each loss by its
    target length before averaging) and ``zero_infinity``."""

    def __init__(
        self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False
    ) -> None:
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs: Tensor, targets: Tensor, input_lengths, target_lengths) -> Tensor:
        return _ctc(
            log_probs,
            targets,
            input_lengths,
            target_lengths,
            self.blank,
            self.reduction,
            self.zero_infinity,
            type(self).__name__,
        )
