"""``AdaptiveLogSoftmaxWithLoss``: the efficient softmax approximation of Grave et al. (2017),
PyTorch's layer, parameters and state-dict keys.

The classes are split by ``cutoffs`` c_1 < ... < c_k into a shortlist [0, c_1) and clusters
[c_i, c_{i+1}) (the last ending at ``n_classes``). The ``head`` (a Linear to c_1 + k outputs)
scores the shortlist's classes and one entry per cluster; cluster i has its own ``tail[i]``,
Linear(in, in / div_value^(i+1)) then Linear(that, cluster size), both without bias. So

    log p(y | x) = head_logprob[y]                                     for y in the shortlist
                 = head_logprob[c_1 + i] + tail_logprob_i[y - c_{i+1}]  for y in cluster i+1

and a row's tail is only evaluated when its target (or, for ``predict``, its best head entry)
lies in that cluster. The rows of each cluster are picked with index tables computed from the
targets (through tg.compile's recorder), and a cluster with no rows costs an empty product.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence

import numpy as np

from .. import backend
from ..jit import recorder
from ..tensor import Tensor, cat
from .activation import log_softmax
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax (see the module docstring). ``forward(input, target)`` returns the
    named tuple ``(output, loss)``: ``output`` the log-probability of each row's target, shape
    (N,) (or () for an unbatched 1-D input and 0-D target), and ``loss`` = mean(-output).
    ``log_prob(input)`` gives every class's log-probability, (N, n_classes);
    ``predict(input)`` the most likely class of each row."""

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        cutoffs: Sequence[int],
        div_value: float = 4.0,
        head_bias: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (
            cutoffs != sorted(cutoffs)
            or min(cutoffs) <= 0
            or max(cutoffs) > n_classes - 1
            or len(set(cutoffs)) != len(cutoffs)
            or any(int(c) != c for c in cutoffs)
        ):
            raise ValueError(
                "cutoffs should be a sequence of unique, positive integers sorted in an "
                "increasing order, where each value is between 1 and n_classes-1 (got "
                f"cutoffs={cutoffs} for n_classes={n_classes})"
            )
        kw = dict(device=device, dtype=dtype)
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(
                Sequential(
                    Linear(in_features, hsz, bias=False, **kw),
                    Linear(hsz, osz, bias=False, **kw),
                )
            )

    def reset_parameters(self) -> None:
        """Re-initialise the head and every tail projection as a new ``Linear``."""
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_: Tensor, target_: Tensor) -> _ASMoutput:
        if target_.ndim == 1:
            if input_.shape[0] != target_.shape[0]:
                raise RuntimeError(
                    "Input and target should have the same size in the batch dimension "
                    f"(input of shape {input_.shape}, target of shape {target_.shape})."
                )
            if input_.ndim != 2:
                raise RuntimeError(
                    "1D target tensor expects 2D input tensors, but found inputs with size "
                    f"{input_.shape}"
                )
        elif target_.ndim == 0:
            if input_.ndim != 1:
                raise RuntimeError(
                    "0D target tensor expects 1D input tensors, but found inputs with size "
                    f"{input_.shape}"
                )
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = target_.ndim > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = (target_ if batched else target_.unsqueeze(0)).long()
        recorder.check(_check_targets, target.array, self.n_classes)
        cluster = Tensor._make(recorder.call(_cluster_of, target.array, self.cutoffs))
        # the head's entry for each row: its class in the shortlist, else its cluster's
        head_index = target.where(cluster == 0, cluster + (self.shortlist_size - 1))
        head_logprob = log_softmax(self.head(input), 1)
        output = head_logprob.gather(1, head_index.unsqueeze(1)).squeeze(1)
        for i in range(1, self.n_clusters + 1):
            rows = Tensor._make(recorder.call(_rows_where, cluster.array, i))
            relative = target[rows] - self.cutoffs[i - 1]
            cluster_logprob = log_softmax(self.tail[i - 1](input[rows]), 1)
            local = cluster_logprob.gather(1, relative.unsqueeze(1)).squeeze(1)
            output = output.scatter_add(0, rows, local)
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _get_full_log_prob(self, input: Tensor, head_output: Tensor) -> Tensor:
        """(N, n_classes): the shortlist's head log-probabilities, then each cluster's
        log-probabilities plus its head entry's."""
        head_logprob = log_softmax(head_output, 1)
        parts = [head_logprob[:, : self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logprob = log_softmax(self.tail[i](input), 1)
            index = self.shortlist_size + i
            parts.append(cluster_logprob + head_logprob[:, index : index + 1])
        return cat(parts, 1)

    def log_prob(self, input: Tensor) -> Tensor:
        """log p(y | x) for every class y: shape (N, n_classes) for input (N, in_features)."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:
        """The most likely class of each row (N,): the head's argmax when it is a shortlist
        class (no cluster can beat it), else the argmax of the row's full log-probabilities."""
        head_output = self.head(input)
        output = head_output.argmax(1)
        rows = Tensor._make(recorder.call(_rows_where, (output >= self.shortlist_size).array, True))
        full = self._get_full_log_prob(input[rows], head_output[rows])
        return output.scatter(0, rows, full.argmax(1))


def _check_targets(target, n_classes: int) -> None:
    target = backend.to_numpy(target)
    if target.size and (target.min() < 0 or target.max() >= n_classes):
        raise RuntimeError(
            f"Target values should be in [0, {n_classes - 1}], but values in range "
            f"[{int(target.min())}, {int(target.max())}] were found. "
        )


def _cluster_of(target, cutoffs: list):
    """0 for a shortlist class, i for a class in [cutoffs[i-1], cutoffs[i])."""
    xp = backend.xp_of(target)
    return xp.searchsorted(xp.asarray(cutoffs[:-1]), target, side="right")


def _rows_where(values, value):
    """The int64 positions where ``values == value``."""
    xp = backend.xp_of(values)
    return xp.flatnonzero(values == value).astype(np.int64)
