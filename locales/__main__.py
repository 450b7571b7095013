"""Catalog upkeep: `python -m locales update` re-extracts the English source and merges it into every catalog;
`python -m locales check` lists missing, untranslated and broken messages (the test suite runs the same check).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from locales.catalog import CATALOGS, LOCALES_DIR, babel_locale, po_path
from locales.checks import problems
from locales.tooling import fill_english

EXTRACT = ["pybabel", "extract", "--no-default-keywords", "-k", "N_:1c,2", "-k", "NP_:1c,2,3",
           "--sort-output", "--no-location", "--project", "whatsapp-booking", "-o"]  # fmt: skip


def update() -> None:
    template = LOCALES_DIR / "messages.pot"
    subprocess.run([*EXTRACT, str(template), str(LOCALES_DIR / "messages.py")], check=True)
    for language in CATALOGS:
        if language == "en":
            continue
        subprocess.run(
            ["pybabel", "update", "--no-fuzzy-matching", "-D", "messages", "-l", babel_locale(language),
             "-i", str(template), "-o", str(po_path(language))],
            check=True,
        )  # fmt: skip
    fill_english(template, po_path("en"))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m locales")
    parser.add_argument("command", choices=["update", "check"])
    args = parser.parse_args()
    if args.command == "update":
        update()
    found = problems()
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
