"""The API reference reads like PyTorch's: every public ``Tensor`` method and property and every
function of ``tensorgrad.nn.functional`` has a docstring (what it computes, and PyTorch's name
where ours differs), so the docs site never shows a bare signature."""

from __future__ import annotations

import inspect

import tensorgrad as tg
import tensorgrad.nn.functional as F


def _doc(attr) -> str | None:
    if isinstance(attr, (staticmethod, classmethod)):
        attr = attr.__func__
    if isinstance(attr, property):
        attr = attr.fget
    return inspect.getdoc(attr) if callable(attr) else None


def _public_tensor_members() -> dict:
    members = {}
    for name in dir(tg.Tensor):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(tg.Tensor, name)
        if callable(attr) or isinstance(attr, (property, staticmethod, classmethod)):
            members[name] = attr
    return members


def test_every_public_tensor_method_has_a_docstring():
    members = _public_tensor_members()
    assert len(members) > 150
    missing = sorted(name for name, attr in members.items() if not _doc(attr))
    assert not missing, f"Tensor members without a docstring: {missing}"


def test_every_functional_function_has_a_docstring():
    missing = sorted(name for name in F.__all__ if not inspect.getdoc(getattr(F, name)))
    assert not missing, f"nn.functional functions without a docstring: {missing}"
