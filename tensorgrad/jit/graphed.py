"""``tg.compile(model)``: a module's forward and its backward, each replayed as one graph node
(what ``torch.cuda.make_graphed_callables`` does), so ``loss.backward()`` outside still works.

Recording (call 2 with grad on): the forward runs eagerly, then the engine's backward from its
output to the inputs that require grad and the parameters, on a stand-in output gradient that
is an input of the recording (``autograd.grad(..., retain_graph=True)``: the user's graph of
call 2 stays usable). The steps split there: the forward part returns the output and the arrays
the backward part reads (the saved activations); the backward part takes those and the output
gradient and returns one gradient per input and parameter. A replay is one ``_Graphed`` node:
its forward runs the first part, its backward the second, and the engine accumulates the
parameters' gradients as it would eager ones. Under ``no_grad`` the forward alone is recorded
and replayed (generation, evaluation).

The forward may return one tensor or a tuple, list or dict of them (nested too, with None or
Python values beside: ``(logits, loss)`` of a GPT, ``{"loss": ..., "logits": ...}``): the
recorded backward then starts from one stand-in gradient per output that requires grad, and
the node has one output per returned tensor. Gradients of gradients (``create_graph=True``)
through the node are an error.
"""

from __future__ import annotations

from ..autograd import engine
from ..autograd.function import Function
from ..func.pytree import tree_flatten, tree_unflatten
from ..grad_mode import GradMode
from ..tensor import Tensor
from . import fuse as fusion
from .compiled import CompiledFunction, _can_fuse
from .recorder import Recorder
from .replay import Replay, _generate, load


class GraphedForward(CompiledFunction):
    """A module's forward as ``tg.compile`` makes it (``model.forward`` is replaced)."""

    def __init__(self, module, **options) -> None:
        super().__init__(module.forward, **options)
        self.module = module

    def profile(self, *args, **kwargs) -> str:
        """``CompiledFunction.profile`` of the forward replayed alone, under ``no_grad``."""
        if GradMode.enabled:
            raise TypeError(
                "profile() of a compiled module times its forward replayed alone, under "
                "no_grad (generation, evaluation); with grad on, its backward half runs later, "
                "inside loss.backward(): compile the training step and profile that "
                "(tg.compile(step).profile(x, y))"
            )
        return super().profile(*args, **kwargs)

    def _recording_done(self, rec: Recorder, tensors: list, out):
        if not GradMode.enabled:
            return super()._recording_done(rec, tensors, out)
        values, spec = tree_flatten(out)
        leaves = [t for t in values if isinstance(t, Tensor)]
        # the result's nesting and its other values, a None where each tensor goes (the
        # recording's own tensors, with their graph, are not kept)
        template = ([None if isinstance(v, Tensor) else v for v in values], spec)
        is_tensor = [isinstance(v, Tensor) for v in values]
        differentiable = [t for t in leaves if t.requires_grad]
        if not differentiable:
            return lambda: None
        params = [p for p in self.module.parameters() if p.requires_grad]
        targets = [t for t in tensors if t.requires_grad] + params
        n_forward = len(rec.steps)
        # stand-in output gradients: input slots of the backward half
        seeds = [Tensor._make(t.array.copy()) for t in differentiable]
        g_slots = [rec._new_slot(seed.array) for seed in seeds]
        grads = engine.grad(differentiable, targets, seeds, retain_graph=True, allow_unused=True)

        def finish():
            try:
                return GraphedReplay(
                    rec,
                    n_forward,
                    (template, is_tensor),
                    leaves,
                    g_slots,
                    targets,
                    grads,
                    self.fuse,
                )
            except _NotReplayable:  # an output or gradient that is not an array it made
                return None

        return finish


class GraphedReplay(Replay):
    """The two halves of a recording and the node that runs them."""

    functions = ("forward_fn", "backward_fn")

    def __init__(self, rec, n_forward, template, leaves, g_slots, targets, grads, fuse) -> None:
        fuse = fuse and _can_fuse()
        forward, backward = rec.steps[:n_forward], rec.steps[n_forward:]
        made = set(rec.inputs) | {s.out for s in forward if type(s.out) is int}
        made |= {n for s in forward if s.kind == "op" for _, n in s.side}
        made |= {n for s in forward if type(s.out) is tuple for n in s.out if n is not None}
        saved = sorted({n for step in backward for n in step.reads()})
        saved = [n for n in saved if n in made]
        out_slots = [rec.slot_of(t.array) for t in leaves]
        grad_slots = [None if g is None else rec.slot_of(g.array) for g in grads]
        if None in out_slots or any(g is not None and n is None for g, n in zip(grads, grad_slots)):
            raise _NotReplayable
        returned = [n for n in grad_slots if n is not None]
        inputs = [n for n in rec.inputs if n not in g_slots]
        if fuse:
            forward = fusion.fuse(forward, rec.meta, {*out_slots, *saved, *inputs})
            backward = fusion.fuse(backward, rec.meta, {*returned, *saved, *g_slots})
        fwd_source, fwd_names, fwd_plan = _generate(rec, forward, [*out_slots, *saved], inputs)
        bwd_source, bwd_names, bwd_plan = _generate(rec, backward, returned, [*saved, *g_slots])
        self.forward_fn, self.backward_fn = load(fwd_source, fwd_names), load(bwd_source, bwd_names)
        self.source = f"# forward\n{fwd_source}# backward\n{bwd_source}"
        self.kernels = list(
            dict.fromkeys(s.side[2] for s in forward + backward if s.kind == "fused")
        )
        self.n_steps = len(rec.steps)
        self._measure(rec, [(forward, fwd_plan), (backward, bwd_plan)])
        self.targets = targets
        self.grad_slots = grad_slots
        self.template = template
        self.n_outputs = len(leaves)
        self.differentiable = [t.requires_grad for t in leaves]
        self._guard(rec, inputs)
        self.outputs = None

    def run(self, tensors: list):
        inputs = [t for t in tensors if t.requires_grad]
        params = self.targets[len(inputs) :]
        outs = iter(_Graphed.apply(self, [t.array for t in tensors], *inputs, *params))
        (values, spec), is_tensor = self.template
        return tree_unflatten([next(outs) if t else v for v, t in zip(values, is_tensor)], spec)


class _NotReplayable(Exception):
    pass


class _Graphed(Function):
    """One node for a compiled module's forward; its backward replays the recorded backward."""

    @staticmethod
    def forward(ctx, replay, arrays, *targets):
        values = replay.forward_fn(*arrays)
        ctx.replay, ctx.saved_arrays = replay, values[replay.n_outputs :]
        outs = tuple(Tensor._make(a) for a in values[: replay.n_outputs])
        ctx.mark_non_differentiable(
            *[t for t, d in zip(outs, replay.differentiable, strict=True) if not d]
        )
        return outs

    @staticmethod
    def backward(ctx, *gs):
        if GradMode.enabled:
            raise RuntimeError(
                "backward through a tg.compile'd module with create_graph=True: its backward is "
                "a replayed recording, which has no graph of its own; use the module uncompiled "
                "for gradients of gradients"
            )
        replay = ctx.replay
        seeds = [g.array for g, d in zip(gs, replay.differentiable) if d]
        values = iter(replay.backward_fn(*ctx.saved_arrays, *seeds))
        grads = [None if n is None else Tensor._make(next(values)) for n in replay.grad_slots]
        return (None, None, *grads)
