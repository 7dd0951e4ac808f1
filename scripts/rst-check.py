#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Parse reStructuredText files with docutils; print every warning.

    rst-check.py FILE...    exit 1 if any file has a warning or error
    rst-check.py selftest   exit 0 if known-bad snippets are caught and a
                            good one is not

A malformed table or a broken indentation renders as an error block in
the HTML the kernel's documentation build makes of the file; docutils
reports it at level 2 (WARNING) or 3 (ERROR).  Sphinx-only roles and
directives are not used in our files, so plain docutils is enough.
"""
import io
import sys

import docutils.core

GOOD = """\
=====  =====
a      b
=====  =====
"""
BAD = {
    "text in the column margin": """\
=====  =====
a      b
abcdefg c
=====  =====
""",
    "unexpected unindent": """\
- item
    quoted
  back
""",
}


def problems(text):
    """The warnings docutils prints for text, as one string."""
    err = io.StringIO()
    docutils.core.publish_doctree(
        text, settings_overrides={"warning_stream": err, "report_level": 2,
                                  "halt_level": 5})
    return err.getvalue()


def selftest():
    results = [("a good table passes", not problems(GOOD))]
    results += [(f"caught: {name}", bool(problems(text)))
                for name, text in BAD.items()]
    for name, ok in results:
        print(f"{'ok' if ok else 'not ok'} - {name}")
    bad = sum(1 for _, ok in results if not ok)
    print(f"{len(results) - bad} passed, {bad} failed")
    return 1 if bad else 0


def main(argv):
    if argv == ["selftest"]:
        return selftest()
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    rc = 0
    for path in argv:
        with open(path, encoding="utf-8") as f:
            out = problems(f.read())
        if out:
            rc = 1
            print(out.replace("<string>", path), end="")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
