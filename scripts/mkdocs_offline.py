"""MkDocs hook: the site's browser files come from npm packages and are served from the site
itself, so the built site works opened from disk (file://) with no network.

``make docs`` installs the packages that package.json pins into node_modules/ (``npm ci``);
``on_files`` adds what the site loads to the build:

- ``mathjax/``: MathJax 3's CommonHTML bundle (``tex-mml-chtml.js``, loaded by mkdocs.yml's
  ``extra_javascript``) with the fonts and the TeX extensions it loads on demand, found beside
  itself. MathJax's other bundles (SVG output, node) are left out: 12 MB the site never loads.
- ``iframe-worker/shim.js``: search runs in a Web Worker, which browsers refuse to start from
  file://; this shim runs it in an iframe instead. The theme loads it through
  ``extra.polyfills``, which also keeps the offline plugin from adding a CDN copy.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File, Files

NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
MATHJAX = NODE_MODULES / "mathjax" / "es5"
SHIM = NODE_MODULES / "iframe-worker" / "shim" / "index.js"
# MathJax bundles and components the CommonHTML bundle never loads
SKIP = ("tex-chtml", "tex-svg", "tex-mml-svg.js", "mml-", "node-main.js", "adaptors/", "output/svg")


def site_assets() -> dict[str, Path]:
    """``{path in the site: file}`` of every browser file the site needs."""
    if not (MATHJAX / "tex-mml-chtml.js").is_file() or not SHIM.is_file():
        raise RuntimeError(
            f"{NODE_MODULES} lacks MathJax or iframe-worker: run `npm ci` in the repository "
            "(make docs does; it needs Node.js's npm)"
        )
    assets = {"iframe-worker/shim.js": SHIM}
    for path in sorted(MATHJAX.rglob("*")):
        name = path.relative_to(MATHJAX).as_posix()
        if path.is_file() and not name.startswith(SKIP):
            assets[f"mathjax/{name}"] = path
    return assets


def on_files(files: Files, config) -> Files:
    for uri, path in site_assets().items():
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files
