"""The rendered site in a real browser: every page loads cleanly, with its images, links and buttons.

The book is built when ``_build/html`` is missing or older than its sources, then every
page is opened in Debian's headless Chromium, driven by Playwright. In ``make test`` the
chapters have just run under nbval, which executes each of them under the quick budget; the
root ``conftest.py`` keeps what they printed and drew, so the site is built from those
executed notebooks with execution off and no chapter runs twice. A chapter that failed under
nbval stops the site test at once, with the chapter's name and error. Run alone, this test builds
the book as ``make book`` does, executing every chapter.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from conftest import ROOT

sys.path.insert(0, str(ROOT))
import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location("executed_notebooks", ROOT / "conftest.py")
executed_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(executed_notebooks)

HTML = ROOT / "_build" / "html"
BUILT_FROM = ".built_from"  # in the built site: "executed notebooks" (nbval's) or "sources" (executed by the build)
CHROMIUM = "/usr/bin/chromium"
PAGES_WITHOUT_FIGURES = ("preface", "faq")  # pages of prose and measured numbers; every chapter draws figures
# a cell's displayed value that is a bare number, string, tuple or list of them: bookkeeping shown by mistake
BARE_VALUE = re.compile(r"[\[(]?\s*(?:[-+]?[\d.,e+-]+|'[^']*'|\"[^\"]*\"|True|False|None)"
                        r"(?:\s*,\s*(?:[-+]?[\d.,e+-]+|'[^']*'|\"[^\"]*\"))*\s*,?\s*[\])]?")
SOURCES = [ROOT / "_config.yml", ROOT / "_toc.yml", *ROOT.glob("book/**/*"), *ROOT.glob("aegan_tutorial/**/*.py")]
NOISE = re.compile(
    r"absl::|I0000 |W0000 |E0000 |^[IWEF]\d{4} \d\d:\d\d:|NodeDef|tensorflow/core|cuda_|TF_CPP|oneDNN|UserWarning|DeprecationWarning|FutureWarning|"
    r"Traceback \(most recent|ms/step|━━━|Epoch \d+/\d+|WARNING:"
)


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part["chapters"]]
    return [f"{page}.html" for page in pages]


def chapter_notebooks() -> list[Path]:
    return [ROOT / page.replace(".html", ".ipynb") for page in toc_pages() if (ROOT / page.replace(".html", ".ipynb")).exists()]


def staged_book(executed: dict[Path, Path]) -> Path:
    """A copy of the book's sources with the executed chapters in place and execution off."""
    stage = ROOT / "_build" / "executed_book"
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(ROOT / "book", stage / "book", ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    for source, done in executed.items():
        shutil.copy2(done, stage / source.relative_to(ROOT))
    shutil.copy2(ROOT / "_toc.yml", stage / "_toc.yml")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    (stage / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    (stage / "aegan_tutorial").symlink_to(ROOT / "aegan_tutorial")  # what the chapters include from source
    return stage


@pytest.fixture(scope="module")
def site() -> Path:
    index = HTML / "index.html"
    newest = max(p.stat().st_mtime for p in SOURCES if p.is_file())
    failed = executed_notebooks.failed_chapters(chapter_notebooks())
    if failed:  # fail now, naming the chapters, instead of executing the whole book a second time
        pytest.fail("; ".join(f"{chapter.relative_to(ROOT)} failed under nbval ({error})" for chapter, error in failed.items())
                    + "; the site is built only from executed chapters", pytrace=False)
    if not index.exists() or index.stat().st_mtime < newest:
        executed = executed_notebooks.executed_chapters(chapter_notebooks())
        shutil.rmtree(HTML.parent / "html", ignore_errors=True)
        shutil.rmtree(HTML.parent / ".doctrees", ignore_errors=True)
        source = ROOT if executed is None else staged_book(executed)  # None: run alone, so execute the chapters
        build = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(source), "--path-output", str(ROOT),
                 "--warningiserror", "--keep-going"]
        env = {**os.environ, "AEGAN_BUDGET": os.environ.get("AEGAN_BUDGET", "quick")}
        run = subprocess.run(build, capture_output=True, text=True, env=env, cwd=ROOT)
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
        (HTML / BUILT_FROM).write_text("executed notebooks" if executed is not None else "sources")
    return HTML


def test_the_site_reuses_the_chapters_nbval_executed(site):
    """In ``make test`` no chapter runs twice: the site was built from nbval's executed notebooks."""
    executed = executed_notebooks.executed_chapters(chapter_notebooks())
    if executed is None:
        pytest.skip("the chapters did not run under nbval in this session (this test file ran alone)")
    assert (site / BUILT_FROM).read_text() == "executed notebooks"
    for source, done in executed.items():
        outputs = [o for cell in json.loads(done.read_text())["cells"] if cell["cell_type"] == "code" for o in cell["outputs"]]
        assert any(o.get("output_type") == "display_data" and "image/png" in o.get("data", {}) for o in outputs) or \
            source.stem in PAGES_WITHOUT_FIGURES, f"{source.name}: nbval's figures were not kept"
        page = (site / source.relative_to(ROOT)).with_suffix(".html").read_text()
        assert source.stem in PAGES_WITHOUT_FIGURES or "_images/" in page, f"{source.stem}.html lacks the figures nbval drew"
        stray = [o["data"]["text/plain"] for cell in json.loads(done.read_text())["cells"] if cell["cell_type"] == "code"
                 for o in cell["outputs"] if o.get("output_type") == "execute_result" and set(o["data"]) == {"text/plain"}
                 and BARE_VALUE.fullmatch("".join(o["data"]["text/plain"]).strip())]
        assert not stray, f"{source.stem}: cells display bookkeeping values {stray[:5]}"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


class Anchors(HTMLParser):
    """Collect ids and hrefs of a page."""

    def __init__(self):
        super().__init__()
        self.ids, self.hrefs = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


def parse(path: Path) -> Anchors:
    anchors = Anchors()
    anchors.feed(path.read_text())
    return anchors


def test_every_page_loads_without_errors_or_missing_images(site, browser):
    for name in toc_pages() + ["index.html", "search.html", "genindex.html"]:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
        page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.on("requestfailed", lambda req: errors.append(f"failed: {req.url}") if req.url.startswith("file:") else None)
        page.goto((site / name).as_uri(), wait_until="load")
        page.wait_for_timeout(300)
        assert not errors, f"{name}: {errors}"
        broken = page.eval_on_selector_all("img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
        assert not broken, f"{name}: images that did not load: {broken}"
        page.close()


def test_math_is_rendered(site, browser):
    page = browser.new_page()
    page.goto((site / "book" / "background.html").as_uri(), wait_until="load")
    page.wait_for_function("document.querySelectorAll('mjx-container').length > 0", timeout=15_000)
    assert page.locator("mjx-container").count() > 3
    page.close()


def test_every_internal_link_resolves(site):
    for html in site.rglob("*.html"):
        if "_static" in html.parts or "_sources" in html.parts:
            continue
        for href in parse(html).hrefs:
            parts = urlsplit(href)
            if parts.scheme or href.startswith(("mailto:", "javascript:")):
                continue
            target = (html.parent / unquote(parts.path)).resolve() if parts.path else html
            assert target.exists(), f"{html.relative_to(site)} links to missing {href}"
            if parts.fragment and target.suffix == ".html":
                assert unquote(parts.fragment) in parse(target).ids, f"{html.relative_to(site)} links to missing anchor {href}"


def test_no_page_shows_log_noise(site, browser):
    for name in toc_pages():
        page = browser.new_page()
        page.goto((site / name).as_uri(), wait_until="load")
        text = page.inner_text("main")
        page.close()
        noise = [line for line in text.splitlines() if NOISE.search(line)]
        assert not noise, f"{name} shows log noise: {noise[:5]}"


def test_every_chapter_page_carries_a_colab_button(site):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = urlsplit(config["repository"]["url"]).path.strip("/")
    branch = config["repository"]["branch"]
    for notebook in sorted((ROOT / "book").glob("*.ipynb")):
        html = (site / "book" / f"{notebook.stem}.html").read_text()
        colab = f"https://colab.research.google.com/github/{repo}/blob/{branch}/book/{notebook.name}"
        assert colab in html, f"{notebook.stem}.html has no Colab button to {colab}"


def test_cells_ending_in_a_semicolon_keep_their_value_off_the_page():
    """nbval ignores a closing ';' (it runs cells outside IPython's history); the executed copy must not."""
    value = {"output_type": "execute_result", "data": {"text/plain": "40"}, "metadata": {}, "execution_count": 0}
    glued = {"output_type": "display_data", "data": {"application/papermill.record/text/plain": "40"},
             "metadata": {"scrapbook": {"name": "n"}}}
    assert executed_notebooks.hidden_result('book.glue("n", 40);', value)
    assert executed_notebooks.hidden_result('x = 1\nbook.finish();  # the runtime', value)
    assert not executed_notebooks.hidden_result('book.glue("n", 40);', glued), "glued values stay for the text"
    assert not executed_notebooks.hidden_result('Markdown("| a |")', value), "a table meant to be shown stays"


def test_exercises_are_numbered_within_their_chapter(site):
    """A reader looks for "Exercise 2" of the chapter in front of them, not of the whole book."""
    numbered = 0
    for page in sorted((site / "book").glob("*.html")):
        numbers = [int(n) for n in re.findall(r'caption-number">Exercise (\d+)', page.read_text())]
        assert numbers == list(range(1, len(numbers) + 1)), f"{page.name}: exercises numbered {numbers}"
        numbered += bool(numbers)
    assert numbered >= 9, f"only {numbered} pages carry numbered exercises"


def test_every_faq_answer_gives_a_number_and_links_where_it_was_measured(site, browser):
    page = browser.new_page()
    page.goto((site / "book" / "faq.html").as_uri(), wait_until="load")
    answers = page.eval_on_selector_all(
        "main p", """ps => ps.filter(p => p.firstElementChild && p.firstElementChild.tagName === 'STRONG'
                                      && p.firstElementChild.textContent.trim().endsWith('?'))
                        .map(p => ({question: p.firstElementChild.textContent, text: p.textContent,
                                    links: [...p.querySelectorAll('a.reference.internal')].map(a => a.getAttribute('href'))}))""")
    corrections = page.eval_on_selector_all("section:has(> span#sec-faq-corrections) li", "lis => lis.map(li => li.querySelectorAll('a.reference.internal').length)")
    page.close()
    assert len(answers) >= 12, f"the FAQ answers {len(answers)} questions: the two articles' eight and the readers' four"
    for answer in answers:
        assert answer["links"], f"{answer['question']} links no section"
        assert re.search(r"\d", answer["text"].replace(answer["question"], "")), f"{answer['question']} gives no number"
    assert corrections and all(corrections), "every correction of the articles links the section that makes it"


# --- Slips a reader sees in the text ------------------------------------------------------------

SCIENTIFIC = re.compile(r"(?<![\w.])[-+]?\d(?:\.\d+)?e(?:\+\d+|-0[0-3])\b")   # 1.37e+03, 1.3e-03; tiny values may stay
ZERO_SPREAD = re.compile(r"(?<![\d.])(-?\d+(?:\.\d+)?) ± 0(?:\.0+)? \[\1, \1\]")   # "0 ± 0 [0, 0]": a spread of no width
IDENTIFIER = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w(])")   # stroke_width, m_global
NUMBERED_TITLE = re.compile(r"^\d+\.\s")


class ProseParser(HTMLParser):
    """A page's visible prose and its internal links, without code, math, scripts or navigation."""

    SKIP = {"script", "style", "pre", "code", "nav", "header", "footer", "head", "kbd"}
    HIDING_CLASSES = {"math", "highlight", "bd-sidebar-primary", "bd-sidebar-secondary", "headerlink", "prev-next-area",
                      "cell_input"}
    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "area", "col", "embed", "param", "track"}

    def __init__(self):
        super().__init__()
        self.hidden: list[bool] = []          # per open element: is its text hidden from the reader's prose?
        self.text: list[str] = []
        self.links: list[dict] = []
        self.open_links: list[tuple[dict, int]] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        attrs = dict(attrs)
        classes = set((attrs.get("class") or "").split())
        self.hidden.append(tag in self.SKIP or bool(classes & self.HIDING_CLASSES) or (bool(self.hidden) and self.hidden[-1]))
        if tag == "a" and {"reference", "internal"} <= classes and not self.hidden[-1]:
            link = {"href": attrs.get("href", ""), "text": ""}
            self.links.append(link)
            self.open_links.append((link, len(self.hidden)))

    def handle_endtag(self, tag):
        if tag in self.VOID or not self.hidden:
            return
        if tag == "a" and self.open_links and self.open_links[-1][1] == len(self.hidden):
            self.open_links.pop()
        self.hidden.pop()

    def handle_data(self, data):
        if self.hidden and self.hidden[-1]:
            return
        self.text.append(data)
        for link, _ in self.open_links:
            link["text"] += data


