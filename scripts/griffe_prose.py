"""A griffe extension for the docs site (mkdocs.yml loads it): our docstrings are prose with
maths, and Markdown reads maths such as ``out[i][j] = x[i][index[i][j]]`` as reference links,
which autorefs then reports as missing cross-references (an error under ``--strict``).

Outside code spans and indented literal blocks, ``][`` becomes ``]\\[`` (rendered as ``][``),
unless the second bracket holds a dotted Python path: ``[Tensor][tensorgrad.tensor.Tensor]``
stays a cross-reference.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_CODE = re.compile(r"(`+)[\s\S]*?\1")  # `code` and ``code`` spans
_LINK = re.compile(r"\]\[(?![A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+\])")


def escape_maths(text: str) -> str:
    out, in_literal = [], False
    for line in text.split("\n"):
        if line.rstrip().endswith("::"):  # an RST literal block follows
            in_literal = True
        elif in_literal and line.strip() and not line.startswith((" ", "\t")):
            in_literal = False
        if in_literal and line.startswith((" ", "\t")):
            out.append(line)
            continue
        parts, last = [], 0
        for m in _CODE.finditer(line):
            parts.append(_LINK.sub(r"]\\[", line[last : m.start()]))
            parts.append(m.group(0))
            last = m.end()
        parts.append(_LINK.sub(r"]\\[", line[last:]))
        out.append("".join(parts))
    return "\n".join(out)


class ProseDocstrings(griffe.Extension):
    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = escape_maths(obj.docstring.value)
