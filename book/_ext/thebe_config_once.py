"""Declare sphinx-thebe's configuration script once per page.

sphinx-thebe adds an inline ``const THEBE_JS_URL = …`` script with ``app.add_js_file`` on
the ``env-before-read-docs`` event, after the HTML builder was initialised. Sphinx 7.4 then
holds it twice: once added straight to the builder (file name ``None``) and once more from
the extension registry when it prepares writing (file name ``''``), which it does not
recognise as the same script. Every page declared the constant twice, and the browser
reported ``SyntaxError: Identifier 'THEBE_JS_URL' has already been declared``.

This extension runs sphinx-thebe's handler with the registry as the only destination, so
Sphinx adds the script to each page exactly once.
"""

from __future__ import annotations


def setup(app):
    import sphinx_thebe

    for listener in list(app.events.listeners.get("env-before-read-docs", [])):
        if listener.handler is sphinx_thebe.init_thebe_core:
            app.disconnect(listener.id)

    def init_thebe_core_registry_only(app, env, docnames):
        app.builder.add_js_file = lambda *args, **kwargs: None  # shadows the builder's method
        try:
            sphinx_thebe.init_thebe_core(app, env, docnames)
        finally:
            del app.builder.add_js_file

    app.connect("env-before-read-docs", init_thebe_core_registry_only)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
