# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Black-box harness for mod_authn_jwt: a real Apache httpd on loopback.

One Httpd per test group: it writes its own small configuration (ServerRoot
is a private directory), starts /usr/sbin/apache2 in the foreground, waits for
the port and stops it at the end of the group.  Every request goes through a
tiny raw HTTP/1.1 client so that tests control every byte of the request
(two Authorization headers, tabs, oversize lines) and see every response
header (a second WWW-Authenticate would not be merged away).

Log discipline (after httpd's test/pyhttpd/log.py): after each
test the new error-log lines are scanned; any line at warn or above that the
test did not declare (by AJ tag or regex) fails it.  No token and no
signature may ever appear in the error or access log, and no child may die
on a signal.
"""

import base64
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid

APACHE = os.environ.get("APACHE2_BIN", "/usr/sbin/apache2")
MODDIR = os.environ.get("APACHE2_MODDIR", "/usr/lib/apache2/modules")
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))

# Modules every group loads (log_config is built into Debian's apache2).
BASE_MODULES = [
    ("authn_core_module", "mod_authn_core.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("authz_user_module", "mod_authz_user.so"),
    ("auth_basic_module", "mod_auth_basic.so"),
    ("authn_file_module", "mod_authn_file.so"),
    ("unique_id_module", "mod_unique_id.so"),
    ("env_module", "mod_env.so"),
    ("headers_module", "mod_headers.so"),
    ("setenvif_module", "mod_setenvif.so"),
    ("mime_module", "mod_mime.so"),
    ("alias_module", "mod_alias.so"),
    ("cgid_module", "mod_cgid.so"),
]

LEVELS = ["emerg", "alert", "crit", "error", "warn", "notice", "info",
          "debug"] + ["trace%d" % i for i in range(1, 9)]
SERIOUS = set(LEVELS[:5])           # warn and above

# [time] [module:level] [pid N:tid N] message
LOG_RE = re.compile(r"^\[[^\]]*\] \[([^:\]]*):([a-z0-9]+)\] (.*)$")
CRASH_RE = re.compile(r"exit signal|seg(mentation)? ?fault|AH00052|"
                      r"possible coredump|AH00060", re.I)


def module_path():
    """The module under test; a missing file is an error, never a skip."""
    return os.environ.get("MOD_AUTHN_JWT_SO",
                          os.path.join(REPO, ".libs", "mod_authn_jwt.so"))


# ---------------------------------------------------------------------------
# the status table of src/jwt_status.c: short name -> (description, error,
# http status).  Read from the source so that the tests follow the lead's
# table; the copy below is used only when the source is not there.

_STATUS_FALLBACK = {
    "ok": ("token accepted", None, 200),
    "no_token": ("no token", None, 401),
    "multiple_tokens": ("more than one token in the request",
                        "invalid_request", 400),
    "bad_request": ("malformed Authorization header", "invalid_request",
                    400),
    "too_large": ("token too large", "invalid_token", 401),
    "malformed": ("malformed token", "invalid_token", 401),
    "base64": ("malformed token", "invalid_token", 401),
    "json": ("malformed token", "invalid_token", 401),
    "header": ("invalid token header", "invalid_token", 401),
    "crit": ("unsupported critical header", "invalid_token", 401),
    "alg": ("algorithm not allowed", "invalid_token", 401),
    "no_key": ("no key for this token", "invalid_token", 401),
    "signature": ("invalid signature", "invalid_token", 401),
    "encryption_required": ("token must be encrypted", "invalid_token", 401),
    "jwe_not_accepted": ("encrypted tokens not accepted", "invalid_token",
                         401),
    "decrypt": ("token decryption failed", "invalid_token", 401),
    "nested": ("encrypted token does not hold a signed token",
               "invalid_token", 401),
    "claim_type": ("invalid claim", "invalid_token", 401),
    "missing_claim": ("required claim missing", "invalid_token", 401),
    "expired": ("token expired", "invalid_token", 401),
    "not_yet_valid": ("token not yet valid", "invalid_token", 401),
    "issued_in_future": ("token issued in the future", "invalid_token", 401),
    "ttl": ("token lifetime too long", "invalid_token", 401),
    "issuer": ("issuer not accepted", "invalid_token", 401),
    "audience": ("audience not accepted", "invalid_token", 401),
    "type": ("token type not accepted", "invalid_token", 401),
    "user_claim": ("user claim missing", "invalid_token", 401),
    "user_mismatch": ("user name does not match the token", "invalid_token",
                      401),
    "insufficient_scope": ("insufficient scope", "insufficient_scope", 403),
    "internal": ("token could not be checked", "invalid_token", 401),
}


def load_status_table():
    path = os.path.join(REPO, "src", "jwt_status.c")
    try:
        with open(path, encoding="utf-8") as f:
            src = f.read()
    except OSError:
        return dict(_STATUS_FALLBACK)
    rows = re.findall(r'\{\s*"([a-z0-9_]+)",\s*"([^"]*)",\s*'
                      r'(NULL|"[^"]*"),\s*(\d+)\s*\}', src, re.S)
    if len(rows) < 10:
        return dict(_STATUS_FALLBACK)
    table = {}
    for name, desc, err, code in rows:
        table[name] = (desc, None if err == "NULL" else err.strip('"'),
                       int(code))
    return table


STATUS = load_status_table()


def desc(name):
    """The fixed error_description of a reason's short name."""
    return STATUS[name][0]


# ---------------------------------------------------------------------------
# raw HTTP client

class Response:
    def __init__(self, status, reason, headers, body, raw):
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name, value), in order
        self.body = body
        self.raw = raw

    def header_all(self, name):
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    def header(self, name):
        vals = self.header_all(name)
        return vals[0] if vals else None

    def env_header(self, name):
        """A `Header always set X "%{VAR}e"` value; None when unset."""
        v = self.header(name)
        if v is None or v in ("(null)", ""):
            return None
        return v

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def cgi_env(self):
        env = {}
        for line in self.text.splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
        return env

    def __repr__(self):
        keep = ("www-authenticate", "x-jwt-error", "x-remote-user",
                "location")
        return "<Response %d %s %r>" % (
            self.status, self.reason,
            [(k, v) for k, v in self.headers if k.lower() in keep])


