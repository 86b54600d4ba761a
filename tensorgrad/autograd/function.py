"""Graph nodes: ``Node`` (a ``grad_fn``), user-defined ``Function`` and built-in ``Op``.

During forward a node is the op's context ``ctx``: it keeps what backward needs. Afterwards it is
the tensor's ``grad_fn``: ``next_functions`` holds one edge ``(node, output_nr)`` per input (or
``None`` where the input needs no gradient); a leaf that requires grad is reached through its
``AccumulateGrad`` node, as in PyTorch.

Saved tensors remember their version counter at save time. Modifying one in place before backward
bumps the counter, and reading ``ctx.saved_tensors`` then raises instead of giving a wrong gradient.
An op's own output is saved as its array (not the Tensor, whose ``grad_fn`` is this node) so the
graph has no reference cycles and is freed by reference counting alone.
"""

from __future__ import annotations

import functools
import weakref

import numpy as np

from .. import backend, kernels
from ..backend import silence_float_warnings, xp_of
from ..grad_mode import GradMode
from ..hooks import RemovableHandle
from ..kernels import bfloat16 as _kbf16
from ..tensor import Tensor

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through "
    "the graph a second time or if you need to access saved tensors after calling backward."
)


# Tools that look at every op as it runs (viz.trace, autograd.detect_anomaly) register a watcher;
# while none is registered ``_watch`` is None and ``Op.apply`` pays one global check for them.
_watchers: list = []
_watch = None


_recorder = None  # tg.compile's recorder while it records a step (it runs the ops itself)

# bfloat16's NumPy dtype once a bfloat16 tensor can exist (ml_dtypes imported); until then
# Op.apply pays one global check for it
_BF16 = None


def _bfloat16_exists(np_dtype) -> None:
    global _BF16
    _BF16 = np_dtype


backend.on_bfloat16(_bfloat16_exists)


def add_op_watcher(fn) -> None:
    """Call ``fn(cls, inputs, output)`` after every ``Op.apply`` and ``Function.apply``:
    ``cls`` is the op class, ``output`` what apply returned (its ``grad_fn`` is the new node when
    a graph was recorded). A watcher may raise to stop the op's caller."""
    _watchers.append(fn)
    _update_watch()


def remove_op_watcher(fn) -> None:
    _watchers.remove(fn)
    _update_watch()


def set_recorder(fn) -> None:
    """While ``fn`` is not None, every ``Op.apply`` and ``Function.apply`` is
    ``fn(apply, cls, args, kwargs)`` (``apply`` the plain body): how ``tg.compile`` records
    a step (tensorgrad/jit/recorder.py). Watchers are not called meanwhile."""
    global _recorder
    _recorder = fn
    _update_watch()


def _update_watch() -> None:
    global _watch
    _watch = _recorder if _recorder is not None else _watched_apply if _watchers else None


def _watched_apply(apply, cls, args, kwargs):
    """Run ``apply`` (the base class's unwatched body) with watching paused, so the ops inside
    a ``Function``'s forward are not reported as well, then tell every watcher."""
    global _watch
    _watch = None
    try:
        out = apply(cls, *args, **kwargs)
    finally:
        _update_watch()
    for fn in list(_watchers):
        fn(cls, args, out)
    return out


class _SavedOutput:
    """An output of the node itself, kept as its array so the node does not own its output."""

    __slots__ = ("array", "version", "output_nr")

    def __init__(self, tensor: Tensor) -> None:
        self.array, self.output_nr = tensor.array, tensor._output_nr
        self.version = tensor._version_counter


# saved_tensors_hooks (autograd/graph.py): (pack, unpack) pairs of the open blocks, innermost
# last; Op.apply checks the list only when it saves tensors
saved_hooks: list = []
hooks_disabled_message = None  # disable_saved_tensors_hooks' error message while it is open


class _Packed:
    """A saved tensor as a pack hook returned it: ``unpack(value)`` gives it back. As in
    PyTorch its version is not checked (the hook may have kept a copy, which an in-place
    change does not touch); ``output_nr`` is set for the node's own output, rebuilt with the
    node as its grad_fn and ``version`` as its version counter."""

    __slots__ = ("value", "unpack", "version", "output_nr")

    def __init__(self, x, hooks: tuple) -> None:
        pack, self.unpack = hooks
        if type(x) is _SavedOutput:
            self.version, self.output_nr = x.version, x.output_nr
            x = Tensor._make(x.array)  # what the hook sees: the values, without the graph
        else:
            self.version, self.output_nr = x._version_counter, None
        global saved_hooks
        outer, saved_hooks = saved_hooks, []  # the hook's own ops save without it
        try:
            self.value = pack(x)
        finally:
            saved_hooks = outer

    def get(self, node: Node) -> Tensor:
        t = self.unpack(self.value)
        if not isinstance(t, Tensor):
            raise TypeError(
                f"saved_tensors_hooks: the unpack hook must return a Tensor, got {type(t).__name__}"
            )
        if self.output_nr is not None:
            return Tensor._make(t.array, node, True, self.output_nr, self.version)
        return t


