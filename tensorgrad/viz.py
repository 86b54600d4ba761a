"""Pictures of the backward graph: ``draw_graph`` gives Graphviz DOT source, ``Graph.render``
an SVG or PNG.

The graph drawn is the one ``backward`` walks: one box per node (``output.grad_fn`` and every
node reachable through ``next_functions``), an arrow from each node to the node that consumed
its output, as torchviz draws it: inputs at the top, the output at the bottom. Leaves are the
``AccumulateGrad`` nodes of tensors that require grad.

``trace(model)`` records, while a forward runs inside it, which submodule ran each op; with it
``draw_graph(..., collapse=True)`` draws each repeated block (a child of a ``Sequential`` or a
``ModuleList``) as one box, which keeps a transformer's graph readable.

The DOT text needs nothing installed. Rendering needs the ``graphviz`` Python package
(``pip install graphviz``) and Graphviz's ``dot`` program (``apt-get install graphviz``,
``brew install graphviz``).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import weakref
from collections.abc import Iterator, Sequence

import numpy as np

from .autograd.function import AccumulateGrad, Node, add_op_watcher, remove_op_watcher
from .grad_flow import l2_norm
from .tensor import Tensor

__all__ = ["Graph", "draw_graph", "trace"]

_FILL = {"op": "#e6e6e6", "leaf": "#cfe2ff", "output": "#c9f2c7", "box": "#fff1b8"}


# ---------------------------------------------------------------------------- trace


class _ModuleInfo:
    """A submodule as ``trace`` saw it: its path in the model, its class, and whether it is one
    of a container's repeated children (``collapse=True`` draws those as one box each)."""

    __slots__ = ("path", "cls", "repeated")

    def __init__(self, path: str, cls: str, repeated: bool) -> None:
        self.path, self.cls, self.repeated = path, cls, repeated


@contextlib.contextmanager
def trace(model) -> Iterator[None]:
    """Record, for the ops run inside the block, the submodules of ``model`` that ran them (and
    every node's output shape and dtype, and the parameters' names) so that ``draw_graph`` can
    collapse the graph by module::

        with viz.trace(model):
            loss = loss_fn(model(x), y)
        viz.draw_graph(loss, collapse=True).render("graph.svg")

    Outside the block nothing is recorded and nothing is paid (forward hooks are removed).
    """
    from .nn.container import ModuleDict, ModuleList, Sequential

    names = {id(p): n for n, p in model.named_parameters()}
    modules = dict(model.named_modules())
    stack: list = [()]  # the tuples of _ModuleInfo of the modules running now, outermost first
    handles = []

    def pop(module, args, out) -> None:
        stack.pop()

    for path, module in modules.items():
        if not path:
            continue  # the model itself is the whole picture, not a box in it
        parent = modules[path.rpartition(".")[0]]
        info = _ModuleInfo(
            path, type(module).__name__, isinstance(parent, (Sequential, ModuleList, ModuleDict))
        )

        def push(module, args, info=info) -> None:
            stack.append((*stack[-1], info))

        handles.append(module.register_forward_pre_hook(push))
        handles.append(module.register_forward_hook(pop, always_call=True))

    def watch(cls, inputs, out) -> None:
        outs = out if isinstance(out, tuple) else (out,)
        node = next(
            (o.grad_fn for o in outs if isinstance(o, Tensor) and type(o.grad_fn) is cls), None
        )
        if node is None:
            return  # no graph recorded
        node._viz_modules = stack[-1]
        node._viz_meta = [
            (tuple(o.shape), o.array.dtype.name) if isinstance(o, Tensor) else None for o in outs
        ]
        for edge in node.next_functions:
            if edge is not None and type(edge[0]) is AccumulateGrad:
                name = names.get(id(edge[0].variable))
                if name is not None:
                    edge[0]._viz_name = name

    add_op_watcher(watch)
    try:
        yield
    finally:
        remove_op_watcher(watch)
        for h in handles:
            h.remove()


# ---------------------------------------------------------------------------- the graph


class _Item:
    """One drawn box: a node, an output tensor, or a collapsed module."""

    __slots__ = (
        "id",
        "kind",
        "title",
        "shapes",
        "dtype",
        "members",
        "norm_of",
        "n_params",
        "variable",
    )

    def __init__(self, id_: str, kind: str, title: str) -> None:
        self.id, self.kind, self.title = id_, kind, title
        self.shapes: list = []
        self.dtype: str | None = None
        self.members: list = []  # indices of the nodes drawn in this box
        self.norm_of: list = []  # the nodes whose gradient norms the box shows
        self.n_params = 0
        self.variable = None  # a leaf's tensor (weakly), for its .grad