class ServerCrash(AssertionError):
    pass


def _decode_chunked(data):
    out = b""
    while data:
        line, _, rest = data.partition(b"\r\n")
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2:]
    return out


def raw_request(port, raw, timeout=15):
    """Send RAW bytes, read until close.  status 0: no HTTP answer."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = b""
    try:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    return parse_response(data)


def parse_response(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"HTTP/"):
        return Response(0, "no response", [], b"", data)
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers = []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.append((k.strip(), v.strip()))
    if any(k.lower() == "transfer-encoding" and "chunked" in v.lower()
           for k, v in headers):
        body = _decode_chunked(body)
    return Response(status, reason, headers, body, data)


def build_request(path, headers=(), method="GET", body=None):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1",
             "Connection: close"]
    for k, v in headers:
        lines.append("%s: %s" % (k, v))
    if body is not None:
        lines.append("Content-Length: %d" % len(body))
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    if body is not None:
        raw += body
    return raw


# ---------------------------------------------------------------------------
# the server

BASE_CONF = """\
# written by test/integration/harness.py for group {name}
ServerRoot "{root}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile "{root}/run/httpd.pid"
CoreDumpDirectory "{root}/cores"
DefaultRuntimeDir "{root}/run"
ScriptSock "{sock}"
ErrorLog "{root}/logs/error.log"
LogLevel {loglevel}
{loads}
User {user}
Group {group}
{mpmconf}
Timeout 15
KeepAlive Off
TypesConfig /etc/mime.types
DocumentRoot "{root}/htdocs"
<Directory "{root}/htdocs">
    Require all granted
</Directory>
<Directory "{root}/cgi">
    Require all granted
</Directory>
# every /<location>/ok is a static file, every /<location>/env a CGI that
# prints its environment
AliasMatch "^/(.+)/ok$" "{root}/htdocs/ok.txt"
ScriptAliasMatch "^/(.+)/env$" "{root}/cgi/env.cgi"

# what the module exposes, as response headers (manual "Environment
# variables"); an unset variable reads "(null)"
# which server answered: the start-up probe checks it (another run of this
# suite may hold the same port)
Header always set X-It-Server "{ident}"
Header always set X-Unique-Id "%{{UNIQUE_ID}}e"
Header always set X-Jwt-Error "%{{JWT_ERROR}}e"
Header always set X-Jwt-Sub "%{{JWT_SUB}}e"
Header always set X-Remote-User "expr=%{{REMOTE_USER}}"
Header always set X-Auth-Type "expr=%{{AUTH_TYPE}}"
# the request line is left out on purpose (%U, not %r): a query token may
# only appear where we put it, and we put it nowhere
LogFormat "%h %{{UNIQUE_ID}}e \\"%m %U\\" %>s user=%u sub=%{{JWT_SUB}}e err=%{{JWT_ERROR}}e note=%{{JWT_ERROR}}n" ajfmt
CustomLog "{root}/logs/access.log" ajfmt