def _packed(saved: tuple) -> tuple:
    """The saved tensors through the innermost pack hook (other saved values as they are)."""
    hooks = saved_hooks[-1]
    return tuple(
        _Packed(x, hooks) if isinstance(x, Tensor) or type(x) is _SavedOutput else x for x in saved
    )


class Node:
    """A backward node; subclasses define ``backward(ctx, *grad_outputs)``."""

    __slots__ = (
        "next_functions",
        "needs_input_grad",
        "input_shapes",
        "_saved",
        "_saved_versions",
        "_output_meta",
        "__weakref__",
        "__dict__",
    )

    _hooks = None  # {output_nr: {handle id: fn}} once a hook is registered
    _n_outputs = 1
    bf16_inputs = None  # which inputs were bfloat16 arrays that forward got in float32

    def name(self) -> str:
        return type(self).__name__ + "Backward0"  # PyTorch's spelling: MulBackward0

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        out = []
        for i, (x, version) in enumerate(zip(saved, self._saved_versions)):
            if type(x) is _Packed:  # the hook's value is what was saved: no version to check
                out.append(x.get(self))
                continue
            if version is not None:
                box = x.version if type(x) is _SavedOutput else x._version_counter
                if box[0] != version:
                    shape = tuple(x.array.shape)
                    raise RuntimeError(
                        "one of the variables needed for gradient computation has been modified "
                        f"by an inplace operation: saved tensor {i} of {self.name()}, of shape "
                        f"{shape}, is at version {box[0]}; expected version {version} instead."
                    )
                if type(x) is _SavedOutput:
                    x = Tensor._make(x.array, self, True, x.output_nr, x.version)
            out.append(x)
        return tuple(out)

    def register_hook(self, output_nr: int, fn) -> RemovableHandle:
        """Call ``fn(grad)`` on the gradient of output ``output_nr``; a return value replaces it."""
        if self._hooks is None:
            self._hooks = {}
        hooks = self._hooks.setdefault(output_nr, {})
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle


def unbroadcast(ctx: Node, *grads) -> tuple:
    """The gradients a node returns, one per input, each summed back to its input's shape where
    broadcasting grew the input (the adjoint of broadcasting, HIPS autograd's ``unbroadcast``)
    and None for an input that needs no gradient. Pass None for a gradient not computed."""
    shapes, needs = ctx.input_shapes, ctx.needs_input_grad
    if len(grads) == 2:  # every binary op's backward: unrolled, a loop costs it 0.3 us more
        return _reduce_to(grads[0], shapes[0], needs[0]), _reduce_to(grads[1], shapes[1], needs[1])
    return tuple(map(_reduce_to, grads, shapes, needs))


def _reduce_to(grad, shape, needed: bool):
    if grad is None or not needed:
        return None
    return grad if shape is None or grad.array.shape == shape else grad.sum_to(shape)


def _edge(x) -> tuple | None:
    """The edge backward follows from a node to its input ``x``."""
    if type(x) is not Tensor and not isinstance(x, Tensor):
        return None
    if x._base is not None and x._version_counter[0] != x._view_version and GradMode.enabled:
        refresh_view(x)
    if x.grad_fn is not None:
        return (x.grad_fn, x._output_nr)
    if x.requires_grad:
        return (x._grad_accumulator(), 0)
    return None


def _versions(saved: tuple) -> tuple:
    out = []
    for x in saved:
        if isinstance(x, Tensor):
            out.append(x._version_counter[0])
        elif type(x) is _SavedOutput:
            out.append(x.version[0])
        else:
            out.append(None)
    return tuple(out)


class _Scratch:
    """The ``ctx`` of an op that records no graph: forward may set attributes, nobody reads them."""


SCRATCH = _Scratch()
_new = object.__new__
_make = Tensor._make


