"""Serve MathJax from the site itself when a local copy is present.

``make book`` unpacks MathJax 3 from the npm registry into ``book/_static/mathjax``; the
built site then renders its math without reaching a CDN (offline, and in the browser
test). Without that copy the default CDN address stays in place.
"""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "_static"
SCRIPT = "mathjax/tex-chtml.js"


def use_local_copy(app, config):
    if (STATIC / SCRIPT).is_file():
        config.html_static_path = [*config.html_static_path, str(STATIC)]
        config.mathjax_path = SCRIPT


def setup(app):
    app.connect("config-inited", use_local_copy, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