class Graph:
    """A drawn backward graph. ``source`` is the DOT text (read it again after ``backward`` to
    see gradient norms), ``render(path)`` writes an image; in Jupyter it shows as SVG."""

    def __init__(self, items: list, edges: list, norms: dict, show_grads: bool) -> None:
        self._items, self._edges, self._norms, self._show_grads = items, edges, norms, show_grads

    @property
    def source(self) -> str:
        """The graph in Graphviz's DOT language."""
        return self._dot()

    @property
    def labels(self) -> dict:
        """``{box id: label text}``, lines separated by ``\\n``."""
        return {item.id: "\n".join(self._lines(item)) for item in self._items}

    @property
    def edges(self) -> list:
        """The arrows as ``(from id, to id)``: from an input to the node that consumed it."""
        return list(self._edges)

    @property
    def grad_norms(self) -> dict:
        """``{box id: the norm of the gradient that flowed into it, or None}``."""
        return {item.id: self.grad_norm(item) for item in self._items if item.kind != "output"}

    def grad_norm(self, item: _Item) -> float | None:
        """The norm of the gradient that flowed into this box in the last backward: a node's
        gradient with respect to its output; a collapsed module's, with respect to the outputs
        that leave it; a leaf drawn after backward without hooks, its ``.grad``."""
        values = [self._norms[k] for k in item.norm_of if k in self._norms]
        if values:
            return math.sqrt(sum(v * v for v in values))
        if item.kind == "leaf" and item.variable is not None:
            t = item.variable()
            if t is not None and t.grad is not None:
                return l2_norm(t.grad.array)
        return None

    def _lines(self, item: _Item) -> list:
        lines = [item.title]
        if item.kind == "box":
            ops = len(item.members)
            lines.append(f"{ops} ops" + (f", {item.n_params} params" if item.n_params else ""))
            if item.shapes:
                lines.append(f"out {_shapes(item.shapes)} {item.dtype or ''}".rstrip())
        else:
            lines.append(f"{_shapes(item.shapes)} {item.dtype or '?'}")
        if self._show_grads and item.kind != "output":
            g = self.grad_norm(item)
            if g is not None:
                lines.append(f"grad norm {g:.3g}")
        return lines

    def _dot(self, **graph_attrs) -> str:
        attrs = {"rankdir": "TB", "nodesep": "0.25", "ranksep": "0.3", **graph_attrs}
        out = [
            "digraph tensorgrad {",
            "  graph [" + ", ".join(f'{k}="{v}"' for k, v in attrs.items()) + "]",
            '  node [shape=box, style="filled,rounded", fontname="Helvetica", fontsize=11, '
            'color="#555555", penwidth=0.8]',
            '  edge [color="#555555", arrowsize=0.6]',
        ]
        for item in self._items:
            extra = ', shape=box3d, style="filled"' if item.kind == "box" else ""
            label = "\\n".join(_escape(line) for line in self._lines(item))
            out.append(f'  {item.id} [label="{label}", fillcolor="{_FILL[item.kind]}"{extra}]')
        for a, b in self._edges:
            out.append(f"  {a} -> {b}")
        out.append("}")
        return "\n".join(out) + "\n"

    def pipe(self, format: str = "svg", dpi: int | None = None) -> bytes:
        """The rendered image as bytes (``format``: any of Graphviz's, e.g. svg, png, pdf)."""
        try:
            import graphviz
        except ImportError:
            raise RuntimeError(
                "rendering a graph needs the graphviz Python package: pip install graphviz "
                "(Graph.source, the DOT text, needs nothing)"
            ) from None
        if shutil.which("dot") is None:
            raise RuntimeError(
                "rendering a graph needs Graphviz's `dot` program on PATH: apt-get install "
                "graphviz (Debian/Ubuntu) or brew install graphviz (macOS)"
            )
        source = self._dot(dpi=dpi) if dpi else self._dot()
        return graphviz.Source(source).pipe(format=format)

    def render(self, path, format: str | None = None, dpi: int = 110) -> str:
        """Write the picture to ``path``, in the format its extension names (``.svg``,
        ``.png``, ``.pdf``) unless ``format`` is given; ``dpi`` applies to bitmaps. Returns
        the path."""
        path = os.fspath(path)
        fmt = format or os.path.splitext(path)[1].lstrip(".").lower()
        if not fmt:
            raise ValueError(f"render: give a path ending in .svg or .png, or format=, not {path}")
        data = self.pipe(fmt, dpi=dpi if fmt not in ("svg", "pdf", "dot") else None)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def _repr_svg_(self) -> str | None:  # Jupyter
        try:
            return self.pipe("svg").decode()
        except RuntimeError:
            return None

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"<Graph: {len(self._items)} boxes, {len(self._edges)} edges>"


