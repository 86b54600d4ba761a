"""Check that a built documentation site works opened from disk (file://) with no network.

    python scripts/check_offline_site.py site

Prints every problem and exits 1 if there is one. A problem is something a browser showing
the site from disk would fail to load or to follow:

- a script, stylesheet, font, icon, image or frame that the page loads from the network
  (``http://``, ``https://`` or ``//host``), in HTML or in a CSS ``url()``/``@import``;
- a reference inside the site that names a file the site lacks, or a folder (on file:// a
  browser shows a folder listing, not its index.html).

Links that a reader clicks to leave the site (``<a href="https://...">``) are fine. Scripts
that load further files (MathJax) are not followed: they load them from beside themselves.
404.html is skipped: only a web server shows it (for any missing path, hence its links from
the site's root), never a browser on file://.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# (tag, attribute) pairs a browser loads without a click
LOADED = {
    ("script", "src"),
    ("img", "src"),
    ("iframe", "src"),
    ("source", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("embed", "src"),
    ("object", "data"),
}
# <link rel=...> values that load or connect; canonical/alternate links are only metadata
LOADING_RELS = {
    "stylesheet",
    "icon",
    "preload",
    "modulepreload",
    "prefetch",
    "preconnect",
    "dns-prefetch",
    "manifest",
    "apple-touch-icon",
}
CSS_URL = re.compile(r"""(?:url\(\s*|@import\s+)['"]?([^'")\s]+)""")


def is_remote(url: str) -> bool:
    return url.startswith("//") or urlsplit(url).scheme in ("http", "https")


class References(HTMLParser):
    """Collects ``(kind, url)`` pairs: kind 'loads' for what the page fetches, 'link' for an
    ``<a href>``."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v for k, v in attrs if v is not None}
        if tag == "link" and "href" in a:
            if LOADING_RELS & set(a.get("rel", "").lower().split()):
                self.found.append(("loads", a["href"]))
        elif tag == "a" and "href" in a:
            self.found.append(("link", a["href"]))
        for t, attr in LOADED:
            if tag == t and attr in a:
                self.found.append(("loads", a[attr]))


def local_problem(page: Path, url: str, site: Path) -> str | None:
    """What is wrong with the local reference ``url`` on ``page`` (None if nothing)."""
    parts = urlsplit(url)
    if parts.scheme or not parts.path:  # mailto:, data:, javascript:, or a #fragment
        return None
    target = (page.parent / unquote(parts.path)).resolve()
    if not target.is_relative_to(site.resolve()):
        return f"{url} points outside the site"
    if target.is_dir() or parts.path.endswith("/"):
        return f"{url} names a folder (a browser on file:// lists it instead of its index.html)"
    if not target.is_file():
        return f"{url} names a file the site lacks"
    return None


def problems(site: str | Path) -> list[str]:
    """Every problem of the built site in folder ``site``, as ``'page: what'`` lines."""
    site = Path(site)
    if not (site / "index.html").is_file():
        return [f"{site}: no index.html (not a built site)"]
    found = []
    for page in sorted(site.rglob("*.html")):
        if page == site / "404.html":
            continue
        parser = References()
        parser.feed(page.read_text(encoding="utf-8"))
        for kind, url in parser.found:
            where = page.relative_to(site).as_posix()
            if is_remote(url):
                if kind == "loads":
                    found.append(f"{where}: loads {url} from the network")
            elif (problem := local_problem(page, url, site)) is not None:
                found.append(f"{where}: {problem}")
    for sheet in sorted(site.rglob("*.css")):
        for url in CSS_URL.findall(sheet.read_text(encoding="utf-8")):
            if is_remote(url):
                found.append(f"{sheet.relative_to(site).as_posix()}: loads {url} from the network")
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    found = problems(args[0])
    for line in found:
        print(line)
    pages = len(list(Path(args[0]).rglob("*.html")))
    print(f"{args[0]}: {pages} pages, {len(found)} problem(s) for offline reading")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
