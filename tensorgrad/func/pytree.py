"""Nested containers of tensors ("pytrees"), as ``torch.utils._pytree`` sees them.

A pytree is a leaf or a container of pytrees: a tuple (a namedtuple too), a list, a dict (in
insertion order) or ``None`` (a container with no children). ``tree_flatten`` lists the leaves
left to right and returns a ``TreeSpec``, the shape of the nesting; ``tree_unflatten`` puts
leaves back into it. The function transforms use them to differentiate and batch over a dict of
parameters or a tuple of inputs one tensor at a time.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

__all__ = ["TreeSpec", "broadcast_to_and_flatten", "tree_flatten", "tree_map", "tree_unflatten"]


@dataclass(frozen=True)
class TreeSpec:
    """The nesting of a pytree: ``type`` is None for a leaf; ``context`` holds a dict's keys
    (None for a sequence); ``children`` the spec of each child."""

    type: type | None
    context: Any = None
    children: tuple[TreeSpec, ...] = ()

    @property
    def num_leaves(self) -> int:
        if self.type is None:
            return 1
        return sum(child.num_leaves for child in self.children)

    def __repr__(self) -> str:  # PyTorch's form: TreeSpec(tuple, None, [*, *])
        if self.type is None:
            return "*"
        children = ", ".join(repr(c) for c in self.children)
        return f"TreeSpec({self.type.__name__}, {self.context}, [{children}])"


LEAF = TreeSpec(None)


def _children(tree) -> tuple[type, Any, list] | None:
    """``(type, context, children)`` of a container, None for a leaf."""
    if tree is None:
        return type(None), None, []
    if isinstance(tree, tuple) and type(tree) is not tuple and not hasattr(tree, "_fields"):
        return None  # a tuple subclass that is not a namedtuple (torch.Size) is a leaf
    if isinstance(tree, (tuple, list)):
        return type(tree), None, list(tree)
    if type(tree) in (dict, OrderedDict):
        return type(tree), list(tree), list(tree.values())
    return None


def tree_flatten(tree) -> tuple[list, TreeSpec]:
    """``(leaves, spec)``: the leaves of ``tree`` left to right and the nesting they sat in."""
    node = _children(tree)
    if node is None:
        return [tree], LEAF
    kind, context, children = node
    leaves, specs = [], []
    for child in children:
        child_leaves, child_spec = tree_flatten(child)
        leaves.extend(child_leaves)
        specs.append(child_spec)
    return leaves, TreeSpec(kind, context, tuple(specs))


def tree_unflatten(leaves, spec: TreeSpec):
    """The pytree of nesting ``spec`` holding ``leaves`` (the inverse of ``tree_flatten``)."""
    leaves = list(leaves)
    if len(leaves) != spec.num_leaves:
        raise ValueError(
            f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec "
            f"refers to a pytree that holds {spec.num_leaves} items ({spec})."
        )
    return _build(iter(leaves), spec)


def _build(leaves, spec: TreeSpec):
    if spec.type is None:
        return next(leaves)
    children = [_build(leaves, child) for child in spec.children]
    if spec.type is type(None):
        return None
    if spec.type in (dict, OrderedDict):
        return spec.type(zip(spec.context, children))
    if hasattr(spec.type, "_fields"):  # a namedtuple takes its fields as arguments
        return spec.type(*children)
    return spec.type(children)


def tree_map(fn, tree):
    """``tree`` with ``fn`` applied to every leaf."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(leaf) for leaf in leaves], spec)


def broadcast_to_and_flatten(prefix, spec: TreeSpec) -> list | None:
    """One entry of ``prefix`` per leaf of ``spec``, where ``prefix`` is a pytree whose every
    leaf stands for the whole subtree at its place (``in_dims=(None, 0)`` for ``(params, x)``
    gives None for each tensor of params); None when ``prefix`` does not fit ``spec``."""
    node = _children(prefix)
    if node is None or prefix is None:
        return [prefix] * spec.num_leaves
    kind, context, children = node
    if spec.type is None or kind is not spec.type or len(children) != len(spec.children):
        return None
    if context is not None and list(context) != list(spec.context):
        return None
    out = []
    for child, child_spec in zip(children, spec.children):
        flat = broadcast_to_and_flatten(child, child_spec)
        if flat is None:
            return None
        out.extend(flat)
    return out