def draw_graph(
    output: Tensor | Sequence[Tensor],
    params: dict | None = None,
    show_grads: bool = False,
    collapse: bool | int | None = None,
) -> Graph:
    """Draw the backward graph that ends in ``output`` (a tensor, or several).

    Each node shows its name (``MulBackward0``, as ``grad_fn.name()``), and the shape and dtype
    of its output. Leaves (``AccumulateGrad``) show their name from ``params``, a
    ``{name: tensor}`` dict such as ``dict(model.named_parameters())`` (or the name
    ``trace`` recorded), else ``leaf``. An arrow runs from each input to the node that used it.

    ``show_grads=True``: each box also shows the norm of the gradient that flowed into it,
    ``‖∂loss/∂(node output)‖``. Call ``draw_graph`` *before* ``backward`` (it registers a hook
    on every node, as ``Tensor.register_hook`` would) and read ``source`` or ``render`` after::

        graph = draw_graph(loss, params, show_grads=True)
        loss.backward()
        graph.render("graph.png")          # the norms of this backward pass

    A graph drawn after ``backward`` can show only the leaves' ``.grad`` norms: the engine does
    not keep intermediate gradients.

    ``collapse`` (needs the forward to have run inside ``trace(model)``): ``True`` draws every
    repeated block (a child of a ``Sequential``, ``ModuleList`` or ``ModuleDict``, such as
    ``blocks.3``) as one box labelled with its path, class and op count; an int ``d`` draws
    each op inside the module ``d`` calls deep that ran it (the innermost one, for ops less
    deeply nested). Parameters whose names fall inside a box are counted in it.

    Output shapes come from the consumers' recorded input shapes. Dtypes are exact for leaves,
    outputs, ``Function`` nodes and everything ``trace`` recorded; for other nodes they are
    inferred by NumPy type promotion of the node's inputs (an untraced cast node shows its
    input's dtype).
    """
    outputs = [output] if isinstance(output, Tensor) else list(output)
    nodes: list = []  # every node, in the order found from the outputs
    index: dict = {}
    shapes: dict = {}  # (node, output_nr) -> shape
    node_edges = []  # (input node index, consumer node index)
    roots = []
    for t in outputs:
        if t.grad_fn is not None:
            root = (t.grad_fn, t._output_nr)
        elif t.requires_grad:
            root = (t._grad_accumulator(), 0)
        else:
            raise ValueError("draw_graph: the output does not require grad, so it has no graph")
        roots.append(root)
        shapes[root] = tuple(t.shape)
        if root[0] not in index:
            index[root[0]] = len(nodes)
            nodes.append(root[0])
    k = 0
    while k < len(nodes):
        node = nodes[k]
        for i, edge in enumerate(node.next_functions):
            if edge is None:
                continue
            child = edge[0]
            if child not in index:
                index[child] = len(nodes)
                nodes.append(child)
            shape = node.input_shapes[i]
            if shape is not None:
                shapes.setdefault(edge, tuple(shape))
            if (index[child], k) not in node_edges:
                node_edges.append((index[child], k))
        k += 1

    dtypes = _dtypes(nodes, index, roots, outputs)
    names = {id(p): n for n, p in (params or {}).items()}

    # one item per node, then (collapse) members of one module merged into one box
    items: list = []
    item_of: list = []
    boxes: dict = {}
    leaf_names: dict = {}
    for k, node in enumerate(nodes):
        out_shapes = _out_shapes(node, shapes)
        if type(node) is AccumulateGrad:
            var = node.variable
            name = names.get(id(var)) or getattr(node, "_viz_name", None)
            leaf_names[k] = name
            item = _Item(f"n{k}", "leaf", name or "leaf")
            item.variable = weakref.ref(var)
            out_shapes = [tuple(var.shape)]
        else:
            item = _Item(f"n{k}", "op", node.name())
        item.shapes, item.dtype, item.members, item.norm_of = out_shapes, dtypes[k], [k], [k]
        box = _box_of(node, collapse) if collapse else None
        if box is not None:
            if box.path not in boxes:
                boxes[box.path] = _Item(f"m{len(boxes)}", "box", f"{box.path} ({box.cls})")
                items.append(boxes[box.path])
            boxes[box.path].members.append(k)
            item_of.append(boxes[box.path])
        else:
            items.append(item)
            item_of.append(item)
    if collapse:
        if not boxes and not any(hasattr(n, "_viz_modules") for n in nodes):
            raise ValueError(
                "draw_graph(collapse=...) needs to know which module ran each op: run the "
                "forward inside tensorgrad.viz.trace(model)"
            )
        for k, name in leaf_names.items():  # a module's parameters go into its box
            box = _box_for_name(name, boxes) if name else None
            if box is not None:
                items.remove(item_of[k])
                item_of[k] = box
                box.n_params += 1
    edges = []
    for a, b in node_edges:
        ia, ib = item_of[a], item_of[b]
        if ia is not ib and (ia.id, ib.id) not in edges:
            edges.append((ia.id, ib.id))
    for box in boxes.values():  # a box's output: what its members pass out of it
        leaving = [a for a, b in node_edges if item_of[a] is box and item_of[b] is not box]
        leaving += [index[r[0]] for r in roots if item_of[index[r[0]]] is box]
        box.norm_of = list(dict.fromkeys(leaving))
        box.shapes = [s for k in box.norm_of for s in _out_shapes(nodes[k], shapes)]
        box.dtype = dtypes[box.norm_of[0]] if box.norm_of else None
    for j, t in enumerate(outputs):
        out = _Item(f"out{j}", "output", "output")
        out.shapes, out.dtype = [tuple(t.shape)], t.array.dtype.name
        items.append(out)
        edges.append((item_of[index[roots[j][0]]].id, out.id))

    norms: dict = {}
    graph = Graph(items, edges, norms, show_grads)
    if show_grads:
        for k, node in enumerate(nodes):
            per_output: dict = {}
            for nr in range(node._n_outputs):
                node.register_hook(nr, _recorder(norms, per_output, k, nr))
    return graph