LoadModule authn_jwt_module "{so}"

{body}
"""

ENV_CGI = ("#!/bin/sh\n"
           "printf 'Content-Type: text/plain\\r\\n\\r\\n'\n"
           "env\n")


def _allow_cores():
    """In the child before exec: no size limit on core files, so that a
    crash leaves a backtrace (Httpd.core_report)."""
    try:
        resource.setrlimit(resource.RLIMIT_CORE,
                           (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        pass


class StartupError(Exception):
    def __init__(self, msg, output):
        super().__init__(msg + "\n" + output)
        self.output = output


class Httpd:
    """One httpd with one configuration (one test group)."""

    def __init__(self, name, port, basedir, body, loglevel=None,
                 expect=(), extra_modules=(), files=None, port_alloc=None,
                 mpm="event"):
        self.name = name
        self.mpm = mpm
        self.ident = "%s-%s" % (name, uuid.uuid4().hex)
        self.port = port
        self.port_alloc = port_alloc
        self.root = os.path.join(basedir, name)
        self.body = body
        self.loglevel = loglevel or "warn authn_jwt:debug"
        # group-wide expected warn+ lines (regexes)
        self.expect = list(expect)
        self.extra_modules = list(extra_modules)
        self.files = files or {}
        self.proc = None
        self.sent = set()           # tokens/signatures sent: never logged
        self.startup_lines = []
        self.startup_offset = 0
        self.output = ""

    # paths
    @property
    def conf_path(self):
        return os.path.join(self.root, "httpd.conf")

    @property
    def error_log(self):
        return os.path.join(self.root, "logs", "error.log")

    @property
    def access_log(self):
        return os.path.join(self.root, "logs", "access.log")

    def conf_text(self):
        import pwd
        mods = [("mpm_%s_module" % self.mpm, "mod_mpm_%s.so" % self.mpm)]
        mods += BASE_MODULES + self.extra_modules
        loads = "\n".join('LoadModule %s "%s"' % (m, os.path.join(MODDIR, f))
                          for m, f in mods)
        user = group = "www-data"
        if os.geteuid() != 0:
            user = pwd.getpwuid(os.geteuid()).pw_name
            group = "#%d" % os.getegid()
        if self.mpm == "prefork":
            mpmconf = ("StartServers 2\nMinSpareServers 2\n"
                       "MaxSpareServers 4\nMaxRequestWorkers 8")
        else:
            mpmconf = ("StartServers 1\nServerLimit 2\nThreadsPerChild 16\n"
                       "MaxRequestWorkers 32\nMinSpareThreads 4\n"
                       "MaxSpareThreads 32")
        # a unix socket path holds at most 107 bytes (cgid adds ".PID")
        sock = os.path.join(self.root, "run", "cgid.sock")
        if len(sock) > 90:
            sock = os.path.join(tempfile.gettempdir(),
                                "ajcgid-%d-%d.sock" % (os.getpid(), self.port))
        return BASE_CONF.format(name=self.name, root=self.root,
                                mpmconf=mpmconf, sock=sock,
                                ident=self.ident,
                                port=self.port, loglevel=self.loglevel,
                                loads=loads, user=user, group=group,
                                so=module_path(),
                                body=self.body.replace("@ROOT@", self.root)
                                .replace("@PORT@", str(self.port)))

    def write(self):
        if os.path.isdir(self.root):
            shutil.rmtree(self.root)
        for d in ("run", "logs", "htdocs", "cgi", "cores"):
            os.makedirs(os.path.join(self.root, d))
        # a crashed child leaves its core here (CoreDumpDirectory)
        os.chmod(os.path.join(self.root, "cores"), 0o1777)
        os.chmod(self.root, 0o755)
        for d in ("htdocs", "cgi"):
            os.chmod(os.path.join(self.root, d), 0o755)
        with open(os.path.join(self.root, "htdocs", "ok.txt"), "w") as f:
            f.write("ok\n")
        os.chmod(os.path.join(self.root, "htdocs", "ok.txt"), 0o644)
        cgi = os.path.join(self.root, "cgi", "env.cgi")
        with open(cgi, "w") as f:
            f.write(ENV_CGI)
        os.chmod(cgi, 0o755)
        for rel, content in self.files.items():
            p = os.path.join(self.root, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            mode = "wb" if isinstance(content, bytes) else "w"
            with open(p, mode) as f:
                f.write(content)
            os.chmod(p, 0o644)
        with open(self.conf_path, "w") as f:
            f.write(self.conf_text())
        # the log files exist before start so that offsets are simple
        for p in (self.error_log, self.access_log):
            open(p, "a").close()

    def line_of(self, needle):
        """1-based line number of the first config line containing NEEDLE."""
        with open(self.conf_path) as f:
            for i, line in enumerate(f, 1):
                if needle in line:
                    return i
        raise KeyError(needle)

    def configtest(self):
        self.write()
        r = subprocess.run([APACHE, "-t", "-f", self.conf_path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=30)
        return r.returncode, r.stdout.decode("utf-8", "replace")

    def start(self, must_work=True, timeout=15):
        """Start in the foreground.  With must_work=False returns
        (started, output) instead of raising on a refused start.

        Ports from 42000 up lie inside Linux's ephemeral range, so a client
        socket of this very suite may hold one for a moment: a start that
        fails only for that moves to the next free port."""
        for _ in range(20):
            started, output = self._start_once(timeout)
            if started or "Address already in use" not in output \
                    or self.port_alloc is None:
                break
            self.port = self.port_alloc()
        if not started and must_work:
            raise StartupError("httpd group %s did not start" % self.name,
                               output)
        return started, output

    def _start_once(self, timeout):
        self.write()
        outpath = os.path.join(self.root, "logs", "stdout.log")
        self._out = open(outpath, "wb")
        self.proc = subprocess.Popen(
            [APACHE, "-f", self.conf_path, "-DFOREGROUND"],
            stdout=self._out, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_allow_cores)
        deadline = time.time() + timeout
        up = False
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                r = raw_request(self.port, build_request("/ok.txt"),
                                timeout=2)
            except OSError:
                time.sleep(0.05)
                continue
            if r.header("X-It-Server") == self.ident:
                up = True
                break
            if r.status:
                # someone else's server on this port: ours cannot bind
                self._kill()
                self._out.close()
                self.proc = None
                return False, "Address already in use (probe answered by %r)" \
                    % r.header("X-It-Server")
            time.sleep(0.05)
        if not up:
            if self.proc.poll() is None:
                self._kill()
            self._out.close()
            self.output = self._read(outpath) + self._read(self.error_log)
            self.proc = None
            return False, self.output
        # give the children a moment to log their start-up lines
        time.sleep(0.1)
        self.startup_lines = self._read(self.error_log).splitlines()
        self.startup_offset = self.error_offset()
        return True, ""

    @staticmethod
    def _read(path):
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._kill()
        self._out.close()
        self.proc = None

    def graceful(self):
        """apachectl graceful: SIGUSR1 to the parent; the configuration
        (and every key file) is read again."""
        self.proc.send_signal(signal.SIGUSR1)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # ---- logs
    def error_offset(self):
        try:
            return os.path.getsize(self.error_log)
        except OSError:
            return 0

    def error_lines_since(self, offset):
        try:
            with open(self.error_log, "rb") as f:
                f.seek(offset)
                data = f.read()
        except OSError:
            return []
        return data.decode("utf-8", "replace").splitlines()

    def serious_lines(self, lines, expect=()):
        """warn+ lines not matched by any expected pattern."""
        pats = [re.compile(p) for p in list(self.expect) + list(expect)]
        bad = []
        for line in lines:
            m = LOG_RE.match(line)
            if not m:
                # continuation lines (start-up errors) are judged with their
                # first line
                continue
            if m.group(2) not in SERIOUS:
                continue
            if any(p.search(line) for p in pats):
                continue
            bad.append(line)
        return bad

    @staticmethod
    def crash_lines(lines):
        return [l for l in lines if CRASH_RE.search(l)]

    def core_report(self):
        """Backtraces of the cores that crashed children left in
        CoreDumpDirectory, through gdb when it is installed; each core is
        removed once read."""
        cores = os.path.join(self.root, "cores")
        try:
            names = sorted(os.listdir(cores))
        except OSError:
            return ""
        out = []
        for n in names:
            path = os.path.join(cores, n)
            if not shutil.which("gdb"):
                out.append("core kept at %s (no gdb for a backtrace)" % path)
                continue
            try:
                r = subprocess.run(["gdb", "-batch", "-nx", "-ex",
                                    "thread apply all bt 40", APACHE, path],
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=120)
                text = r.stdout.decode("utf-8", "replace")
            except (OSError, subprocess.TimeoutExpired) as e:
                text = "gdb failed: %s" % e
            bt = [l for l in text.splitlines()
                  if l.startswith(("#", "Thread ", "Program terminated"))]
            out.append("backtrace of %s:\n%s" % (path, "\n".join(bt)))
            os.unlink(path)
        return "\n".join(out)

    def leaks(self, text):
        return sorted(s for s in self.sent if s and s in text)

    def note_secret(self, *values):
        """Values that must never appear in a log: tokens, signatures."""
        for v in values:
            if isinstance(v, bytes):
                v = v.decode("latin-1")
            # short strings ("1", "abc") would match anything
            if not v or len(v) < 16:
                continue
            self.sent.add(v)
            parts = v.split(".")
            # the signature (or JWE tag/ciphertext) segments on their own
            for p in parts[2:]:
                if len(p) >= 16:
                    self.sent.add(p)

    # ---- requests
    def request(self, path, headers=(), method="GET", body=None,
                secrets=(), allow_500=False):
        self.note_secret(*secrets)
        r = raw_request(self.port, build_request(path, headers, method,
                                                 body))
        if not allow_500:
            assert r.status != 500, "500 for %s %s: %r" % (method, path, r)
        return r

    def raw(self, raw, secrets=()):
        self.note_secret(*secrets)
        r = raw_request(self.port, raw)
        assert r.status != 500, "500 for raw request: %r" % (r,)
        return r

    def get(self, path, token=None, scheme="Bearer", headers=(),
            cookie=None, query=None):
        """GET PATH with TOKEN in the Authorization header (scheme SCHEME),
        a cookie (name, value) and/or a query string."""
        hdrs = list(headers)
        secrets = []
        if token is not None:
            hdrs.append(("Authorization", "%s %s" % (scheme, token)))
            secrets.append(token)
        if cookie is not None:
            hdrs.append(("Cookie", "%s=%s" % cookie))
            secrets.append(cookie[1])
        if query is not None:
            path = path + "?" + query
            for part in query.split("&"):
                secrets.append(part.partition("=")[2])
        return self.request(path, hdrs, secrets=secrets)

    def basic(self, path, user, password):
        cred = base64.b64encode(("%s:%s" % (user, password)).encode())
        return self.request(path, [("Authorization",
                                    "Basic " + cred.decode())],
                            secrets=[password])

    def wait_access_log(self, needle, timeout=3.0):
        """The access-log line containing NEEDLE (written after the
        response has been sent, hence the wait)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in self._read(self.access_log).splitlines():
                if needle in line:
                    return line
            time.sleep(0.05)
        return None


