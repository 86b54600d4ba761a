"""The package's layout rules, read from the source with ``ast`` (nothing is imported):

1. No private name crosses a package folder: a module never imports ``_name`` (or reads
   ``module._name`` through an imported module) from a module of another folder. A helper two
   folders need is public in a module both can import (``tensorgrad/_args.py``'s ``wrap_dim``).
   A private *module* at the root (``tensorgrad/_args.py``) belongs to the whole package; one
   inside a folder (``tensorgrad/nn/_utils.py``) belongs to that folder.
2. No import cycle inside ``tensorgrad/nn/`` or ``tensorgrad/optim/``, counting imports inside
   functions too: a layer file never needs ``functional.py``, which only gathers the layers'
   functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tensorgrad"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _folder(module: str) -> Path:
    return MODULES[module].parent


def _package_of(module: str) -> str:
    return module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]


def _source(module: str, text: str | None) -> ast.Module:
    return ast.parse(MODULES[module].read_text() if text is None else text)


def _imports(module: str, text: str | None = None):
    """Every ``(source module, imported name or None, line, local name)`` of ``module`` (or of
    ``text`` read as that module), at any depth: for ``from X import a`` the source X and name
    a, or X.a and None when X.a is a module; for ``import X``, X and None."""
    tree = _source(module, text)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(module).split(".")
                base = ".".join(base[: len(base) - node.level + 1])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            for alias in node.names:
                if f"{source}.{alias.name}" in MODULES:
                    yield f"{source}.{alias.name}", None, node.lineno, alias.asname or alias.name
                else:
                    yield source, alias.name, node.lineno, alias.asname or alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno, alias.asname or alias.name


def _private_crossings(module: str, text: str | None = None) -> list[str]:
    found = []
    here = _folder(module)
    module_aliases = {}  # local name -> a tensorgrad module it is bound to
    for source, name, line, local in _imports(module, text):
        if source not in MODULES:
            continue
        elsewhere = _folder(source) != here
        if name is None:
            module_aliases[local] = source
            leaf = source.rpartition(".")[2]
            if elsewhere and _is_private(leaf) and _folder(source) != PACKAGE:
                found.append(f"{module}:{line} imports the private module {source}")
        elif elsewhere and _is_private(name):
            found.append(f"{module}:{line} imports {name} from {source}")
    for node in ast.walk(_source(module, text)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in module_aliases
            and _is_private(node.attr)
        ):
            source = module_aliases[node.value.id]
            if _folder(source) != here:
                found.append(f"{module}:{node.lineno} reads {source}.{node.attr}")
    return found


def test_no_private_name_crosses_a_package_folder():
    found = [f for module in MODULES for f in _private_crossings(module)]
    assert not found, "private names used across package folders:\n" + "\n".join(found)


def _import_graph(folder: str) -> dict[str, set[str]]:
    prefix = f"tensorgrad.{folder}"
    graph = {}
    for module in MODULES:
        if module != prefix and not module.startswith(prefix + "."):
            continue
        targets = set()
        for source, _name, _, _ in _imports(module):
            if source == prefix or source.startswith(prefix + "."):
                targets.add(source)  # a module, or the package __init__ a name comes from
        graph[module] = targets - {module}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph (as a path that ends where it starts), or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            elif nxt not in state and nxt in graph:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


@pytest.mark.parametrize("folder", ["nn", "optim"])
def test_no_import_cycle_inside(folder):
    graph = _import_graph(folder)
    assert len(graph) > 3, f"found no modules in tensorgrad/{folder}"
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_checks_catch_what_they_look_for():
    """The readers on known input, so that a silent pass means something."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    pooling = [(s, n) for s, n, _, _ in _imports("tensorgrad.nn.pooling")]
    assert ("tensorgrad.nn._utils", "ntuple") in pooling
    bad = (
        "from ..nn.normalization import _batch_norm\n"
        "from ..nn import _utils\n"
        "from .. import backend\n"
        "backend._scalar_dtype(1)\n"
    )
    found = _private_crossings("tensorgrad.optim.sgd", bad)
    assert len(found) == 3, found
    fine = "from .._args import wrap_dim\nfrom .. import _special\nfrom . import _foreach\n"
    assert _private_crossings("tensorgrad.optim.sgd", fine) == []
