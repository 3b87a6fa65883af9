"""Number the exercises of each chapter from 1.

sphinx-exercise numbers exercises with Sphinx's figure numbering, which, in a book whose
table of contents is not numbered, counts through the whole book: the encoder chapter's
first exercise was "Exercise 8". A reader working through one chapter looks for "Exercise 2"
of that chapter. Sphinx assigns the numbers in the table of contents' ``env-get-updated``
handler (priority 500, after every document has been read and after ``env-updated``); this
extension's handler runs after it (priority 900) and renumbers each page's exercises 1, 2, 3 …
in their order on the page; titles and ``{ref}`` links read the renumbered values.
"""

from __future__ import annotations


def renumber_exercises(app, env):
    for numbers in env.toc_fignumbers.values():
        exercises = numbers.get("exercise")
        if exercises:
            in_order = sorted(exercises, key=exercises.get)
            numbers["exercise"] = {label: (i,) for i, label in enumerate(in_order, start=1)}
    return []


def setup(app):
    app.connect("env-get-updated", renumber_exercises, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
