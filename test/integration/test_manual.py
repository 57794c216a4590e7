# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The manual, doc/mod_authn_jwt.html, against the module itself.

The directives are taken from httpd, not from the sources: the module under
test is loaded into /usr/sbin/apache2 and `apache2 -L` lists every directive
it registered, with where it is allowed.  Every one of them must have an
entry in the manual (the index at the top and a directive section with the
seven fields httpd's own module pages show), no entry may name a directive
the module does not have, and each entry's Context and Override must say
what httpd enforces.
"""

import html.parser
import os
import re
import subprocess

import pytest

import harness

MANUAL = os.path.join(harness.REPO, "doc", "mod_authn_jwt.html")
FIELDS = ("Description", "Syntax", "Default", "Context", "Override",
          "Status", "Module")
HOW = ("doc/mod_authn_jwt.html: copy an existing <div class=\"directive-"
       "section\"> of the same context, fill in the fields, and list the "
       "directive in <ul id=\"toc\"> at the top")


# ---------------------------------------------------------------------------
# what httpd says the module registers

def _dash_l(tmpdir):
    conf = os.path.join(tmpdir, "L.conf")
    mods = [("mpm_event_module", "mod_mpm_event.so"),
            ("authn_core_module", "mod_authn_core.so"),
            ("authz_core_module", "mod_authz_core.so")]
    lines = ['ServerRoot "%s"' % tmpdir, "ServerName 127.0.0.1",
             'ErrorLog "%s/error.log"' % tmpdir,
             'PidFile "%s/httpd.pid"' % tmpdir]
    lines += ['LoadModule %s "%s"' % (m, os.path.join(harness.MODDIR, f))
              for m, f in mods]
    lines.append('LoadModule authn_jwt_module "%s"' % harness.module_path())
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    out = subprocess.run([harness.APACHE, "-L", "-f", conf],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=60, universal_newlines=True)
    assert out.returncode == 0, "apache2 -L failed:\n%s%s" % (
        out.stdout, out.stderr)
    return out.stdout


def parse_dash_l(text, source="mod_authn_jwt.c"):
    """{directive: {"context": set, "override": str}} of the directives
    whose module is SOURCE, from httpd's show_directives output:

        Name (mod_x.c)
        \\thelp text
        \\tAllowed in *.conf anywhere|only outside ...|only inside ...
        [ and in .htaccess
        \\twhen AllowOverride includes AuthConfig [or Limit ...]]
    """
    found = {}
    cur = None
    for line in text.splitlines():
        if not line.startswith("\t"):
            m = re.match(r"^(\S+) \(([^)]+)\)$", line)
            cur = None
            if m and m.group(2) == source:
                cur = found.setdefault(m.group(1), {"context": set(),
                                                    "override": "None"})
            continue
        if cur is None:
            continue
        body = line.strip()
        if body.startswith("Allowed in *.conf"):
            if "anywhere" in body:
                cur["context"] |= {"server config", "virtual host",
                                   "directory"}
            elif "only outside" in body:
                cur["context"] |= {"server config", "virtual host"}
            elif "only inside" in body:
                cur["context"] |= {"directory"}
            if "and in .htaccess" in body:
                cur["context"].add(".htaccess")
        elif body.startswith("when AllowOverride"):
            if "isn't None" in body:
                cur["override"] = "All"
            else:
                rest = body.split("includes", 1)[1]
                cur["override"] = ", ".join(
                    w.strip() for w in rest.split(" or ") if w.strip())
    return found


@pytest.fixture(scope="module")
def registered(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("dash-l"))
    found = parse_dash_l(_dash_l(d))
    # a listing that lost the module would make every check below vacuous
    assert "AuthJWTVerifyKey" in found, \
        "apache2 -L did not list the module's directives"
    return found


# ---------------------------------------------------------------------------
# what the manual says

class ManualParser(html.parser.HTMLParser):
    """Collects the directive index (<ul id="toc">) and every
    <div class="directive-section">: its <h2> anchor id and the rows of its
    <table class="directive"> (th text without the colon -> td text)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.index = []
        self.sections = []          # (name, {field: value}, line)
        self.ids = []
        self._in_toc = False
        self._section = None
        self._h2_ids = None
        self._cell = None           # "th" / "td"
        self._th = ""
        self._td = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        classes = (a.get("class") or "").split()
        if tag == "ul" and a.get("id") == "toc":
            self._in_toc = True
        elif self._in_toc and tag == "a" and a.get("href", "").startswith(
                "#"):
            self.index.append(a["href"][1:])
        elif tag == "div" and "directive-section" in classes:
            self._section = {"fields": {}, "ids": [],
                             "line": self.getpos()[0], "depth": 0}
        if self._section is not None and tag == "div":
            self._section["depth"] += 1
        if self._section is not None:
            if tag == "h2":
                self._h2_ids = []
            elif tag == "a" and self._h2_ids is not None and "id" in a:
                self._h2_ids.append(a["id"])
            elif tag in ("th", "td"):
                self._cell = tag
                if tag == "th":
                    self._th = ""
                else:
                    self._td = ""

    def handle_endtag(self, tag):
        if tag == "ul" and self._in_toc:
            self._in_toc = False
        if self._section is None:
            return
        if tag == "h2" and self._h2_ids is not None:
            self._section["ids"] = self._h2_ids
            self._h2_ids = None
        elif tag == "th":
            self._cell = None
        elif tag == "td" and self._cell == "td":
            self._cell = None
            key = self._th.strip().rstrip(":").strip()
            self._section["fields"][key] = " ".join(self._td.split())
        elif tag == "div":
            self._section["depth"] -= 1
            if self._section["depth"] == 0:
                s = self._section
                name = s["ids"][0] if s["ids"] else None
                self.sections.append((name, s["fields"], s["line"]))
                self._section = None

    def handle_data(self, data):
        if self._cell == "th":
            self._th += data
        elif self._cell == "td":
            self._td += data


@pytest.fixture(scope="module")
def manual():
    assert os.path.isfile(MANUAL), "the manual %s is missing" % MANUAL
    p = ManualParser()
    with open(MANUAL, encoding="utf-8") as f:
        p.feed(f.read())
    p.close()
    return p


# ---------------------------------------------------------------------------

def test_parse_dash_l_reads_contexts():
    text = ("AuthJWTA (mod_authn_jwt.c)\n\thelp\n"
            "\tAllowed in *.conf only inside <Directory>, <Files>, "
            "<Location>, or <If> and in .htaccess\n"
            "\twhen AllowOverride includes AuthConfig\n"
            "AuthJWTB (mod_authn_jwt.c)\n\thelp\n"
            "\tAllowed in *.conf anywhere\n"
            "AuthJWTC (mod_authn_jwt.c)\n\thelp\n"
            "\tAllowed in *.conf only outside <Directory>, <Files>, "
            "<Location>, or <If>\n"
            "AuthType (mod_authn_core.c)\n\thelp\n"
            "\tAllowed in *.conf anywhere\n")
    got = parse_dash_l(text)
    assert got == {
        "AuthJWTA": {"context": {"directory", ".htaccess"},
                     "override": "AuthConfig"},
        "AuthJWTB": {"context": {"server config", "virtual host",
                                 "directory"}, "override": "None"},
        "AuthJWTC": {"context": {"server config", "virtual host"},
                     "override": "None"},
    }


def test_every_registered_directive_is_in_the_manual(registered, manual):
    documented = {name for name, _, _ in manual.sections}
    missing = sorted(set(registered) - documented)
    assert not missing, (
        "directives the module registers (apache2 -L) without an entry in "
        "the manual: %s\nAdd one to %s" % (", ".join(missing), HOW))
    unindexed = sorted(set(registered) - set(manual.index))
    assert not unindexed, (
        "directives missing from the index <ul id=\"toc\"> of the manual: "
        "%s" % ", ".join(unindexed))


def test_no_entry_names_a_directive_the_module_lacks(registered, manual):
    extra = sorted({n for n, _, _ in manual.sections if n} - set(registered))
    assert not extra, (
        "the manual documents directives the module does not register "
        "(apache2 -L): %s" % ", ".join(extra))
    nameless = [line for n, _, line in manual.sections if not n]
    assert not nameless, ("directive sections without an <h2><a id=...> "
                          "at lines %s" % nameless)
    extra_index = sorted(set(manual.index) - set(registered)
                         - set(manual.ids))
    assert not extra_index, ("index links to nothing: %s"
                             % ", ".join(extra_index))
    not_directives = sorted(
        n for n in manual.index
        if n.startswith("AuthJWT") and n not in registered)
    assert not not_directives, ("the index lists directives the module "
                                "does not have: %s"
                                % ", ".join(not_directives))


def test_each_entry_has_httpds_fields(registered, manual):
    problems = []
    seen = set()
    for name, fields, line in manual.sections:
        if name in seen:
            problems.append("%s: two entries (line %d)" % (name, line))
        seen.add(name)
        for f in FIELDS:
            if not fields.get(f):
                problems.append("%s (line %d): no %s" % (name, line, f))
        syntax = fields.get("Syntax", "")
        if syntax and not syntax.startswith(name + " ") and syntax != name:
            problems.append("%s: Syntax does not start with the directive "
                            "name: %r" % (name, syntax))
        if fields.get("Module") and fields["Module"] != "mod_authn_jwt":
            problems.append("%s: Module is %r" % (name, fields["Module"]))
        if fields.get("Status") and fields["Status"] != "External":
            problems.append("%s: Status is %r (a module outside httpd's "
                            "tree is External)" % (name, fields["Status"]))
    assert not problems, "\n".join(problems)


def test_context_and_override_match_httpd(registered, manual):
    problems = []
    for name, fields, line in manual.sections:
        if name not in registered:
            continue
        want = registered[name]
        ctx = {c.strip() for c in fields.get("Context", "").split(",")
               if c.strip()}
        if ctx != want["context"]:
            problems.append(
                "%s (line %d): Context says %r, httpd allows it in: %s" % (
                    name, line, fields.get("Context"),
                    ", ".join(c for c in ("server config", "virtual host",
                                          "directory", ".htaccess")
                              if c in want["context"])))
        ov = fields.get("Override", "")
        if want["override"] == "None":
            ok = ov.startswith("None")
        else:
            ok = ov == want["override"]
        if not ok:
            problems.append("%s (line %d): Override says %r, httpd: %s" % (
                name, line, ov, want["override"]))
    assert not problems, "\n".join(problems)


def test_links_into_the_manual_land_on_an_anchor(manual):
    """README.md and the manual's own topic links name anchors that
    exist."""
    with open(os.path.join(harness.REPO, "README.md"),
              encoding="utf-8") as f:
        readme = f.read()
    wanted = set(re.findall(r"doc/mod_authn_jwt\.html#([A-Za-z0-9_-]+)",
                            readme))
    with open(MANUAL, encoding="utf-8") as f:
        wanted |= set(re.findall(r'href="#([A-Za-z0-9_-]+)"', f.read()))
    missing = sorted(wanted - set(manual.ids))
    assert not missing, "links to anchors the manual lacks: %s" % (
        ", ".join(missing))
