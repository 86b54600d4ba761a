"""Where compiled kernels are cached (tensorgrad/kernels/__init__.py): beside the package when
it can be written, in the user cache folder when it cannot (a read-only site-packages), and in
``NUMBA_CACHE_DIR`` when that is set. Each case is a fresh process on a copy of the package."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tensorgrad import kernels

PACKAGE = Path(__file__).resolve().parents[2] / "tensorgrad"

# a kernel of each kind: an elementwise one (relu) and a row one (softmax), checked on the way
SCRIPT = """
import numpy as np
import tensorgrad as tg
from tensorgrad import kernels
assert kernels.current() == "numba"
x = np.linspace(-2, 2, 35, dtype=np.float32).reshape(5, 7)
np.testing.assert_array_equal(tg.tensor(x).relu().array, np.maximum(x, 0))
e = np.exp(x - x.max(1, keepdims=True))
np.testing.assert_allclose(tg.tensor(x).softmax(1).array, e / e.sum(1, keepdims=True), rtol=1e-6)
print("ok")
"""

pytestmark = pytest.mark.skipif(not kernels.AVAILABLE, reason="numba is not installed")


@pytest.fixture(autouse=True)
def threads():
    """Once, not per thread setting as the other kernel tests (conftest.py): each case is a
    process of its own, which the in-process setting does not reach."""


def _install(site: Path, writable: bool) -> None:
    """A copy of the package under ``site``. Not writable: every folder's ``__pycache__`` is a
    file, so nothing can be created beside the sources (chmod would not stop root, and CI runs
    as root)."""
    shutil.copytree(PACKAGE, site / "tensorgrad", ignore=shutil.ignore_patterns("__pycache__"))
    if not writable:
        for folder in [site / "tensorgrad", *(site / "tensorgrad").rglob("*")]:
            if folder.is_dir():
                (folder / "__pycache__").write_text("read-only install\n")


def _run(site: Path, home: Path, **env) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "XDG_"))}
    environ.update(
        PYTHONPATH=str(site),
        HOME=str(home),
        TENSORGRAD_KERNELS="numba",
        PYTHONDONTWRITEBYTECODE="1",
    )
    environ.update(env)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=environ, capture_output=True, text=True, cwd=home
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]


def _cached(folder: Path) -> list[Path]:
    """numba's cache files (an index ``.nbi`` per function, ``.nbc`` per compiled version)."""
    return sorted(folder.rglob("*.nbi")) if folder.exists() else []


def test_a_writable_install_caches_beside_the_kernels(tmp_path):
    site, home = tmp_path / "site", tmp_path / "home"
    _install(site, writable=True)
    home.mkdir()
    _run(site, home)
    beside = _cached(site / "tensorgrad" / "kernels")
    assert any("activation" in p.name for p in beside) and any("softmax" in p.name for p in beside)
    assert not _cached(home)


def test_a_read_only_install_caches_in_the_user_folder(tmp_path):
    site, home = tmp_path / "site", tmp_path / "home"
    _install(site, writable=False)
    home.mkdir()
    _run(site, home)
    assert not _cached(site)
    in_home = _cached(home / ".cache")
    assert any("activation" in p.name for p in in_home), sorted(home.rglob("*"))
    _run(site, home)  # a second process loads what the first one cached


def test_numba_cache_dir_moves_the_cache(tmp_path):
    site, home, elsewhere = tmp_path / "site", tmp_path / "home", tmp_path / "numba-cache"
    _install(site, writable=True)
    home.mkdir()
    _run(site, home, NUMBA_CACHE_DIR=str(elsewhere))
    assert any("softmax" in p.name for p in _cached(elsewhere))
    assert not _cached(site) and not _cached(home)