# ---------------------------------------------------------------------------
# WWW-Authenticate parsing (RFC 9110 section 11.6.1, RFC 6750 section 3)

_PARAM_RE = re.compile(r'\s*([A-Za-z0-9_\-]+)="((?:[^"\\]|\\.)*)"\s*(,|$)')


def parse_challenge(value):
    """'Bearer realm="R", error="x"' -> ('Bearer', [('realm','R'), ...])."""
    scheme, _, rest = value.partition(" ")
    params = []
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        m = _PARAM_RE.match(rest, pos)
        if not m:
            raise AssertionError("unparsable challenge %r" % value)
        params.append((m.group(1), m.group(2)))
        pos = m.end()
    return scheme, params


def assert_challenge(r, status, realm="R", error=None, reason=None,
                     reasons=None, scope=None, scheme="Bearer", extra=None):
    """Exact RFC 6750 response: one WWW-Authenticate header, realm first,
    error, then error_description (the table text of REASON or of one of
    REASONS), scope for insufficient_scope.  Returns the JWT_ERROR name."""
    assert r.status == status, "expected %d, got %r" % (status, r)
    vals = r.header_all("WWW-Authenticate")
    assert len(vals) == 1, "expected one WWW-Authenticate, got %r" % vals
    sch, params = parse_challenge(vals[0])
    assert sch == scheme, vals[0]
    names = [k for k, _ in params]
    assert len(set(names)) == len(names), "repeated param: %r" % vals[0]
    d = dict(params)
    assert names and names[0] == "realm" and d["realm"] == realm, vals[0]
    expected = ["realm"]
    if error is not None:
        assert d.get("error") == error, vals[0]
        expected.append("error")
    else:
        assert "error" not in d, vals[0]
    if scope is not None:
        assert d.get("scope") == scope, vals[0]
        expected.append("scope")
    for k, v in (extra or {}).items():
        assert d.get(k) == v, "%s=%r expected in %r" % (k, v, vals[0])
        expected.append(k)
    jwt_error = r.env_header("X-Jwt-Error")
    if "error_description" in d:
        assert error is not None, "error_description without error: %r" \
            % vals[0]
        expected.append("error_description")
        text = d["error_description"]
        # fixed text from the table, never token content
        assert text in {v[0] for v in STATUS.values()}, \
            "error_description %r is not one of the table's" % text
        want = set()
        if reason is not None:
            want.add(desc(reason))
        for rs in reasons or ():
            want.add(desc(rs))
        if want:
            assert text in want, "error_description %r, expected one of %r" \
                % (text, sorted(want))
        if jwt_error is not None and jwt_error in STATUS:
            assert STATUS[jwt_error][0] == text, \
                "JWT_ERROR %s does not match error_description %r" % (
                    jwt_error, text)
    else:
        assert error != "invalid_token", \
            "error_description missing: %r" % vals[0]
    extra = set(names) - set(expected)
    assert not extra, "unexpected challenge params %r in %r" % (extra,
                                                               vals[0])
    allowed = set(reasons or ())
    if reason is not None:
        allowed.add(reason)
    if allowed and jwt_error is not None:
        # several reasons share one description; JWT_ERROR tells them apart
        assert jwt_error in allowed or STATUS.get(jwt_error, ("",))[0] in {
            desc(a) for a in allowed}, \
            "JWT_ERROR %r, expected one of %r" % (jwt_error, sorted(allowed))
    return jwt_error


