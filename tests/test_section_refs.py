"""The book's extension that makes a link to another chapter's section name that chapter (book/_ext/section_refs.py)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

PAGES = {
    "conf.py": f'import sys\nsys.path.insert(0, {str(ROOT / "book" / "_ext")!r})\n'
               'extensions = ["myst_parser", "section_refs"]\nmyst_enable_extensions = ["dollarmath"]\n',
    "index.md": "# Home\n\n```{toctree}\na\nb\n```\n",
    "a.md": "(chapter-a)=\n# The generator\n\n(sec-a-noise)=\n## 5. Noise into a decoder\n\n(sec-a-k)=\n"
            "## 2. The balance $k_t$\n\nSee {ref}`sec-a-noise` here.\n",
    "b.md": "# Other\n\nSee {ref}`sec-a-noise`, {ref}`sec-a-k`, {ref}`its own words <sec-a-noise>` and {ref}`chapter-a`.\n",
}


def test_a_link_to_another_chapters_section_names_the_chapter_and_keeps_its_math(tmp_path):
    for name, text in PAGES.items():
        (tmp_path / name).write_text(text)
    run = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", str(tmp_path), str(tmp_path / "out")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    other, same = (tmp_path / "out" / "b.html").read_text(), (tmp_path / "out" / "a.html").read_text()
    assert '<span class="std std-ref">The generator, §5: Noise into a decoder</span>' in other
    assert 'The generator, §2: The balance <span class="math notranslate nohighlight">\\(k_t\\)</span>' in other
    assert '<span class="std std-ref">its own words</span>' in other, "a link with its own text is left as written"
    assert '<span class="std std-ref">The generator</span>' in other, "a link to a chapter reads as its title"
    assert '<span class="std std-ref">5. Noise into a decoder</span>' in same, "on its own page a section keeps its number"
