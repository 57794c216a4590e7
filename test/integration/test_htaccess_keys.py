# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""AuthJWTVerifyKey in .htaccess (manual "Where the directives go"): httpd runs
the file's directives on every request, and the key file behind them is
read from disk once per child while its size and mtime stay the same, not
once per request; a changed file is read again."""

import os
import time

import pytest

from harness import assert_invalid_token, assert_ok
from jose_kit import claims, craft

SECRET_A = b"a" * 48
SECRET_B = b"b" * 48        # the same size: only the mtime tells


@pytest.fixture(scope="module")
def srv(httpd):
    body = ('Alias "/hk/" "@ROOT@/hk/"\n'
            '<Directory "@ROOT@/hk">\n'
            "    AllowOverride AuthConfig\n"
            "    Require all granted\n"
            "</Directory>\n")
    files = {
        "hk/file.txt": "hk\n",
        "hk/.htaccess": ('AuthType Bearer\nAuthName "K"\n'
                         "AuthJWTVerifyKey secret:@ROOT@/hk.secret\n"
                         "Require valid-user\n"),
    }
    s = httpd("htaccess-keys", body, files=files, start=False)
    # @ROOT@ is only replaced in the configuration: write the real path
    s.files["hk/.htaccess"] = s.files["hk/.htaccess"].replace(
        "@ROOT@", s.root)
    s.files["hk.secret"] = SECRET_A
    s.start()
    return s


def _tok(secret):
    return craft({"alg": "HS256", "typ": "JWT"}, claims(), "HS256", secret)


def _loads(srv, off):
    return [l for l in srv.error_lines_since(off) if "AJ00157" in l]


def _set_secret(srv, secret, mtime_ns):
    """Write SECRET with the mtime MTIME_NS, set in nanoseconds: a float
    of seconds can round the microseconds httpd compares."""
    path = os.path.join(srv.root, "hk.secret")
    with open(path, "wb") as f:
        f.write(secret)
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_key_file_read_once_per_child(srv):
    off = srv.error_offset()
    t = _tok(SECRET_A)
    for _ in range(8):
        assert_ok(srv.get("/hk/file.txt", t))
    time.sleep(0.2)
    # one load per child that answered (the harness runs one or two)
    assert 1 <= len(_loads(srv, off)) <= 2, _loads(srv, off)


def test_unchanged_size_and_mtime_keep_the_cached_key(srv):
    path = os.path.join(srv.root, "hk.secret")
    st = os.stat(path)
    assert_ok(srv.get("/hk/file.txt", _tok(SECRET_A)))
    # new bytes, same size, the old mtime: the file is not read again
    _set_secret(srv, SECRET_B, st.st_mtime_ns)
    try:
        assert_ok(srv.get("/hk/file.txt", _tok(SECRET_A)))
    finally:
        _set_secret(srv, SECRET_A, st.st_mtime_ns)


def test_changed_file_is_read_again(srv):
    path = os.path.join(srv.root, "hk.secret")
    st = os.stat(path)
    assert_ok(srv.get("/hk/file.txt", _tok(SECRET_A)))
    off = srv.error_offset()
    _set_secret(srv, SECRET_B, st.st_mtime_ns + 10 * 10**9)
    try:
        assert_ok(srv.get("/hk/file.txt", _tok(SECRET_B)))
        assert_invalid_token(srv.get("/hk/file.txt", _tok(SECRET_A)),
                             realm="K", reasons=["signature", "no_key"])
        time.sleep(0.2)
        assert _loads(srv, off)
    finally:
        _set_secret(srv, SECRET_A, st.st_mtime_ns + 20 * 10**9)
    assert_ok(srv.get("/hk/file.txt", _tok(SECRET_A)))


def test_missing_key_file_still_an_error(srv, log_expect):
    # a file that is gone is reported as before: a 500 from the .htaccess
    # error, with the loader's message
    path = os.path.join(srv.root, "hk.secret")
    os.rename(path, path + ".away")
    log_expect.append(r"hk\.secret")
    try:
        r = srv.request("/hk/file.txt", allow_500=True)
        assert r.status == 500, r
    finally:
        os.rename(path + ".away", path)