def assert_invalid_token(r, realm="R", reason=None, reasons=None,
                         extra=None):
    """401 invalid_token with a table description (REASON/REASONS when the
    test knows which)."""
    return assert_challenge(r, 401, realm=realm, error="invalid_token",
                            reason=reason, reasons=reasons, extra=extra)


def assert_ok(r):
    assert r.status == 200, "expected 200, got %r" % (r,)
    return r


def assert_refused(r, realm="R"):
    """Never 200: 401 invalid_token (any reason), or a 400 (httpd core or
    invalid_request)."""
    assert r.status in (400, 401), "expected 400/401, got %r" % (r,)
    if r.status == 401:
        assert_invalid_token(r, realm=realm)
    return r


# ---------------------------------------------------------------------------
# a loopback listener that must never be contacted (jku/x5u SSRF)

class Listener:
    def __init__(self, port):
        self.port = port
        self.hits = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop:
            try:
                c, addr = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            c.settimeout(1)
            try:
                data = c.recv(4096)
            except OSError:
                data = b""
            self.hits.append((addr, data))
            try:
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
            except OSError:
                pass
            c.close()

    def requests(self):
        """What reached the listener, without the start-up probes of
        httpd groups (of a concurrent run) that happened to pick this
        port."""
        return [h for h in self.hits
                if not h[1].startswith(b"GET /ok.txt HTTP/1.1")]

    def close(self):
        self._stop = True
        self.thread.join(2)
        self.sock.close()


def make_basedir():
    base = os.environ.get("IT_WORKDIR")
    if base:
        os.makedirs(base, exist_ok=True)
        base = tempfile.mkdtemp(prefix="run-", dir=base)
    else:
        base = tempfile.mkdtemp(prefix="mod_authn_jwt-it-")
    # httpd children run as www-data: they must traverse to htdocs and cgi
    os.chmod(base, 0o755)
    return base


def location(path, *lines, realm="R", authtype="Bearer",
             require="Require valid-user"):
    """A <Location> block: AuthType/AuthName, LINES, then REQUIRE (a
    string, or None when LINES hold the Require lines)."""
    out = ['<Location "%s">' % path]
    if authtype:
        out.append("    AuthType %s" % authtype)
    if realm is not None:
        out.append('    AuthName "%s"' % realm)
    out.extend("    " + l for l in lines)
    if require:
        out.append("    " + require)
    out.append("</Location>")
    return "\n".join(out) + "\n"