class RetainGrad:
    """The hook behind ``retain_grad``: it keeps a weak reference, so no cycle through the node."""

    def __init__(self, tensor: Tensor) -> None:
        self.ref = weakref.ref(tensor)

    def __call__(self, grad: Tensor) -> None:
        t = self.ref()
        if t is not None:
            # a copy: the same memory flows on to other nodes and may end up in a leaf's .grad
            g = grad if GradMode.enabled else Tensor._make(grad.array.copy())
            t._grad = g if t._grad is None else t._grad + g


class AccumulateGrad(Node):
    """The node of a leaf tensor: backward adds the incoming gradient into ``variable.grad``."""

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable
        self.next_functions = ()
        self.needs_input_grad = ()
        self.input_shapes = ()
        self._saved = ()
        self._hooks = None
        self._n_outputs = 1

    def name(self) -> str:
        return "AccumulateGrad"


class Op(Node):
    """A built-in primitive: ``forward`` computes on raw arrays, ``backward`` in tensor ops.

    ``forward(ctx, *inputs, **params)`` gets the inputs' arrays (Python scalars pass through) and
    returns the output array. ``backward(ctx, grad)`` gets the output gradient as a Tensor and
    returns one gradient per input (a bare Tensor for a single input), ``None`` where
    ``ctx.needs_input_grad`` is False. Written in tensor ops, it is itself differentiable, which
    is what makes ``create_graph=True`` work.

    Class flags say what backward needs: ``saves_inputs`` (the input tensors, in
    ``ctx.saved_tensors``), ``saves_output`` (the output, appended to ``ctx.saved_tensors``) and
    ``is_view`` (the output aliases input 0's memory, shares its version counter and remembers
    its base, so that an in-place op on it can update the base's history; see
    ``views.make_view``).
    """

    saves_inputs = False
    saves_output = False
    is_view = False
    may_copy = False  # a view op whose forward sometimes has to copy (reshape)
    # forward takes bfloat16 arrays as they are (views, casts, in-place writes); every other op
    # gets them as float32 and its float result is rounded to bfloat16 once (``_in_float32``)
    takes_bfloat16 = False

    @classmethod
    def apply(cls, *inputs, **params) -> Tensor:
        # The hot path of every op, so it is written for speed: no graph -> one array op and
        # one Tensor; recording -> one node with its edges and saved tensors.
        if _watch is not None:
            return _watch(_op_apply, cls, inputs, params)
        silence_float_warnings()
        record = False
        datas = []
        for x in inputs:
            if isinstance(x, Tensor):
                if x._base is not None and GradMode.enabled:
                    if x._version_counter[0] != x._view_version:
                        refresh_view(x)
                datas.append(x.array)
                if x.requires_grad:
                    record = True
            else:
                datas.append(x)
        forward = cls.forward
        if _BF16 is not None and not (cls.is_view or cls.takes_bfloat16):
            forward = _in_float32(forward, datas, params)
        if not (record and GradMode.enabled):
            out = forward(SCRATCH, *datas, **params)
            if cls.is_view:
                return make_view(out, None, inputs[0], cls, params)
            return _make(out)
        ctx = _new(cls)
        out = forward(ctx, *datas, **params)
        if cls.is_view:
            result = make_view(out, ctx, inputs[0], cls, params)
        else:
            result = _make(out, ctx, True)
        edges = []
        needs = []
        shapes = []
        for x in inputs:
            if isinstance(x, Tensor):
                shapes.append(x.array.shape)
                if x.grad_fn is not None:
                    edges.append((x.grad_fn, x._output_nr))
                    needs.append(True)
                    continue
                if x.requires_grad:
                    edges.append((x._grad_accumulator(), 0))
                    needs.append(True)
                    continue
            else:
                shapes.append(None)
            edges.append(None)
            needs.append(False)
        ctx.next_functions = tuple(edges)
        ctx.needs_input_grad = tuple(needs)
        ctx.input_shapes = tuple(shapes)
        if cls.saves_inputs or cls.saves_output:
            saved = cls.inputs_to_save(ctx.needs_input_grad, inputs) if cls.saves_inputs else ()
            if cls.saves_output:
                saved = (*saved, _SavedOutput(result))
            ctx._saved_versions = _versions(saved)
            ctx._saved = _packed(saved) if saved_hooks else saved
        else:
            ctx._saved = ()
        return result

    @staticmethod
    def inputs_to_save(needs_input_grad: tuple, inputs: tuple) -> tuple:
        """The inputs ``saves_inputs`` keeps. An op may put ``None`` for an input that only
        feeds gradients nobody needs, as PyTorch does: the graph keeps less alive, and modifying
        that input in place (``y[1] = y[1] * 5``) is no error."""
        return inputs

    def forward(ctx, *inputs, **params):
        raise NotImplementedError

    def backward(ctx, grad: Tensor):
        raise NotImplementedError


