"""Matrix products: batched ``MatMul`` and ``Einsum``."""

from __future__ import annotations

import math

from ..autograd.function import Op
from ..backend import xp_of


class MatMul(Op):
    """a @ b for a (..., n, k) and b (..., k, m) with broadcast batch dimensions."""

    saves_inputs = True

    def forward(ctx, a, b):
        if b.ndim == 2 and a.ndim > 2:  # (..., n, k) @ (k, m): one GEMM over all the rows,
            # not one small GEMM per batch entry (x @ W.T in a Linear on (B, T, C) input)
            out = xp_of(a).matmul(a.reshape(math.prod(a.shape[:-1]), a.shape[-1]), b)
            return out.reshape(*a.shape[:-1], b.shape[-1])
        return xp_of(a).matmul(a, b)

    def backward(ctx, g):  # dL/da = g b^T, dL/db = a^T g, summed over broadcast batch dims
        a, b = ctx.saved_tensors
        grad_a = grad_b = None
        if b.ndim == 2 and a.ndim > 2 and ctx.needs_input_grad[1]:
            # the batch sum of a^T g is one GEMM over the stacked rows: a2^T g2
            rows = math.prod(a.shape[:-1])  # not -1: ambiguous when a size is 0
            a2, g2 = a.reshape(rows, a.shape[-1]), g.reshape(rows, g.shape[-1])
            grad_b = MatMul.apply(g2.mT, a2).mT if _transposed(b) else MatMul.apply(a2.mT, g2)
            if ctx.needs_input_grad[0]:
                grad_a = MatMul.apply(g, b.mT)
            return grad_a, grad_b
        # A transposed input (x @ W.T) gets its gradient computed as (.)^T^T, so it comes out
        # in the input's own memory layout: W.grad is then C-contiguous like W.
        if ctx.needs_input_grad[0]:
            ga = MatMul.apply(b, g.mT).mT if _transposed(a) else MatMul.apply(g, b.mT)
            grad_a = ga.sum_to(a.shape)
        if ctx.needs_input_grad[1]:
            gb = MatMul.apply(g.mT, a).mT if _transposed(b) else MatMul.apply(a.mT, g)
            grad_b = gb.sum_to(b.shape)
        return grad_a, grad_b


def _transposed(t) -> bool:
    flags = t.array.flags
    return t.array.ndim == 2 and flags.f_contiguous and not flags.c_contiguous


class Einsum(Op):
    """``einsum('ij,jk->ik', a, b)`` with explicit output subscripts and no ellipsis.

    The gradient for operand i is the einsum of the output gradient with the other operands
    into operand i's subscripts; letters only operand i has (summed out) are broadcast back.
    """

    saves_inputs = True

    def forward(ctx, *operands, inputs=(), output=""):
        ctx.inputs, ctx.output = inputs, output
        return xp_of(operands[0]).einsum(f"{','.join(inputs)}->{output}", *operands)

    def backward(ctx, g):
        operands = ctx.saved_tensors
        grads = []
        for i, subs in enumerate(ctx.inputs):
            if not ctx.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(ctx.inputs) if j != i]
            available = set(ctx.output).union(*others)
            kept = "".join(c for c in subs if c in available)
            grad = einsum(
                f"{','.join([ctx.output, *others])}->{kept}",
                g,
                *[x for j, x in enumerate(operands) if j != i],
            )
            if kept != subs:  # broadcast over the letters that were summed out of operand i
                shape = operands[i].shape
                grad = grad.reshape([shape[k] if c in kept else 1 for k, c in enumerate(subs)])
                grad = grad.expand(shape)
            grads.append(grad)
        return tuple(grads)


def einsum(equation: str, *operands):
    """Parse ``equation`` (implicit output and ``...`` allowed) and apply ``Einsum``."""
    from .._args import to_tensor
    from ..tensor import Tensor

    eq = equation.replace(" ", "")
    lhs, arrow, output = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(operands):
        raise ValueError(
            f"einsum: equation {equation!r} names {len(inputs)} operands, got {len(operands)}"
        )
    operands = [x if isinstance(x, Tensor) else to_tensor(x, operands[0]) for x in operands]
    used = set(eq) - set(".,->")
    free = iter(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used)
    ellipsis_dims = max(
        (x.ndim - len(s.replace("...", "")) for s, x in zip(inputs, operands) if "..." in s),
        default=0,
    )
    letters = "".join(next(free) for _ in range(ellipsis_dims))
    expanded = []
    for s, x in zip(inputs, operands):
        if "..." in s:
            n = x.ndim - len(s.replace("...", ""))
            s = s.replace("...", letters[ellipsis_dims - n :])
        if len(s) != x.ndim:
            raise ValueError(
                f"einsum: subscripts {s!r} name {len(s)} dimensions but the operand has shape "
                f"{x.shape}"
            )
        if len(set(s)) != len(s):
            raise NotImplementedError(
                f"einsum: repeated subscripts in one operand ({s!r}, a diagonal) are not supported"
            )
        expanded.append(s)
    # sizes per letter, broadcasting size-1 ellipsis dimensions
    sizes: dict[str, int] = {}
    for s, x in zip(expanded, operands):
        for c, n in zip(s, x.shape):
            if c in letters and sizes.get(c, 1) != 1 and n not in (1, sizes[c]):
                raise ValueError(f"einsum: ellipsis dimensions {x.shape} don't broadcast")
            if c in letters:
                sizes[c] = max(sizes.get(c, 1), n)
            elif sizes.setdefault(c, n) != n:
                raise ValueError(
                    f"einsum: subscript {c!r} has size {sizes[c]} in one operand and {n} in "
                    f"another (equation {equation!r})"
                )
    operands = [
        x.expand([sizes[c] for c in s]) if any(c in letters for c in s) else x
        for s, x in zip(expanded, operands)
    ]
    if arrow:
        output = output.replace("...", letters)
    else:
        counts = {c: "".join(expanded).count(c) for c in sizes}
        output = letters + "".join(
            sorted(c for c, n in counts.items() if n == 1 and c not in letters)
        )
    for c in output:
        if c not in sizes:
            raise ValueError(f"einsum: output subscript {c!r} appears in no operand ({equation!r})")
    return Einsum.apply(*operands, inputs=tuple(expanded), output=output)
