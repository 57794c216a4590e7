# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""pytest wiring for the interoperability suite (see README.md here).

It reuses test/integration unchanged: harness.py and jose_kit.py are put on
sys.path, and that folder's conftest.py is loaded under another module name
so that its fixtures (`ring`, `K`, `httpd`, the per-test error-log guard)
and its session checks (the module exists, httpd exists) apply here too.
Ports start at 44000 (IT_PORT_BASE) so that a concurrent integration run
on 42000+ is not disturbed.

On top of that it keeps the interop matrix: every test records its cell
(table, library, row, column) with `cell(...)`, and the outcome of each
cell is printed as tables at the end of the run.
"""

import importlib.util
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(os.path.dirname(HERE), "integration")
if INTEGRATION not in sys.path:
    sys.path.insert(0, INTEGRATION)
os.environ.setdefault("IT_PORT_BASE", "44000")

_spec = importlib.util.spec_from_file_location(
    "integration_conftest", os.path.join(INTEGRATION, "conftest.py"))
_it = importlib.util.module_from_spec(_spec)
sys.modules["integration_conftest"] = _it
_spec.loader.exec_module(_it)

# fixtures and hooks of test/integration/conftest.py, unchanged
basedir = _it.basedir
ring = _it.ring
K = _it.K
httpd = _it.httpd
log_expect = _it.log_expect
_log_guard = _it._log_guard
pytest_sessionstart = _it.pytest_sessionstart


def pytest_configure(config):
    _it.pytest_configure(config)
    config.addinivalue_line(
        "markers", "cell(table, library, row, column): the matrix cell a "
        "test fills (printed at the end of the run)")


def pytest_collection_modifyitems(config, items):
    _it.pytest_collection_modifyitems(config, items)
    seen = set()
    for item in items:
        mod = getattr(item, "module", None)
        if mod is None or mod in seen:
            continue
        seen.add(mod)
        for name, columns in getattr(mod, "INTEROP_TABLES", ()):
            declare_table(name, columns)


# ---------------------------------------------------------------------------
# the matrix

# table -> {(library, row): {column: [outcome, ...]}}
MATRIX = {}
# table -> column order
COLUMNS = {}
TABLE_ORDER = []
FAILED = []

# worst first: a cell shows the worst outcome of its tests
_RANK = ["FAIL", "XPASS", "xfail", "skip", "ok"]


def declare_table(name, columns):
    if name not in COLUMNS:
        TABLE_ORDER.append(name)
    COLUMNS[name] = list(columns)
    MATRIX.setdefault(name, {})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    mark = item.get_closest_marker("cell")
    if mark is None:
        return
    table, lib, row, col = mark.args
    res = None
    if rep.when == "call":
        if hasattr(rep, "wasxfail"):
            res = "XPASS" if rep.passed else "xfail"
        elif rep.passed:
            res = "ok"
        elif rep.failed:
            res = "FAIL"
        elif rep.skipped:
            res = "skip"
    elif rep.when == "setup" and (rep.failed or rep.skipped):
        if hasattr(rep, "wasxfail"):
            res = "xfail"
        else:
            res = "FAIL" if rep.failed else "skip"
    elif rep.when == "teardown" and rep.failed:
        res = "FAIL"
    if res is None:
        return
    MATRIX.setdefault(table, {}).setdefault((lib, row), {}) \
        .setdefault(col, []).append(res)
    if res in ("FAIL", "XPASS"):
        FAILED.append("%s %s: %s" % (res, item.nodeid, rep.when))


def _cell(results):
    if not results:
        return "-"
    return min(results, key=_RANK.index)


def pytest_terminal_summary(terminalreporter):
    _it.pytest_terminal_summary(terminalreporter)
    w = terminalreporter.write_line
    if not any(MATRIX.values()):
        return
    w("")
    w("interop matrix (ok = every check of the cell passed; xfail = known "
      "module failure, see test_interop.py KNOWN; '-' = not applicable)")
    for table in TABLE_ORDER + [t for t in MATRIX if t not in TABLE_ORDER]:
        rows = MATRIX.get(table) or {}
        if not rows:
            continue
        cols = COLUMNS.get(table) or sorted({c for r in rows.values()
                                             for c in r})
        rw = max(len("%s %s" % k) for k in rows) + 2
        cw = max(7, max(len(c) for c in cols) + 1)
        w("")
        w("== %s" % table)
        w(" " * rw + "".join(c.ljust(cw) for c in cols))
        libs = []
        for lib, _ in rows:
            if lib not in libs:
                libs.append(lib)
        # grouped by library, each in the order its tests ran
        for (lib, row), cells in sorted(rows.items(),
                                        key=lambda kv: libs.index(kv[0][0])):
            w(("%s %s" % (lib, row)).ljust(rw)
              + "".join(_cell(cells.get(c)).ljust(cw) for c in cols))
    if FAILED:
        w("")
        w("interop failures:")
        for f in FAILED:
            w("  " + f)
