"""The documentation site works opened from disk with no network.

scripts/check_offline_site.py is tried on made-up pages; then the real site is built from
mkdocs.yml (when `make docs` has installed MkDocs and the npm files) and checked: nothing is
loaded from the network, and in a real browser on file:// (Chromium, when installed) the
formula renders and search finds pages.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "check_offline_site", ROOT / "scripts" / "check_offline_site.py"
)
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)


def make_site(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def page(body: str, head: str = "") -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


def test_a_site_that_keeps_to_itself_has_no_problems(tmp_path):
    site = make_site(
        tmp_path,
        {
            "index.html": page(
                '<a href="tour/a.html#part">a</a> <a href="https://numpy.org">NumPy</a> '
                '<a href="mailto:x@y.z">mail</a> <a href="#top">top</a> <img src="pic.png">',
                '<link rel="stylesheet" href="assets/site.css"><script src="js/m.js"></script>'
                '<link rel="canonical" href="https://example.org/">',
            ),
            "tour/a.html": page('<a href="../index.html">home</a>'),
            "assets/site.css": 'a { background: url("data:image/svg+xml;'
            "xmlns='http://www.w3.org/2000/svg'\") } b { src: url(f.woff) }",
            "js/m.js": "",
            "pic.png": "",
            "404.html": page('<script src="/js/m.js"></script>'),  # served by web servers only
        },
    )
    assert check.problems(site) == []
    assert check.main([str(site)]) == 0


@pytest.mark.parametrize(
    "tag",
    [
        '<script src="https://cdn.example/mathjax.js"></script>',
        '<link rel="stylesheet" href="//cdn.example/theme.css">',
        '<link rel="preconnect" href="https://fonts.example">',
        '<img src="http://example.org/logo.png">',
    ],
)
def test_anything_loaded_from_the_network_is_a_problem(tmp_path, tag):
    site = make_site(tmp_path, {"index.html": page("", tag)})
    (problem,) = check.problems(site)
    assert problem.startswith("index.html: loads ") and "from the network" in problem
    assert check.main([str(site)]) == 1


def test_stylesheets_that_import_from_the_network_are_a_problem(tmp_path):
    site = make_site(
        tmp_path,
        {
            "index.html": page(""),
            "css/a.css": '@import "https://fonts.example/css?family=Roboto";',
            "css/b.css": "@font-face { src: url(https://fonts.example/r.woff2) }",
        },
    )
    assert check.problems(site) == [
        "css/a.css: loads https://fonts.example/css?family=Roboto from the network",
        "css/b.css: loads https://fonts.example/r.woff2 from the network",
    ]


def test_links_to_folders_and_missing_files_are_problems(tmp_path):
    site = make_site(
        tmp_path,
        {
            "index.html": page(
                '<a href="tour/">tour</a> <a href="gone.html">gone</a> <a href="/abs.html">abs</a>'
            ),
            "tour/index.html": page(""),
        },
    )
    assert check.problems(site) == [
        "index.html: tour/ names a folder (a browser on file:// lists it instead of its "
        "index.html)",
        "index.html: gone.html names a file the site lacks",
        "index.html: /abs.html points outside the site",
    ]


def test_a_folder_without_index_html_is_not_a_site(tmp_path):
    assert check.problems(tmp_path) == [f"{tmp_path}: no index.html (not a built site)"]


# ----------------------------------------------------------------------------- the real site


def _fresh_site() -> Path | None:
    """``make docs``'s site/ when it was built after the last change to any file it is built
    from (CI builds it just before the tests): reading it saves building the site again."""
    index = ROOT / "site" / "index.html"
    if not index.is_file():
        return None
    sources = [ROOT / name for name in ("mkdocs.yml", "package-lock.json", "README.md")]
    for folder, pattern in (("docs", "*"), ("scripts", "*.py"), ("tensorgrad", "*.py")):
        sources += (ROOT / folder).rglob(pattern)
    newest = max(path.stat().st_mtime for path in sources if path.is_file())
    return index.parent if index.stat().st_mtime > newest else None


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    fresh = _fresh_site()
    if fresh is not None:
        return fresh
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("MkDocs is not installed (make docs installs it)")
    if not (ROOT / "node_modules" / "mathjax").is_dir():
        pytest.skip("node_modules/ lacks MathJax (make docs runs npm ci)")
    site = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr
    return site


def test_the_built_site_loads_nothing_from_the_network(built_site):
    assert check.problems(built_site) == []
    html = (built_site / "see-inside.html").read_text()
    assert '<script src="mathjax/tex-mml-chtml.js">' in html  # served from the site
    assert '<script src="iframe-worker/shim.js">' in html  # search from file://
    assert (built_site / "search" / "search_index.js").is_file()  # the offline plugin's index


def dump_dom(browser: str, url: str) -> str:
    """The page's DOM after its scripts ran (virtual time lets MathJax and search finish)."""
    result = subprocess.run(
        [
            browser,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=15000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_from_disk_in_a_browser_the_formula_renders_and_search_finds_pages(built_site):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed (CI installs it: apt-get install chromium)")
    formula = dump_dom(browser, (built_site / "see-inside.html").as_uri())
    assert "<mjx-container" in formula  # MathJax typeset it: not raw TeX
    search = dump_dom(browser, (built_site / "index.html").as_uri() + "?q=checkpoint")
    assert "matching documents" in search and 'class="md-search-result__item"' in search
