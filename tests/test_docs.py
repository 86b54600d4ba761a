"""Every ```python block in docs/**/*.md runs as a test, so the docs cannot drift from the code.

One test per Markdown file: its python blocks run in order in one shared namespace (fresh for
each file), in a temporary working directory, with the random seeds reset first, so a page can
build on its earlier blocks. A block whose info string is ```python no-run is skipped (a
sketch, a multi-process or GPU-only snippet); ```bash, ```text and other languages never run.
A failure names the file, the block number and the line in the Markdown file where the error
was raised. Keep each page's blocks quick.
"""

from __future__ import annotations

import random
import re
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import tensorgrad as tg

DOCS = Path(__file__).resolve().parent.parent / "docs"
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")


@dataclass
class Block:
    number: int  # 1-based, counting the page's python blocks (no-run ones included)
    line: int  # the Markdown line of the block's first code line
    code: str
    run: bool


def python_blocks(text: str) -> list[Block]:
    """The ```python blocks of a Markdown text (fences may be indented, as in lists)."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m["indent"], m["fence"], m["info"].split()
        body, j = [], i + 1
        while j < len(lines) and not (
            lines[j].strip().startswith(fence) and set(lines[j].strip()) == {fence[0]}
        ):
            line = lines[j]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            j += 1
        if info and info[0] == "python":
            blocks.append(
                Block(len(blocks) + 1, i + 2, "\n".join(body) + "\n", "no-run" not in info)
            )
        i = j + 1
    return blocks


def _pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md")) if DOCS.is_dir() else []


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_docs_page_runs(page: Path, tmp_path, monkeypatch):
    blocks = [b for b in python_blocks(page.read_text(encoding="utf-8")) if b.run]
    if not blocks:
        pytest.skip("no python blocks")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    tg.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    namespace: dict = {"__name__": "__main__"}
    rel = page.relative_to(DOCS.parent)
    for block in blocks:
        # padded with blank lines so that tracebacks give the line numbers of the .md file
        source = "\n" * (block.line - 1) + block.code
        failure = None
        try:
            exec(compile(source, str(rel), "exec"), namespace)
        except Exception as exc:
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(rel)]
            line = frames[-1].lineno if frames else block.line
            failure = (
                f"{rel}, python block {block.number} (starting at line {block.line}) failed at "
                f"line {line}: {type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"
            )
        if failure:  # raised outside the except block, so the report shows no chained error
            pytest.fail(failure, pytrace=False)


def test_block_parser():
    text = "\n".join(
        [
            "# Title",
            "```python",
            "a = 1",
            "```",
            "```bash",
            "make docs",
            "```",
            "1. a list item",
            "    ```python no-run",
            "    import gpu_only",
            "    ```",
            "````python",
            "s = '```'",
            "````",
        ]
    )
    blocks = python_blocks(text)
    assert [(b.number, b.line, b.code, b.run) for b in blocks] == [
        (1, 3, "a = 1\n", True),
        (2, 10, "import gpu_only\n", False),
        (3, 13, "s = '```'\n", True),
    ]
