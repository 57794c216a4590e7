# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""One version string: AC_INIT in configure.ac, `htjwt --version`, and the
line the module logs when httpd starts (AJ00200), so an administrator can
tell which build answers and which htjwt matches it."""

import os
import re
import subprocess

import harness
from issue_kit import HTJWT


def configure_version():
    with open(os.path.join(harness.REPO, "configure.ac")) as f:
        m = re.search(r"AC_INIT\(\[mod_authn_jwt\],\s*\[([^\]]+)\]", f.read())
    assert m, "configure.ac has no AC_INIT([mod_authn_jwt], [VERSION])"
    return m.group(1)


def test_htjwt_version_is_configure_version():
    want = "htjwt (mod_authn_jwt/%s)\n" % configure_version()
    for flag in ("--version", "-V"):
        r = subprocess.run([HTJWT, flag], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True,
                           timeout=30)
        assert r.returncode == 0, r.stderr
        assert r.stdout == want
        assert r.stderr == ""


def test_module_logs_the_same_version_once_at_start(httpd):
    # LogLevel warn: the line is a start-up NOTICE, which httpd logs
    # whatever the level, like its own AH00163
    srv = httpd("version", "", loglevel="warn")
    text = "\n".join(srv.startup_lines)
    lines = [l for l in text.splitlines() if "AJ00200" in l]
    assert len(lines) == 1, text
    m = harness.LOG_RE.match(lines[0])
    assert m and m.group(1) == "authn_jwt" and m.group(2) == "notice", \
        lines[0]
    assert lines[0].endswith(
        "AJ00200: mod_authn_jwt/%s configured" % configure_version())

    r = subprocess.run([HTJWT, "--version"], stdout=subprocess.PIPE,
                       universal_newlines=True, timeout=30)
    logged = re.search(r"AJ00200: (\S+) configured", lines[0]).group(1)
    assert "(%s)" % logged in r.stdout


def test_debian_changelog_is_for_this_version():
    """The packages take their version from debian/changelog: its top
    entry must be for configure.ac's version (a new version needs a
    changelog entry)."""
    with open(os.path.join(harness.REPO, "debian", "changelog")) as f:
        first = f.readline()
    m = re.match(r"^mod-authn-jwt \(([^)]+)\) ", first)
    assert m, first
    upstream = m.group(1).rsplit("-", 1)[0]
    assert upstream == configure_version(), (
        "debian/changelog's top entry is %s, configure.ac says %s: add an "
        "entry (dch -v %s-1)" % (m.group(1), configure_version(),
                                 configure_version()))