def _in_float32(forward, datas: list, params: dict):
    """An op over bfloat16 arrays computes in float32 and rounds its result once, as PyTorch's
    CPU kernels do (they load bfloat16 into float32 vectors, and reductions and matmuls
    accumulate in float32): the bfloat16 arrays in ``datas`` are replaced by float32 copies
    (exact), and the returned forward rounds its float outputs to bfloat16, unless another
    input was float32 or float64 (the result then has that dtype, as promotion says) or the
    op was given its result's ``dtype``."""
    narrow = False
    was = [False] * len(datas)
    for i, a in enumerate(datas):
        d = getattr(a, "dtype", None)
        if d is _BF16:
            datas[i] = a.astype(np.float32)
            narrow = was[i] = True
        elif d is not None and d.kind == "f" and getattr(a, "ndim", 0):
            return forward  # a float32/float64 operand wins: NumPy promotes to it
    if not narrow or params.get("dtype") is not None:
        return forward

    def forward_rounded(ctx, *args, **kwargs):
        if ctx is not SCRATCH:  # backward may compute in float32 too: the engine rounds
            ctx.bf16_inputs = tuple(was)  # the gradients of these inputs (``bfloat16_grads``)
        return _to_bfloat16(forward(ctx, *args, **kwargs))

    return forward_rounded


@functools.cache
def in_float32_op(cls):
    """The op a tg.compile recording replays for ``cls`` on bfloat16 arrays: a subclass whose
    ``forward`` widens and rounds around ``cls.forward`` as ``Op.apply`` does (fusion and
    buffer planning pass it by: they know ``cls``, not it)."""

    def forward(ctx, *datas, **params):
        datas = list(datas)
        return _in_float32(cls.forward, datas, params)(ctx, *datas, **params)

    return type(cls.__name__, (cls,), {"forward": staticmethod(forward), "replays": cls})


def bfloat16_grads(node: Node, grads: tuple) -> tuple:
    """``node``'s input gradients, those of its bfloat16 inputs cast to bfloat16 (a backward
    that reads float32 arrays its forward kept gives float32), as PyTorch's engine casts each
    gradient to its input's dtype."""
    return (
        tuple(
            g.to(_BF16) if bf16 and g is not None and g.array.dtype is not _BF16 else g
            for g, bf16 in zip(grads, node.bf16_inputs)
        )
        + grads[len(node.bf16_inputs) :]
    )


def _to_bfloat16(out):
    if isinstance(out, (tuple, list)):
        return type(out)(_to_bfloat16(o) for o in out)
    if getattr(out, "dtype", None) is not None and out.dtype.kind == "f":
        return to_bfloat16(out)
    return out


def to_bfloat16(array):
    """A float array rounded to bfloat16 (nearest, ties to even): the kernel
    (``kernels/bfloat16.py``) for a C-contiguous float32 one, else ml_dtypes' cast."""
    if kernels.ENABLED and type(array) is np.ndarray:
        out = _kbf16.narrow(array, _BF16)
        if out is not None:
            return out
    return array.astype(_BF16)


