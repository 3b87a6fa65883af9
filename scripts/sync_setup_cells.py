"""Write every chapter's Colab install target from _config.yml, the one place that names the repository.

Each chapter's set-up cell installs the package inside Colab with
``pip install "aegan-tutorial @ git+<repository.url>@<repository.branch>"``. A notebook opened in
Colab cannot read _config.yml, so the target is written into the cell; this script rewrites it
in every notebook of book/ from _config.yml (run it after changing the repository or the branch,
for example in a fork). ``--check`` only reports the notebooks that disagree and exits 1 if any do.

Usage::

    python scripts/sync_setup_cells.py [--check] [--root PATH]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

TARGET = re.compile(r'"aegan-tutorial @ git\+[^"]*"')


def install_target(root: Path) -> str:
    """``"aegan-tutorial @ git+<url>@<branch>"`` from ``root/_config.yml``."""
    repository = yaml.safe_load((root / "_config.yml").read_text())["repository"]
    return f'"aegan-tutorial @ git+{repository["url"]}@{repository["branch"]}"'


def sync(root: Path, check: bool = False) -> list[Path]:
    """Rewrite (or, with ``check``, only find) the notebooks whose set-up cell installs another target."""
    wanted, changed = install_target(root), []
    for notebook in sorted((root / "book").glob("*.ipynb")):
        nb = json.loads(notebook.read_text())
        setup = next((c for c in nb["cells"] if c["cell_type"] == "code"), None)
        text = "".join(setup["source"]) if setup else ""
        if not TARGET.search(text):
            raise SystemExit(f"{notebook}: its first code cell installs no 'aegan-tutorial @ git+...' target")
        fixed = TARGET.sub(wanted, text)
        if fixed != text:
            changed.append(notebook)
            if not check:
                lines = fixed.split("\n")
                setup["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]
                notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report, do not rewrite")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args(argv)
    changed = sync(args.root, args.check)
    for notebook in changed:
        print(f"{'differs' if args.check else 'rewrote'}: {notebook}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
