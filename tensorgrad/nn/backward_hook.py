"""How a module's full backward hooks see its gradients, PyTorch's ``BackwardHook``
(``torch/utils/hooks.py``).

A module call with backward hooks passes the tensors of its inputs, and then those of its
output, through ``BackwardHookFunction``, an identity whose backward is where the hooks run::

    x ──BackwardHookFunction──▶ forward ──▶ out ──BackwardHookFunction──▶ y

Backward reaches the output's node first: it has dL/dy, the module's ``grad_output``, which the
pre hooks may replace before it flows on. It reaches the input's node once every gradient
w.r.t. the module's inputs is summed: that is ``grad_input``, which the full hooks get with
the ``grad_output`` kept from before, and may replace. Non-tensor arguments are ``None`` in
both tuples. When no input requires grad there is no input node, and the full hooks run at
the output's node with ``grad_input`` all ``None``, as PyTorch does (with its warning).
"""

from __future__ import annotations

import warnings

from ..autograd.function import Function
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor


class BackwardHookFunction(Function):
    """The identity on ``tensors``; its backward hands the gradients to ``on_backward``,
    whose result flows on."""

    @staticmethod
    def forward(ctx, *tensors, on_backward, materialize: bool):
        ctx.mark_non_differentiable(*[t for t in tensors if not t.requires_grad])
        ctx.on_backward = on_backward
        # grad_output keeps None for an output backward never reached (PyTorch's);
        # grad_input has zeros for an input that got no gradient
        ctx.set_materialize_grads(materialize)
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return tuple(ctx.on_backward(grads))


class BackwardHook:
    """The state of one hooked module call: set up its inputs, then its output, then
    backward calls the hooks (the lists as they were at the call)."""

    def __init__(self, module, user_hooks: list, user_pre_hooks: list) -> None:
        self.module, self.user_hooks, self.user_pre_hooks = module, user_hooks, user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = self.n_outputs = -1
        self.input_index = self.output_index = None

    def setup_input_hook(self, args: tuple) -> tuple:
        """``args`` with its tensors passed through the input node."""
        self.n_inputs = len(args)
        args, self.input_index = self._wrap(args, self._input_backward, materialize=True)
        return args

    def setup_output_hook(self, result):
        """``result`` (a tensor or a tuple) with its tensors passed through the output node."""
        if not isinstance(result, (Tensor, tuple)):
            warnings.warn(
                "For backward hooks to be called, module output should be a Tensor or a tuple "
                f"of Tensors but received {type(result)}",
                stacklevel=3,
            )
        single = not isinstance(result, tuple)
        outputs = (result,) if single else result
        self.n_outputs = len(outputs)
        outputs, self.output_index = self._wrap(outputs, self._output_backward, False)
        return outputs[0] if single else outputs

    def _wrap(self, args: tuple, on_backward, materialize: bool) -> tuple:
        index = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in index]
        if not (is_grad_enabled() and any(t.requires_grad for t in tensors)):
            return args, None
        new = BackwardHookFunction.apply(*tensors, on_backward=on_backward, materialize=materialize)
        out = list(args)
        for i, t in zip(index, new):
            out[i] = t
        return (tuple(out) if type(args) is tuple else type(args)(*out)), index

    def _pack(self, index: list, values, size: int) -> tuple:
        res = [None] * size
        for i, v in zip(index, values):
            res[i] = v
        return tuple(res)

    def _output_backward(self, grads: tuple) -> tuple:
        self.grad_outputs = self._pack(self.output_index, grads, self.n_outputs)
        for hook in self.user_pre_hooks:
            new = hook(self.module, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(self.grad_outputs):
                raise RuntimeError(
                    "Backward pre hook returned an invalid number of grad_output, got "
                    f"{len(new)}, but expected {len(self.grad_outputs)}"
                )
            self.grad_outputs = new
        grad_outputs = self.grad_outputs
        if self.input_index is None:  # no input requires grad: nothing left to wait for
            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to "
                "module outputs since no inputs require gradients. See "
                "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                "#torch.nn.Module.register_full_backward_hook for more details.",
                stacklevel=2,
            )
            grad_inputs = (None,) * self.n_inputs
            for hook in self.user_hooks:
                res = hook(self.module, grad_inputs, grad_outputs)
                if res is not None and not (isinstance(res, tuple) and all(r is None for r in res)):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should "
                        "always return None or None for all gradients."
                    )
            self.grad_outputs = None
        return [grad_outputs[i] for i in self.output_index]

    def _input_backward(self, grads: tuple) -> tuple:
        if self.grad_outputs is None:
            # the gradient reached the inputs without passing through the outputs (a double
            # backward through the module's own graph): PyTorch calls no hook then
            return grads
        res = self._pack(self.input_index, grads, self.n_inputs)
        for hook in self.user_hooks:
            new = hook(self.module, res, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(res):
                raise RuntimeError(
                    "Backward hook returned an invalid number of grad_input, got "
                    f"{len(new)}, but expected {len(res)}"
                )
            res = new
        self.grad_outputs = None
        return [res[i] for i in self.input_index]