class Function(Node):
    """User-defined differentiable op, PyTorch's ``torch.autograd.Function``::

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad):
                (y,) = ctx.saved_tensors
                return grad * y

        y = Exp.apply(x)

    ``forward`` runs without recording a graph and gets the Tensor arguments as they are;
    ``backward`` returns one gradient per ``forward`` argument (``None`` for non-tensors).

    PyTorch 2's split form works too: a ``forward(*args)`` without ``ctx`` beside a
    ``setup_context(ctx, inputs, output)`` that saves what backward needs.
    """

    _materialize_grads = True

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def setup_context(ctx, inputs: tuple, output) -> None:
        """Fill ``ctx`` from the ``inputs`` and ``output`` of a ``forward`` that takes no ctx
        (PyTorch 2's form); a Function whose ``forward`` takes ``ctx`` leaves it undefined."""
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must define backward(ctx, ...)")

    def save_for_backward(self, *tensors) -> None:
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs that ``forward`` modified in place and returns: the output is that
        same tensor, its history rebased onto this node (as an in-place op's is)."""
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        """With ``False``, backward gets ``None`` (not zeros) for an output that received no
        gradient, as PyTorch's; call it from ``forward`` or ``setup_context``."""
        self._materialize_grads = bool(value)

    # a Function of this package whose forward makes its arrays through ops and
    # jit.recorder.call: tg.compile records what runs inside it instead of refusing it
    _recorded_inside = False

    @classmethod
    def apply(cls, *args, **kwargs):
        if _watch is not None and not (cls._recorded_inside and _recorder is not None):
            return _watch(_function_apply, cls, args, kwargs)
        ctx = cls.__new__(cls)
        ctx._to_save = ()
        ctx._non_differentiable = set()
        ctx._dirty = set()
        edges = tuple([_edge(a) for a in args])
        ctx.needs_input_grad = tuple([e is not None for e in edges])  # forward may read it too
        record = GradMode.enabled and any(e is not None for e in edges)
        prev, GradMode.enabled = GradMode.enabled, False
        try:
            if cls.setup_context is Function.setup_context:
                outputs = cls.forward(ctx, *args, **kwargs)
            else:  # PyTorch 2's form: forward(*args), then setup_context(ctx, inputs, output)
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
        finally:
            GradMode.enabled = prev
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        input_ids = {id(a) for a in args}
        wrapped = []
        for nr, o in enumerate(outs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                continue
            if id(o) in ctx._dirty:  # modified in place: the same tensor, with a new history
                if record:
                    check_can_modify(o)
                    rebase(o, Tensor._make(o.array, ctx, True, nr))
                wrapped.append(o)
                continue
            if id(o) in input_ids:  # an input returned as is: a new tensor sharing its data
                o = Tensor._make(o.array, None, False, 0, o._version_counter)
                if record:
                    o._returned_by = (cls.__name__, nr, len(outs))
            if record and id(outs[nr]) not in ctx._non_differentiable:
                o.grad_fn, o.requires_grad, o._output_nr = ctx, True, nr
            wrapped.append(o)
        if record:
            ctx.next_functions = edges
            ctx.input_shapes = tuple([a.shape if isinstance(a, Tensor) else None for a in args])
            ctx._hooks = None
            ctx._n_outputs = len(outs)
            ctx._output_meta = [_meta(o) for o in wrapped]
            out_index = {id(o): w for o, w in zip(outs, wrapped)}
            saved = tuple(
                _SavedOutput(out_index[id(t)]) if id(t) in out_index else t for t in ctx._to_save
            )
            ctx._saved_versions = _versions(saved)
            ctx._saved = _packed(saved) if saved_hooks else saved
        ctx._to_save = None
        return wrapped[0] if single else tuple(wrapped)


_TWICE = "trying to differentiate twice a function that was marked with @once_differentiable"


def once_differentiable(fn):
    """Decorate a ``Function.backward`` that computes on values only, as PyTorch's
    ``torch.autograd.function.once_differentiable``: it runs without recording a graph, and
    under ``create_graph=True`` its results carry a node that raises if differentiated again."""

    @functools.wraps(fn)
    def wrapper(ctx, *args, **kwargs):
        prev, GradMode.enabled = GradMode.enabled, False
        try:
            outputs = fn(ctx, *args, **kwargs)
        finally:
            GradMode.enabled = prev
        if not prev or not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        from ..ops.indexing import DelayedError  # ops build on this module

        # each result becomes a fresh leaf behind a node whose backward raises
        out = tuple(
            DelayedError.apply(o.detach().requires_grad_(), message=_TWICE)
            if isinstance(o, Tensor)
            else o
            for o in ((outputs,) if not isinstance(outputs, tuple) else outputs)
        )
        return out if isinstance(outputs, tuple) else out[0]

    return wrapper


_op_apply = Op.apply.__func__  # the bodies a watcher runs (a subclass may wrap apply)
_function_apply = Function.apply.__func__


def _meta(o) -> tuple | None:
    """What the engine needs to make a zero gradient for an output that received none."""
    if not isinstance(o, Tensor):
        return None
    return (o.array.shape, o.array.dtype, xp_of(o.array))


def grad_accumulator(tensor: Tensor) -> AccumulateGrad:
    """The leaf's ``AccumulateGrad`` node, made once and shared while the graph holds it."""
    acc = tensor._accumulator() if tensor._accumulator is not None else None
    if acc is None:
        acc = AccumulateGrad(tensor)
        tensor._accumulator = weakref.ref(acc)
    return acc


# views.py defines CopySlices, an Op, so it is imported once Op exists; Op.apply and _edge use
# these two at call time.
from .views import check_can_modify, make_view, rebase, refresh_view  # noqa: E402 (views.py subclasses Op, defined above)
