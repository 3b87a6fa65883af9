"""Static checks of the chapters' sources, nothing executed.

The code the chapters display is the package's own, included from its source; the book knows what
it contains (parts and chapters are cross-referenced, never given a status by typed text); exercises
are referred to cleanly and bookkeeping cells display nothing.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
INCLUDE = re.compile(r"```\{literalinclude\}\s+(\S+)\s*\n((?::[\w-]+:[^\n]*\n)*)")


def markdown(chapter: Path) -> str:
    cells = json.loads(chapter.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def defined_objects(path: Path) -> set[str]:
    """``name`` and ``Class.method`` for every top-level function, class and method of a module."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names |= {f"{node.name}.{item.name}" for item in node.body if isinstance(item, ast.FunctionDef)}
    return names


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_included_object_exists(chapter):
    for target, options in INCLUDE.findall(markdown(chapter)):
        path = (chapter.parent / target).resolve()
        assert path.is_file(), f"{chapter.name} includes {target}, which does not exist"
        wanted = re.search(r":pyobject:\s*(\S+)", options)
        if wanted:
            assert wanted.group(1) in defined_objects(path), f"{chapter.name}: no {wanted.group(1)} in {target}"


def test_the_trainers_and_builders_are_shown_from_the_source():
    shown = {chapter.stem: {m for _, o in INCLUDE.findall(markdown(chapter)) for m in re.findall(r":pyobject:\s*(\S+)", o)}
             for chapter in CHAPTERS}
    assert "GAN.train_step" in shown["dcgan"]
    assert any(name.startswith("ConditionalGAN.") for name in shown["conditional_gan"])
    assert "build_generator" in shown["generator"] and "build_discriminator" in shown["discriminator"]


# --- The book knows what it contains: a chapter's status and every "see chapter X" come from
# _toc.yml and cross-references, never from typed text.

TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
STATUS = re.compile(r"\b(?:planned|future|not yet (?:written|part of|in the book|included|available|released)"
                    r"|coming soon|to come|forthcoming|upcoming|later release)\b", re.I)
CODE_FENCES = ("{math}", "{literalinclude}", "{code", "{bibliography}")


def toc_chapters() -> list[tuple[str, str | None]]:
    """``(file stem, part caption)`` of every page in _toc.yml, in order; the root has no part."""
    pages = [(Path(TOC["root"]).stem, None)]
    for part in TOC.get("parts", []):
        pages += [(Path(chapter["file"]).stem, part.get("caption")) for chapter in part["chapters"]]
    return pages


def chapter_heading(stem: str) -> tuple[str, str]:
    """The ``(chapter-…)=`` label and the ``# title`` of a chapter notebook."""
    first = json.loads((ROOT / "book" / f"{stem}.ipynb").read_text())["cells"][0]
    text = "".join(first["source"])
    return re.search(r"^\((chapter-[\w-]+)\)=", text, re.M).group(1), re.search(r"^# (.+)$", text, re.M).group(1).strip()


CHAPTERS_IN_TOC = [(stem, part, *chapter_heading(stem)) for stem, part in toc_chapters()
                   if (ROOT / "book" / f"{stem}.ipynb").exists()]                     # (stem, part, label, title)
PART_NAMES = sorted({m.group(0) for _, part in toc_chapters() if part for m in [re.match(r"Part [IVXL]+\b", part)] if m})


def prose(text: str, keep_chapter_refs: bool = False) -> str:
    """Markdown as a reader reads it: no code, math, headings, labels or directive options.

    Roles are dropped, except that with ``keep_chapter_refs`` a reference to a chapter label
    stays as ``@@chapter-…@@`` (explicit link text is dropped either way).
    """
    lines, fence = [], None
    for line in text.splitlines():
        opened = re.match(r"\s*(`{3,})(.*)$", line)
        if opened:
            if fence is None:
                info = opened.group(2).strip()
                fence = "code" if not info.startswith("{") or info.startswith(CODE_FENCES) else "prose"
            else:
                fence = None
            continue
        if fence == "code" or re.match(r"\s*(#|\([\w-]+\)=|:[\w-]+:)", line):
            continue
        lines.append(line)
    text = "\n".join(lines)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", "MATH", text)
    if keep_chapter_refs:
        text = re.sub(r"\{(?:ref|doc)\}`(?:[^`<]*<)?(chapter-[\w-]+)>?`", r"@@\1@@", text)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", "REF", text)
    return re.sub(r"`[^`]*`", "CODE", text)


def units(text: str) -> list[str]:
    """A text's sentences, list items and table rows: the span within which a phrase describes a name."""
    found = []
    for block in re.split(r"\n\s*\n", text):
        for item in re.split(r"\n(?=\s*(?:\||[-*+] |\d+\. ))", block):
            item = re.sub(r"^(?:[-*+]|\d+\.)\s+", "", " ".join(item.split()))     # a list item's text
            found += [item] if item.startswith("|") else re.split(r"(?<=[.!?])\s+", item)
    return [u for u in found if u]