def _out_shapes(node: Node, shapes: dict) -> list:
    meta = getattr(node, "_viz_meta", None)
    return [
        meta[nr][0] if meta and meta[nr] else shapes.get((node, nr))
        for nr in range(node._n_outputs)
    ]


def _recorder(norms: dict, per_output: dict, k: int, nr: int):
    def hook(grad):
        per_output[nr] = l2_norm(grad.array)
        norms[k] = math.sqrt(sum(v * v for v in per_output.values()))

    return hook


def _box_of(node: Node, collapse) -> _ModuleInfo | None:
    stack = getattr(node, "_viz_modules", ())
    if not stack:
        return None
    if collapse is True:
        return next((info for info in stack if info.repeated), None)
    return stack[min(int(collapse), len(stack)) - 1]


def _box_for_name(name: str, boxes: dict) -> _Item | None:
    best = None
    for path, box in boxes.items():
        if name.startswith(path + ".") and (best is None or len(path) > len(best[0])):
            best = (path, box)
    return best[1] if best else None


def _dtypes(nodes: list, index: dict, roots: list, outputs: list) -> list:
    """Each node's output dtype: exact where recorded, else promoted from its inputs'."""
    known: list = [None] * len(nodes)
    for (node, _), t in zip(roots, outputs):
        known[index[node]] = t.array.dtype.name
    for k, node in enumerate(nodes):
        meta = getattr(node, "_viz_meta", None) or getattr(node, "_output_meta", None)
        if type(node) is AccumulateGrad:
            known[k] = node.variable.array.dtype.name
        elif meta and meta[0] is not None:
            known[k] = meta[0][1].name if isinstance(meta[0][1], np.dtype) else meta[0][1]
        elif getattr(type(node), "saves_output", False) and node._saved:
            known[k] = node._saved[-1].array.dtype.name
    # inputs come later in ``nodes`` than their consumers only for trees; walk to a fixed point
    for _ in range(len(nodes)):
        changed = False
        for k in reversed(range(len(nodes))):
            if known[k] is not None:
                continue
            ins = [known[index[e[0]]] for e in nodes[k].next_functions if e is not None]
            if ins and all(d is not None for d in ins):
                known[k] = np.result_type(*ins).name
                changed = True
        if not changed:
            break
    return known


def _shapes(shapes: list) -> str:
    return ", ".join(str(s) if s is not None else "?" for s in shapes) or "?"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
