"""The backward engine: reverse-mode accumulation over the graph of nodes.

1. Walk the graph from the roots (an explicit stack: no recursion limit) and count, for every
   node, how many edges lead into it.
2. Run nodes in dependency order (Kahn's algorithm): a node runs once every node that feeds it a
   gradient has run, so its gradient buffer is complete. Gradients reaching the same node output
   are summed out of place.
3. After a node runs its saved tensors are released, unless ``retain_graph``.

Backward runs with grad mode set to ``create_graph``: the backward formulas are tensor ops, so
with ``create_graph=True`` they record a graph of their own (higher-order gradients) and without
it they cost no more than the arithmetic.
"""

from __future__ import annotations

import warnings

from ..backend import owner, silence_float_warnings, xp_of
from ..grad_mode import GradMode
from ..jit import recorder
from ..tensor import Tensor, stack
from . import anomaly
from .function import AccumulateGrad, Node, bfloat16_grads, grad_accumulator

_callbacks: list = []  # run once the outermost backward pass has finished
_depth = [0]  # backward passes running (a hook may start another)


def queue_callback(fn) -> None:
    """Run ``fn()`` when the backward pass now running has finished (PyTorch's
    ``Variable._execution_engine.queue_callback``): DistributedDataParallel waits for its
    gradient all-reduces there."""
    if _depth[0] == 0:
        raise RuntimeError("queue_callback can only be called during the backward pass")
    _callbacks.append(fn)


def _root_edge(t: Tensor):
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    return (grad_accumulator(t), 0)


def _make_grads(outputs, grad_outputs, create_graph) -> list:
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"outputs must be Tensors, got {type(out).__name__}")
        if not out.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if out.array.size != 1:
                raise RuntimeError(
                    "grad can be implicitly created only for scalar outputs; pass a gradient of "
                    f"shape {out.shape} to backward()"
                )
            # ones_like, not out * 0 + 1: that is nan where the output is nan or inf
            g = Tensor._make(recorder.call(xp_of(out.array).ones_like, out.array))
        elif not isinstance(g, Tensor):
            g = Tensor._from_data(g, dtype=out.dtype, device=out.device)
        if g.shape != out.shape:
            raise RuntimeError(
                f"gradient has shape {g.shape} but the output it belongs to has shape {out.shape}"
            )
        if g.dtype != out.dtype:
            g = g.to(out.dtype)
        if not create_graph:
            g = g.detach()
        grads.append(g)
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of every leaf they depend on."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(tensors) if grad_tensors is None else [grad_tensors]
    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_grads(tensors, grad_tensors, create_graph)
    roots = [(_root_edge(t), g) for t, g in zip(tensors, grads)]
    _depth[0] += 1
    try:
        _backward(roots, retain_graph, create_graph, inputs)
    except BaseException:
        if _depth[0] == 1:
            _callbacks.clear()  # a failed pass runs none of its callbacks
        raise
    finally:
        _depth[0] -= 1
    if _depth[0] == 0 and _callbacks:
        recorder.host_read("a backward callback")
        _run_callbacks()


def _backward(roots, retain_graph, create_graph, inputs) -> None:
    if inputs is None:
        _run(roots, retain_graph, create_graph)
        return
    # only into ``inputs``, leaves or not (a non-leaf gets a .grad as with retain_grad): run
    # the part of the graph that reaches them, as grad() does, then accumulate
    inputs = list({id(t): t for t in ([inputs] if isinstance(inputs, Tensor) else inputs)}.values())
    capture: dict = {}
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"backward: input {i} (shape {t.shape}) does not require grad")
        capture.setdefault(_root_edge(t), []).append(i)
    results = _run(roots, retain_graph, create_graph, capture=capture)
    stored = {id(owner(g.array)) for _, g in roots}
    for i, t in enumerate(inputs):
        if i in results:
            _accumulate(t, results[i], create_graph, stored)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    only_inputs=True,
    allow_unused=None,
    is_grads_batched=False,
    materialize_grads=False,
):
    """The gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``:
    the vector-Jacobian products ``sum_k grad_outputs[k]^T d outputs[k] / d inputs[i]``.

    As PyTorch's: ``inputs`` may be a dict (``dict(model.named_parameters())``), and then the
    result is a dict with its keys; ``allow_unused`` defaults to ``materialize_grads``, which
    gives zeros instead of None for an input the outputs do not depend on; ``only_inputs`` is
    deprecated and ignored (a FutureWarning when False). ``is_grads_batched=True`` reads the
    first dimension of every grad_output as a batch of vectors and returns the products
    stacked along it; PyTorch vectorises that with vmap, here it is one backward per vector
    over the retained graph (the same numbers, slower).
    """
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    if not only_inputs:
        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To "
            "accumulate gradient for other parts of the graph, please use "
            "torch.autograd.backward.",
            FutureWarning,
            stacklevel=2,
        )
    if isinstance(inputs, dict):
        values = grad(
            outputs,
            tuple(inputs.values()),
            grad_outputs,
            retain_graph,
            create_graph,
            allow_unused=allow_unused,
            is_grads_batched=is_grads_batched,
            materialize_grads=materialize_grads,
        )
        return dict(zip(inputs.keys(), values))
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if retain_graph is None:
        retain_graph = create_graph
    if is_grads_batched:
        return _batched_grad(
            outputs,
            inputs,
            grad_outputs,
            retain_graph,
            create_graph,
            allow_unused,
            materialize_grads,
        )
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"input {i} of autograd.grad does not require grad")
    grads = _make_grads(outputs, grad_outputs, create_graph)
    roots = [(_root_edge(t), g) for t, g in zip(outputs, grads)]
    capture = {}
    for i, x in enumerate(inputs):
        capture.setdefault(_root_edge(x), []).append(i)
    results = _run(roots, retain_graph, create_graph, capture=capture)
    out = []
    for i, x in enumerate(inputs):
        g = results.get(i)
        if g is None and not allow_unused:
            raise RuntimeError(
                f"input {i} (shape {x.shape}) appears to not have been used in the graph; set "
                "allow_unused=True if this is the desired behavior"
            )
        if g is None and materialize_grads:
            g = x.detach().new_zeros(x.shape).requires_grad_(create_graph)
        out.append(g)
    return tuple(out)