def page_text(chapter: Path) -> str:
    """Every markdown cell of a chapter, each its own block."""
    cells = json.loads(chapter.read_text())["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def described_as_not_written(text: str) -> list[str]:
    """Phrases of ``text`` that give a part or chapter in _toc.yml a status such as "planned"."""
    names = [re.escape(p) + r"\b" for p in PART_NAMES]
    names += [re.escape(f"@@{label}@@") for _, _, label, _ in CHAPTERS_IN_TOC]
    names += [r"\b" + re.escape(title) + r"\b" for _, _, _, title in CHAPTERS_IN_TOC]
    name = re.compile("|".join(names))
    separator = re.compile(r";|" + name.pattern)
    found = []
    for unit in units(prose(text, keep_chapter_refs=True)):
        for m in name.finditer(unit):
            left = unit[max(0, m.start() - 80):m.start()]
            left = separator.split(left)[-1]
            right = separator.split(unit[m.end():m.end() + 80])[0]
            if STATUS.search(left) or STATUS.search(right):
                found.append(f"{left}[{m.group(0)}]{right}".strip())
    return found


def typed_chapter_titles(text: str, own_title: str) -> list[str]:
    """Other chapters' titles named in prose instead of cross-referenced.

    Two patterns are unambiguous: a table cell that is exactly a chapter's title, and a title,
    capitalised as in the table of contents, in the middle of a sentence ("see Training a DCGAN",
    "planned: The generator"). At the start of a sentence, list item or table cell, "The
    generator …" is ordinary prose and is not flagged.
    """
    found = []
    for unit in units(prose(text)):
        cells = [c.strip().strip("*_") for c in unit.strip("|").split("|")] if unit.startswith("|") else [unit]
        for cell in cells:
            for _, _, _, title in CHAPTERS_IN_TOC:
                if title == own_title:
                    continue
                if cell == title:
                    found.append(f"table cell: {title}")
                    continue
                for m in re.finditer(r"(?<![\w-])" + re.escape(title) + r"(?![\w-])", cell):
                    before = cell[:m.start()].rstrip().rstrip("*_\"“‘'([").rstrip()
                    if before and not before.endswith((".", "!", "?")):
                        found.append(f"…{cell[max(0, m.start() - 40):m.end()]}")
    return found


def test_the_table_of_contents_is_what_the_checks_read():
    assert PART_NAMES and set(PART_NAMES) <= {"Part I", "Part II", "Part III", "Part IV", "Part V"}
    assert len(CHAPTERS_IN_TOC) == len(CHAPTERS), "every chapter notebook is in _toc.yml with a label and a title"


def test_the_checks_catch_the_slips_they_are_for():
    assert described_as_not_written("Part II (planned) trains this pair.")
    assert described_as_not_written("The planned Part II chapter on the minimax objective treats it.")
    assert described_as_not_written("| | The generator | from noise to an image | planned |")
    assert described_as_not_written("Conditional GANs are in {ref}`chapter-conditional-gan`, not yet written.")
    assert not described_as_not_written("Part II trains this pair; Part V, future work, combines them.")
    assert not described_as_not_written("| {ref}`chapter-encoder`; future work (Part V): open questions |")
    assert typed_chapter_titles("| generator | G | {ref}`§3 <bg-sec-gan>`; planned: The generator |", "x")
    assert typed_chapter_titles("As Training a DCGAN shows, it collapses.", "x")
    assert typed_chapter_titles("| II. GANs | The minimax objective | the value function |", "x")
    assert not typed_chapter_titles("The generator is a function. **The discriminator** reads images.", "x")
    assert not typed_chapter_titles("See {ref}`The generator <chapter-generator>` and {ref}`chapter-dcgan`.", "x")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_page_calls_a_part_or_chapter_of_the_book_unwritten(chapter):
    found = described_as_not_written(page_text(chapter))
    assert not found, f"{chapter.name} gives a part or chapter listed in _toc.yml a status by typed text: {found}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapters_are_cross_referenced_not_named(chapter):
    own = chapter_heading(chapter.stem)[1]
    found = typed_chapter_titles(page_text(chapter), own)
    assert not found, f"{chapter.name} names chapters in prose; use {{ref}}`chapter-…` instead: {found}"


def test_the_preface_maps_every_chapter_in_the_order_of_the_table_of_contents():
    cells = json.loads((ROOT / "book" / "preface.ipynb").read_text())["cells"]
    map_cell = next("".join(c["source"]) for c in cells if "".join(c["source"]).startswith("## 2. A map"))
    listed = re.findall(r"^\|[^|\n]*\|\s*\{ref\}`(chapter-[\w-]+)`", map_cell, re.M)
    assert listed == [label for stem, part, label, _ in CHAPTERS_IN_TOC if part is not None]


# --- Exercises and bookkeeping cells


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_references_to_exercises_do_not_repeat_the_word(chapter):
    """``{ref}`ex-…``` renders as "Exercise 3"; "exercise {ref}`ex-…`" would read "exercise Exercise 3"."""
    doubled = re.findall(r"\bexercises?\s*\(?\{ref\}`ex-[\w-]+`", page_text(chapter), re.I)
    assert not doubled, f"{chapter.name}: {doubled}"


def displayed_bookkeeping(cell_source: str) -> str | None:
    """The last expression of a code cell when Jupyter would display it although it is bookkeeping.

    Jupyter shows the value of a cell's last expression unless the cell ends in ";". A glue call
    returns the glued value, and a bare name or number is a value; both are bookkeeping shown by
    mistake (stray ``40`` or ``0.984375`` under a cell). Other calls (plots, tables, ``print``) are
    meant to show what they return.
    """
    code = cell_source.rstrip()
    body = ast.parse(code).body if code else []
    if not body or not isinstance(body[-1], ast.Expr) or code.endswith(";"):
        return None
    value = body[-1].value
    is_glue = isinstance(value, ast.Call) and getattr(value.func, "attr", getattr(value.func, "id", "")) == "glue"
    return ast.unparse(value) if is_glue or not isinstance(value, (ast.Call, ast.Await)) else None


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_bookkeeping_cells_display_nothing(chapter):
    cells = json.loads(chapter.read_text())["cells"]
    shown = [s for c in cells if c["cell_type"] == "code" for s in [displayed_bookkeeping("".join(c["source"]))] if s]
    assert not shown, f"{chapter.name}: end these cells with ';' or an assignment: {shown}"


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_cell_has_its_own_id(chapter):
    """nbformat 4.5 gives each cell an ``id`` (nbval warns without one, and a future nbformat refuses the file)."""
    notebook = json.loads(chapter.read_text())
    ids = [c.get("id") for c in notebook["cells"]]
    assert (notebook["nbformat"], notebook["nbformat_minor"]) >= (4, 5)
    assert None not in ids, f"{chapter.name}: cells {[i for i, v in enumerate(ids) if v is None]} have no id"
    assert len(set(ids)) == len(ids), f"{chapter.name}: an id is used twice"


def test_the_bookkeeping_check_tells_values_from_displays():
    assert displayed_bookkeeping('x = 1\nbook.glue("n", 40)') == "book.glue('n', 40)"
    assert displayed_bookkeeping("ratio") == "ratio"
    assert displayed_bookkeeping('book.glue("n", 40);') is None
    assert displayed_bookkeeping("plt.show()") is None and displayed_bookkeeping('Markdown("| a |")') is None


# A role inside inline code (`{glue:text}`name``) is not parsed: the page shows "{glue:text}" and
# the name's backticks instead of the value.
ROLE_IN_CODE = re.compile(r"`\{[\w:-]+\}`[^`\n]*``")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_no_role_is_wrapped_in_inline_code(chapter):
    found = ROLE_IN_CODE.findall(page_text(chapter))
    assert not found, f"{chapter.name}: write {{glue:text}}`name` without code backticks around it: {found}"


def test_the_role_in_code_check_catches_the_slip():
    assert ROLE_IN_CODE.findall("written by `{glue:text}`sg_command``, which ran")
    assert not ROLE_IN_CODE.findall("written by {glue:text}`sg_command`, which ran `python -m x`")


# A seed written as a number in a chapter's code, where AEGAN_SEED cannot reach it. Named constants
# (evaluation.EVAL_SEED, runs.SAMPLE_SEED) are allowed bare: they fix the noise a shipped model is
# scored or drawn with, a measurement that must not move with the reader's seed.
LITERAL_SEED = re.compile(r"(?:\bseed\s*=\s*|set_seed\(|default_rng\(|SeedGenerator\(|random_seed\()\d")


def literal_seeds(code: str) -> list[str]:
    return [line.strip() for line in code.splitlines() if LITERAL_SEED.search(line.split("#")[0])]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_every_seed_a_chapter_uses_comes_from_the_reader_seed(chapter):
    cells = json.loads(chapter.read_text())["cells"]
    found = [line for c in cells if c["cell_type"] == "code" for line in literal_seeds("".join(c["source"]))]
    assert not found, f"{chapter.name} fixes seeds that AEGAN_SEED cannot change (use book.seed(k)): {found[:5]}"


def test_the_literal_seed_check_catches_the_slip():
    assert literal_seeds("gan = GAN(g, d, seed=0)\nset_seed(1)\nrng = np.random.default_rng(7)") == \
        ["gan = GAN(g, d, seed=0)", "set_seed(1)", "rng = np.random.default_rng(7)"]
    assert not literal_seeds("gan = GAN(g, d, seed=book.seed(0))\nx = model.generate(8, seed=evaluation.EVAL_SEED)")
    assert not literal_seeds("for seed in SEEDS:  # seed=0 is the baseline")
