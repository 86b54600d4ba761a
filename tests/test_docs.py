"""Every ```python block in docs/**/*.md runs as a test, so the docs cannot drift from the code.

One test per Markdown file: its python blocks run in order in one shared namespace (fresh for
each file), in a temporary working directory, with the random seeds reset first, so a page can
build on its earlier blocks. A python block followed directly by a ```text block shows its
output: what the block prints must be that text (trailing spaces aside; a line ``...`` stands
for any number of lines, as in doctest). A block whose info string is ```python no-run is skipped (a
sketch, a multi-process or GPU-only snippet); ```bash, ```text and other languages never run.
A failure names the file, the block number and the line in the Markdown file where the error
was raised. Keep each page's blocks quick.
"""

from __future__ import annotations

import contextlib
import io
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
    output: str | None = None  # the ```text block right after it: what it prints
    end: int = 0  # index of the line after its closing fence


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
        elif info and info[0] == "text" and blocks and blocks[-1].output is None:
            between = lines[blocks[-1].end : i]
            if not any(line.strip() for line in between):
                blocks[-1].output = "\n".join(body)
        if info and info[0] == "python":
            blocks[-1].end = j + 1
        i = j + 1
    return blocks


def _pages() -> list[Path]:
    """The pages with python blocks (the API reference pages have none)."""
    pages = sorted(DOCS.rglob("*.md")) if DOCS.is_dir() else []
    return [p for p in pages if python_blocks(p.read_text(encoding="utf-8"))]


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def _matches(printed: str, shown: str) -> bool:
    """``printed`` equals ``shown``, where a line ``...`` in shown skips any lines."""
    got, parts = _lines(printed), [[]]
    for line in _lines(shown):
        if line.strip() == "...":
            parts.append([])
        else:
            parts[-1].append(line)
    if len(parts) == 1:
        return got == parts[0]
    first, *middle, last = parts
    if got[: len(first)] != first or (last and got[-len(last) :] != last):
        return False
    pos, end = len(first), len(got) - len(last)
    if end < pos:
        return False
    for part in middle:
        at = next(
            (i for i in range(pos, end - len(part) + 1) if got[i : i + len(part)] == part), None
        )
        if at is None:
            return False
        pos = at + len(part)
    return True


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
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(source, str(rel), "exec"), namespace)
        except Exception as exc:
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(rel)]
            line = frames[-1].lineno if frames else block.line
            failure = (
                f"{rel}, python block {block.number} (starting at line {block.line}) failed at "
                f"line {line}: {type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"
            )
        if failure is None and block.output is not None:
            if not _matches(printed.getvalue(), block.output):
                failure = (
                    f"{rel}, python block {block.number} (starting at line {block.line}) printed\n"
                    f"{printed.getvalue()}\nbut the text block after it shows\n{block.output}"
                )
        if failure:  # raised outside the except block, so the report shows no chained error
            pytest.fail(failure, pytrace=False)


def test_output_matching():
    assert _matches("a\nb  \n", "a\nb")
    assert not _matches("a\nb\n", "a\nc")
    assert _matches("a\nx\ny\nb\n", "a\n...\nb")
    assert _matches("a\nx\nb\ny\nc\n", "a\n...\nb\n...\nc")
    assert not _matches("a\nb\n", "a\n...\nb\n...\nc")
    assert _matches("a\nb\n", "...\nb")


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
            "",
            "```text",
            "printed",
            "```",
        ]
    )
    blocks = python_blocks(text)
    assert [(b.number, b.line, b.code, b.run, b.output) for b in blocks] == [
        (1, 3, "a = 1\n", True, None),
        (2, 10, "import gpu_only\n", False, None),
        (3, 13, "s = '```'\n", True, "printed"),
    ]