def _batched_grad(
    outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused, materialize_grads
) -> tuple:
    """``grad`` once per vector of the batched ``grad_outputs``, the results stacked on dim 0
    (None where an input was unused for every vector)."""
    sizes = {g.shape[0] for g in grad_outputs if g is not None}
    if len(sizes) != 1:
        raise RuntimeError(
            "is_grads_batched=True needs every grad_output to be a tensor with the same batch "
            f"size in dim 0, got shapes {[None if g is None else g.shape for g in grad_outputs]}"
        )
    (n,) = sizes
    rows = [
        grad(
            outputs,
            inputs,
            [None if g is None else g[b] for g in grad_outputs],
            retain_graph=True if b < n - 1 else retain_graph,
            create_graph=create_graph,
            allow_unused=allow_unused,
            materialize_grads=materialize_grads,
        )
        for b in range(n)
    ]
    return tuple(None if col[0] is None else stack(list(col)) for col in zip(*rows))


def _graph(roots) -> dict:
    """Number of edges into every node reachable from the roots."""
    deps: dict = {}
    stack = []
    for (node, _), _g in roots:
        if node not in deps:
            deps[node] = 0
            stack.append(node)
    while stack:
        node = stack.pop()
        for edge in node.next_functions:
            if edge is None:
                continue
            nxt = edge[0]
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                stack.append(nxt)
    return deps


def _needed(deps: dict, targets: set) -> set:
    """Nodes from which a target can be reached (only those run for ``autograd.grad``)."""
    needed = set(targets)
    # process in reverse topological order: children before parents
    order = _topological(deps)
    for node in reversed(order):
        if node in needed:
            continue
        for edge in node.next_functions:
            if edge is not None and edge[0] in needed:
                needed.add(node)
                break
    return needed


def _topological(deps: dict) -> list:
    remaining = dict(deps)
    ready = [n for n, d in remaining.items() if d == 0]
    order = []
    while ready:
        node = ready.pop()
        order.append(node)
        for edge in node.next_functions:
            if edge is not None:
                remaining[edge[0]] -= 1
                if remaining[edge[0]] == 0:
                    ready.append(edge[0])
    return order


# for each pass in progress (a node's backward may start another): whether it captures its
# gradients (``grad``, ``backward(inputs=...)``) instead of accumulating them into ``.grad``
_capturing: list[bool] = []


def accumulating() -> bool:
    """Whether the backward pass in progress accumulates into every leaf's ``.grad``
    (``loss.backward()``), as opposed to returning gradients (``autograd.grad``)."""
    return not _capturing or not _capturing[-1]


