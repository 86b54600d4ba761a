"""`make demo` installs what the demo runs on and nothing more: no PyTorch, no test tools.

The install list is the Makefile's DEMO_EXTRAS; its requirements are followed through the
metadata of the installed distributions (the dev install holds them all), so a dependency
that pulls in torch three levels down fails here. scripts/check_demo_install.sh (run by CI)
builds the demo's .venv for real and checks that it holds no torch and stays under 400 MB.
"""

import importlib.metadata as metadata
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
requirements = pytest.importorskip("packaging.requirements")
tomllib = pytest.importorskip("tomllib")

# the developer toolchain: the test oracle, the test runner and linter, MPI
NOT_FOR_THE_DEMO = {"torch", "pytest", "hypothesis", "ruff", "mpi4py", "mpich", "scipy"}


def demo_extras() -> list[str]:
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^DEMO_EXTRAS\s*:?=\s*(\S+)\s*$", makefile, re.M)
    assert match, "the Makefile defines DEMO_EXTRAS"
    assert "pip install --no-compile -e '.[$(DEMO_EXTRAS)]'" in makefile
    return match.group(1).split(",")


def name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", requirements.Requirement(requirement).name).lower()


def closure(roots: list[str]) -> set[str]:
    """The distributions that installing ``roots`` (requirement strings) brings in."""
    seen, todo = set(), list(roots)
    while todo:
        req = requirements.Requirement(todo.pop())
        key = name(str(req))
        if key in seen:
            continue
        seen.add(key)
        try:
            requires = metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed here (a platform-only dependency): nothing to follow
        for r in map(requirements.Requirement, requires):
            extras = req.extras or {""}
            if r.marker is None or any(r.marker.evaluate({"extra": e}) for e in extras):
                todo.append(str(r))
    return seen


def test_the_demo_installs_the_train_and_fast_extras():
    assert demo_extras() == ["train", "fast"]


def test_nothing_the_demo_installs_pulls_in_torch_or_the_test_tools():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    roots = list(project["dependencies"])
    for extra in demo_extras():
        roots += extras[extra]
    installed = closure(roots)
    assert {"numpy", "matplotlib", "tqdm", "numba"} <= installed
    assert not installed & NOT_FOR_THE_DEMO, sorted(installed & NOT_FOR_THE_DEMO)


def test_the_closure_follows_dependencies_of_dependencies():
    # the check above is only as good as this walk: torch's own requirements are found
    pytest.importorskip("torch")
    assert {"torch", "filelock", "sympy", "mpmath"} <= closure(["torch"])
