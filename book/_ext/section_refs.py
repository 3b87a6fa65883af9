"""Links to another chapter's section name that chapter; section titles keep their math.

A ``{ref}`` to a section label renders the section's title, and the book's section titles
carry their number: "5. Noise into an autoencoder's decoder". On another chapter's page that
reads as the page's own section 5. Sphinx also renders a title's math as its LaTeX source
("5. Does \\mathcal{M}_\\text{global} track …"). Once references are resolved, this extension
rewrites every link whose text is its target section's title (a ``{ref}`` without a title of
its own): a link to another chapter reads "The chapter's title, §5: the section's title", and
the title is copied as a node tree, so its math is typeset like the heading's. A ``{ref}`` with
its own text is left as written.
"""

from __future__ import annotations

import copy
import re

from docutils import nodes

NUMBERED = re.compile(r"^(\d+)\.\s+")


def _section_titles(env, docname: str, cache: dict) -> dict[str, nodes.title]:
    """``{section id: its title node}`` of one document."""
    if docname not in cache:
        titles = {}
        for section in env.get_doctree(docname).findall(nodes.section):
            title = next(iter(section.findall(nodes.title)), None)
            if title is not None:
                for section_id in section["ids"]:
                    titles[section_id] = title
        cache[docname] = titles
    return cache[docname]


def _target(app, docname: str, refuri: str) -> tuple[str, str] | None:
    """``(document, anchor)`` of an internal link ``refuri`` from ``docname``, or None."""
    page, _, anchor = refuri.partition("#")
    if not anchor:
        return None
    if not page:
        return docname, anchor
    folder = docname.rpartition("/")[0]
    stem = page[: -len(app.builder.out_suffix)] if page.endswith(app.builder.out_suffix) else page
    parts = (folder.split("/") if folder else []) + stem.split("/")
    resolved: list[str] = []
    for part in parts:
        if part == "..":
            resolved = resolved[:-1]
        elif part not in ("", "."):
            resolved.append(part)
    return "/".join(resolved), anchor


def rewrite_section_links(app, doctree, docname: str) -> None:
    env, cache = app.env, app.env.__dict__.setdefault("_section_title_cache", {})
    for reference in list(doctree.findall(nodes.reference)):
        if not reference.get("internal") or "refuri" not in reference:
            continue
        target = _target(app, docname, reference["refuri"])
        if target is None or target[0] not in env.titles:
            continue
        title = _section_titles(env, target[0], cache).get(target[1])
        if title is None or reference.astext() != title.astext():
            continue  # not a section, or a link with its own text
        if target[0] != docname and title.astext() == env.titles[target[0]].astext():
            continue  # a link to a chapter itself reads as the chapter's title already
        content = [copy.deepcopy(child) for child in title.children]
        if target[0] != docname:
            chapter = env.titles[target[0]].astext()
            first = content[0] if content else None
            number = NUMBERED.match(first.astext()) if isinstance(first, nodes.Text) else None
            prefix = f"{chapter}, §{number.group(1)}: " if number else f"{chapter}: "
            if number:
                content[0] = nodes.Text(first.astext()[number.end():])
            content.insert(0, nodes.Text(prefix))
        inline = reference.children[0] if len(reference.children) == 1 and isinstance(reference.children[0], nodes.inline) else None
        holder = inline if inline is not None else reference
        holder.children = []
        holder.extend(content)


def setup(app):
    app.connect("doctree-resolved", rewrite_section_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
