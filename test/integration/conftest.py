# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""pytest wiring for the black-box suite (see README.md in this folder).

Session: the module must exist (a missing .so is an error, never a skip),
keys are generated once, ports are handed out from 42000 up.
Module (test group): `httpd` starts one server per configuration and stops
it at the end of the group, checking the whole error and access log for
crashes and for any token or signature that was sent.
Test: `_log_guard` fails a test whose requests produced a warn-or-worse
error-log line the test did not declare with @pytest.mark.expect_log(...)
or the `log_expect` list.
"""

import itertools
import os
import shutil
import socket

import pytest

import harness
import jose_kit

_ports = itertools.count(int(os.environ.get("IT_PORT_BASE", "42000")))
_running = []
_kept = []


def _free_port(ports):
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()


def next_port():
    """The next port from 42000 up that nobody listens on right now (other
    runs of this suite, other servers); httpd binds with SO_REUSEADDR too,
    so a port in TIME_WAIT is fine."""
    return _free_port(_ports)


# 20000 below the others: under Linux's ephemeral range (32768 up), which
# the ports above lie in.  A service stopped and started again on its port
# (memcached, Redis) may find an ephemeral port there taken meanwhile by
# an outgoing connection, even one that connected to itself while the
# service was down (a TCP self-connect), and could not listen again.
_quiet_ports = itertools.count(max(1024, int(os.environ.get(
    "IT_PORT_BASE", "42000")) - 20000))


def next_quiet_port():
    """A free port outside the ephemeral range, for a service that is
    stopped and started again on the same port."""
    return _free_port(_quiet_ports)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "expect_log(*patterns): warn+ error-log lines (AJ tag or "
        "regex) this test expects")
    config.addinivalue_line(
        "markers", "jwe: needs JWE support (IT_XFAIL_JWE=1 makes these "
        "xfail while JWE is incomplete)")


def pytest_sessionstart(session):
    if session.config.option.collectonly:
        return
    so = harness.module_path()
    if not os.path.isfile(so):
        raise pytest.UsageError(
            "mod_authn_jwt integration tests: module not found at %s\n"
            "Build it first (make, or gcc -shared ... see README.md here) "
            "or point MOD_AUTHN_JWT_SO at the built mod_authn_jwt.so." % so)
    if not os.access(harness.APACHE, os.X_OK):
        raise pytest.UsageError("httpd binary %s not found (apt-get install "
                                "apache2)" % harness.APACHE)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("IT_XFAIL_JWE") == "1":
        for item in items:
            if item.get_closest_marker("jwe"):
                item.add_marker(pytest.mark.xfail(
                    reason="JWE support incomplete (IT_XFAIL_JWE=1)",
                    strict=False))


@pytest.fixture(scope="session")
def basedir():
    """Private ServerRoots, keys and logs; removed at the end unless
    IT_KEEP=1 (or IT_WORKDIR is set) to look at the logs afterwards."""
    d = harness.make_basedir()
    yield d
    for srv in list(_running):
        srv.stop()
    if os.environ.get("IT_KEEP") != "1" and not os.environ.get("IT_WORKDIR"):
        shutil.rmtree(d, ignore_errors=True)
    else:
        _kept.append(d)


def pytest_terminal_summary(terminalreporter):
    for d in _kept:
        terminalreporter.write_line("integration run directory kept: %s" % d)


@pytest.fixture(scope="session")
def ring(basedir):
    return jose_kit.KeyRing(os.path.join(basedir, "keys"))


@pytest.fixture(scope="session")
def K(ring):
    """Absolute path of a key file: K("rsa.pub.pem")."""
    return ring.path


class GroupServers:
    """The httpd servers of one test module."""

    def __init__(self, basedir):
        self.basedir = basedir
        self.servers = []

    def __call__(self, name, body, start=True, **kw):
        srv = harness.Httpd(name, next_port(), self.basedir, body,
                            port_alloc=next_port, **kw)
        self.servers.append(srv)
        if start:
            srv.start()
            _running.append(srv)
            bad = srv.serious_lines(srv.startup_lines)
            assert not bad, "start-up of %s logged:\n%s" % (
                name, "\n".join(bad))
        return srv

    def finish(self):
        problems = []
        for srv in self.servers:
            was_running = srv in _running
            srv.stop()
            if was_running:
                _running.remove(srv)
            text = srv._read(srv.error_log)
            crashes = srv.crash_lines(text.splitlines())
            if crashes:
                problems.append("%s: child crashed:\n%s\n%s" % (
                    srv.name, "\n".join(crashes), srv.core_report()))
            for path in (srv.error_log, srv.access_log):
                leaks = srv.leaks(srv._read(path))
                if leaks:
                    problems.append("%s: token material in %s: %s" % (
                        srv.name, path, [l[:40] + "..." for l in leaks]))
        return problems


@pytest.fixture(scope="module")
def httpd(basedir, ring):
    """Factory: httpd(name, body, **kw) -> a started harness.Httpd that is
    stopped and checked at the end of the module."""
    group = GroupServers(basedir)
    yield group
    problems = group.finish()
    assert not problems, "\n".join(problems)


@pytest.fixture
def log_expect():
    """A list the test may extend with regexes of expected warn+ lines."""
    return []


@pytest.fixture(autouse=True)
def _log_guard(request, log_expect):
    marks = [m for m in request.node.iter_markers("expect_log")]
    offsets = {srv: srv.error_offset() for srv in list(_running)}
    yield
    # servers a test started itself are checked from the end of start-up
    for srv in list(_running):
        offsets.setdefault(srv, srv.startup_offset)
    problems = []
    expect = list(log_expect)
    for m in marks:
        expect.extend(m.args)
    for srv, off in offsets.items():
        lines = srv.error_lines_since(off)
        crashes = srv.crash_lines(lines)
        if crashes:
            problems.append("[%s] child crashed:\n  %s\n%s" % (
                srv.name, "\n  ".join(crashes), srv.core_report()))
        bad = srv.serious_lines(lines, expect)
        if bad:
            problems.append("[%s] unexpected warn+ error-log lines:\n  %s" % (
                srv.name, "\n  ".join(bad)))
        leaks = srv.leaks("\n".join(lines))
        if leaks:
            problems.append("[%s] token material in the error log: %s" % (
                srv.name, [l[:40] + "..." for l in leaks]))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
