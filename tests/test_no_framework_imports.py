"""tensorgrad must not depend on another deep-learning framework.

PyTorch is the reference the tests compare against, so it is installed in the dev
environment; this test keeps it (and JAX, TensorFlow) out of the package itself.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tensorgrad"
FORBIDDEN = {"torch", "torchvision", "torchaudio", "jax", "jaxlib", "tensorflow"}


def _forbidden_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            if name.split(".")[0] in FORBIDDEN:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: imports {name}")
    return found


def test_package_exists():
    assert (PACKAGE / "__init__.py").is_file(), f"{PACKAGE} is not a package"


def test_no_framework_imports():
    files = sorted(PACKAGE.rglob("*.py"))
    offenders = [line for path in files for line in _forbidden_imports(path)]
    assert not offenders, "framework imports in tensorgrad/:\n" + "\n".join(offenders)