def _run(roots, retain_graph, create_graph, capture=None) -> dict:
    silence_float_warnings()  # backward formulas hit 1/0 as forward ones do (sqrt at 0)
    deps = _graph(roots)
    needed = _needed(deps, {edge[0] for edge in capture}) if capture is not None else None
    buffers: dict = {}
    for (node, nr), g in roots:
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node._n_outputs
        buf[nr] = g if buf[nr] is None else buf[nr] + g
    results: dict = {}
    stored = {id(owner(g.array)) for _, g in roots}  # a caller's gradient is never a .grad
    ready = [node for node, d in deps.items() if d == 0]
    prev_mode = GradMode.enabled
    GradMode.enabled = create_graph
    check = anomaly.enabled and anomaly.enter_backward()  # detect_anomaly(): check gradients
    _capturing.append(capture is not None)
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            for edge in node.next_functions:
                if edge is not None:
                    nxt = edge[0]
                    deps[nxt] -= 1
                    if deps[nxt] == 0:
                        ready.append(nxt)
            if grads is None or (needed is not None and node not in needed):
                continue
            if node._hooks:
                recorder.host_read("a tensor hook")
                grads = _call_hooks(node._hooks, grads)
            is_leaf = type(node) is AccumulateGrad
            if is_leaf and node.variable._hooks:  # before grad() captures
                recorder.host_read("a tensor hook")
                grads = _call_hooks({0: node.variable._hooks}, grads)
            if capture is not None:
                for nr, g in enumerate(grads):
                    for i in capture.get((node, nr), ()):
                        results[i] = g
            if is_leaf:
                if capture is None:
                    _accumulate(node.variable, grads[0], create_graph, stored)
                continue
            # run the node (inlined: this loop is the engine's hot path)
            if node._n_outputs > 1 and any(g is None for g in grads):
                if getattr(node, "_materialize_grads", True):
                    grads = _materialize(node, grads)
            in_grads = type(node).backward(node, *grads)
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            if node.bf16_inputs is not None:
                in_grads = bfloat16_grads(node, in_grads)
            if check:
                anomaly.check_gradients(node, in_grads)
            edges = node.next_functions
            if len(in_grads) < len(edges):
                raise RuntimeError(
                    f"{node.name()} returned {len(in_grads)} gradients but expected {len(edges)}"
                )
            if not retain_graph:
                node._saved = None
            for edge, g, shape in zip(edges, in_grads, node.input_shapes):
                if edge is None or g is None:
                    continue
                if not isinstance(g, Tensor):
                    raise TypeError(f"{node.name()} returned a {type(g).__name__}, not a Tensor")
                if g.array.shape != shape:
                    raise RuntimeError(
                        f"{node.name()} returned a gradient of shape {g.shape} for an input of "
                        f"shape {shape}"
                    )
                nxt, nr = edge
                buf = buffers.get(nxt)
                if buf is None:
                    buffers[nxt] = buf = [None] * nxt._n_outputs
                    buf[nr] = g
                else:
                    buf[nr] = g if buf[nr] is None else buf[nr] + g
    finally:
        _capturing.pop()
        GradMode.enabled = prev_mode
        if check:
            anomaly.exit_backward()
    return results


def _run_callbacks() -> None:
    while _callbacks:  # a callback may queue another
        _callbacks.pop(0)()


def _call_hooks(hooks: dict, grads: list) -> list:
    grads = list(grads)
    for nr, fns in hooks.items():
        if grads[nr] is None:
            continue
        for fn in list(fns.values()):
            out = fn(grads[nr])
            if out is not None:
                grads[nr] = out
    return grads


def _materialize(node: Node, grads: list) -> list:
    """Outputs of a multi-output node that got no gradient count as zeros (as in PyTorch)."""
    return [g if g is not None else _zeros(node._output_meta[i]) for i, g in enumerate(grads)]


def _zeros(meta) -> Tensor:
    shape, np_dtype, xp = meta
    return Tensor._make(recorder.call(xp.zeros, shape, dtype=np_dtype))


def _accumulate(leaf: Tensor, g: Tensor, create_graph: bool, stored: set) -> None:
    """``leaf.grad += g``. Pass-through backwards (add, reshape, ...) hand the same memory to
    several inputs, so a gradient whose memory is already stored in another leaf this pass (or
    is the caller's own gradient) is copied first: no two ``.grad`` ever alias."""
    if g.dtype != leaf.dtype:
        g = g.to(leaf.dtype)
    old = leaf._grad
    if old is None:
        if create_graph:
            leaf._grad = g
        else:
            data = g.array
            memory = owner(data)
            if id(memory) in stored:
                data = recorder.call(_copy, data)
                memory = data
            stored.add(id(memory))
            recorder.call(_set_grad, leaf, data)
    elif create_graph or old.requires_grad:
        leaf._grad = old + g
    else:
        recorder.call(_add_into, old.array, g.array)
        old._version_counter[0] += 1
    if leaf._post_accumulate_hooks:
        recorder.host_read("a post-accumulate-grad hook")
        for hook in list(leaf._post_accumulate_hooks.values()):
            hook(leaf)


def _copy(array):
    return array.copy()


def _set_grad(leaf: Tensor, data) -> None:
    leaf._grad = Tensor._make(data)


def _add_into(target, values) -> None:
    target += values