def prose_of(html: str) -> ProseParser:
    parser = ProseParser()
    parser.feed(html)
    return parser


def text_slips(html: str) -> list[str]:
    """What a reader should never see in a chapter's prose and tables."""
    parsed = prose_of(html)
    text = " ".join(" ".join(parsed.text).split())
    found = [f"scientific notation: …{text[max(0, m.start() - 40):m.end() + 20]}…" for m in SCIENTIFIC.finditer(text)]
    found += [f"a spread of no width: {m.group(0)}" for m in ZERO_SPREAD.finditer(text)]
    found += [f"raw identifier {m.group(0)!r}: …{text[max(0, m.start() - 40):m.end() + 20]}…" for m in IDENTIFIER.finditer(text)]
    for link in parsed.links:
        page = urlsplit(link["href"]).path
        words = " ".join(link["text"].split())
        if page and NUMBERED_TITLE.match(words):
            found.append(f"a link to another chapter's section that reads as this page's own: {words!r} ({link['href']})")
        if "\\" in words:
            found.append(f"LaTeX source in a link: {words!r}")
    return found


def test_the_text_slip_check_catches_what_it_is_for():
    slips = text_slips('<p>FD 1.37e+03 [1.24e+03, 1.6e+03]; recall 0 ± 0 [0, 0]; along <em>stroke_width</em>; '
                       'see <a class="reference internal" href="generator.html#sec-gn-prior">5. Noise into a decoder</a> '
                       'and <a class="reference internal" href="began.html#x">Does \\mathcal{M} track it?</a></p>')
    assert len(slips) == 7, slips   # three numbers, a spread, an identifier, two links
    clean = text_slips('<p>FD 1,370 [1,240, 1,600]; a rate of 2e-4 is 0.0002; <code>stroke_width</code> '
                       '<span class="math">\\(h_1\\)</span> <a class="reference internal" href="#sec-x">5. Here</a> '
                       '<a class="reference internal" href="generator.html#x">From noise, §5: Noise into a decoder</a></p>'
                       '<pre>1.3e-03</pre>')
    assert clean == [], clean


def test_no_page_shows_numbers_identifiers_or_links_a_reader_would_misread(site):
    slips = {page: text_slips((site / page).read_text()) for page in toc_pages()}
    slips = {page: found for page, found in slips.items() if found}
    assert not slips, "\n".join(f"{page}: {found}" for page, found in slips.items())
