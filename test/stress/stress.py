# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Stress runs that look for crashes, stuck children and log floods: a real
httpd under wrk while something goes wrong around it.  Not part of
scripts/test.sh (they take minutes and what they find is a matter of
chance); see README.md here.

    /usr/bin/python3 test/stress/stress.py sigterm  [--mpm prefork]
    /usr/bin/python3 test/stress/stress.py restarts [--mpm event] [--signal HUP]
    /usr/bin/python3 test/stress/stress.py store    [--kind redis]
    /usr/bin/python3 test/stress/stress.py idp      [--mpm event]

Each prints what it saw and exits 1 when a child crashed or got stuck
(the backtraces of the cores are printed through gdb)."""

import argparse
import collections
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import harness  # noqa: E402
import jose_kit  # noqa: E402
from harness import location  # noqa: E402
from jwks_server import JwksServer, LocalCA  # noqa: E402

BAD_RE = re.compile(r"exit signal|still did not exit|:(crit|alert|emerg)\]")


def wrk(port, tokens, secs, base, conns=8):
    """wrk on /p/ok with a random token of TOKENS per request."""
    script = os.path.join(base, "tokens.lua")
    with open(script, "w") as f:
        f.write("toks = {" + ",".join('"%s"' % t for t in tokens) + "}\n")
        f.write('request = function() return wrk.format("GET", "/p/ok", '
                '{["Authorization"] = "Bearer " .. toks[math.random(#toks)]})'
                ' end\n')
    return subprocess.Popen(["wrk", "-t1", "-c%d" % conns, "-d%ds" % secs,
                             "-s", script, "http://127.0.0.1:%d/" % port],
                            stdout=subprocess.PIPE)


def rs256_tokens(ring, n, kid="k1", key="rsa"):
    return [jose_kit.craft({"alg": "RS256", "typ": "JWT", "kid": kid},
                           jose_kit.claims(aud="api",
                                           exp=jose_kit.now() + 3600),
                           "RS256", ring[key]) for _ in range(n)]


def children(srv):
    out = subprocess.run(["pgrep", "-P", str(srv.proc.pid)],
                         capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def verdict(srv, load, what):
    out = load.communicate()[0].decode()
    srv.stop()
    lines = srv._read(srv.error_log).splitlines()
    bad = [l for l in lines if BAD_RE.search(l)]
    socache = collections.Counter()
    for l in lines:
        m = re.match(r"\[\w+ \w+ \d+ (\d+:\d+:\d+)", l)
        if m and re.search(r"socache|scache_", l):
            socache[m.group(1)] += 1
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    print("%s: %s req/s; %d bad error-log lines%s" % (
        what, rps.group(1) if rps else "?", len(bad),
        "; socache lines per second: max %d" % max(socache.values())
        if socache else ""))
    for l in bad[:20]:
        print("  " + l)
    report = srv.core_report()
    if report:
        print(report)
    crashed = any(re.search(r"exit signal|still did not exit", l)
                  for l in bad)
    return 1 if crashed else 0


def remote_server(args, base, ring, refresh=True, extra=""):
    ca = LocalCA(os.path.join(base, "ca"))
    cert, key = ca.issue("idp")
    idp = JwksServer(args.port + 1, cert, key,
                     keys=[ring["rsa"].jwk_dict(kid="k1", use="sig")]).start()
    body = ("AuthJWTKeysCAFile %s\n" % ca.ca_file
            + ("AuthJWTKeysRefresh 1\nAuthJWTKeysMinRefresh 1\n"
               if refresh else "")
            + extra + "AuthJWTCacheSize 64\n"
            + location("/p/", "AuthJWTVerifyKey %s" % idp.jwks_url,
                       "AuthJWTAudience api"))
    srv = harness.Httpd("stress", args.port, base, body, mpm=args.mpm)
    srv.start()
    return srv, idp


def run_sigterm(args, base, ring):
    """Children killed with SIGTERM while they serve tokens and one of them
    fetches the key set every second (prefork runs its child exit inside
    the signal handler)."""
    srv, idp = remote_server(args, base, ring)
    load = wrk(args.port, rs256_tokens(ring, 400), args.seconds, base)
    kills = 0
    end = time.time() + args.seconds
    while time.time() < end:
        kids = children(srv)
        if len(kids) > 1:
            try:
                os.kill(random.choice(kids[1:]), signal.SIGTERM)
                kills += 1
            except OSError:
                pass
        time.sleep(args.gap)
    rc = verdict(srv, load, "sigterm (%d kills)" % kills)
    idp.stop()
    return rc


def run_restarts(args, base, ring):
    """Restarts (graceful by default) of a server under load."""
    srv, idp = remote_server(args, base, ring)
    load = wrk(args.port, rs256_tokens(ring, 300), args.seconds, base)
    sig = getattr(signal, "SIG" + args.signal)
    n = 0
    end = time.time() + args.seconds
    while time.time() < end:
        time.sleep(args.gap)
        srv.proc.send_signal(sig)
        n += 1
    rc = verdict(srv, load, "restarts (%d SIG%s)" % (n, args.signal))
    idp.stop()
    return rc


def run_store(args, base, ring):
    """The revocation store killed and started again under load."""
    sport = args.port + 1
    if args.kind == "memcache":
        argv = ["memcached", "-l", "127.0.0.1", "-p", str(sport), "-U", "0"]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]
    else:
        argv = ["redis-server", "--port", str(sport), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no"]
    store = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    body = ("AuthJWTRevocationStore %s:127.0.0.1:%d\n" % (args.kind, sport)
            + "AuthJWTRevocationDelay 1\nAuthJWTCacheSize 64\n"
            + location("/p/", "AuthJWTVerifyKey secret:%s"
                       % ring.path("hs256.secret")))
    srv = harness.Httpd("stress", args.port, base, body, mpm=args.mpm,
                        extra_modules=[("socache_%s_module" % args.kind,
                                        "mod_socache_%s.so" % args.kind)])
    srv.start()
    tokens = [jose_kit.craft({"alg": "HS256", "typ": "JWT"},
                             jose_kit.claims(exp=jose_kit.now() + 3600),
                             "HS256", ring["hs256"]) for _ in range(300)]
    load = wrk(args.port, tokens, args.seconds, base)
    end = time.time() + args.seconds
    up = True
    while time.time() < end:
        time.sleep(8.0 if up else 2.0)
        if up:
            store.kill()
            store.wait()
        else:
            store = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        up = not up
    rc = verdict(srv, load, "store %s" % args.kind)
    store.kill()
    return rc


def run_idp(args, base, ring):
    """The identity provider flips between working, hanging, failing and
    answering nonsense, while tokens name known and unknown kids."""
    srv, idp = remote_server(args, base, ring, extra="AuthJWTKeysTimeout 2\n")
    idp.hang = 3.0
    tokens = rs256_tokens(ring, 200)
    for i in range(2, 40):
        tokens += rs256_tokens(ring, 1, kid="k%d" % i, key="rsa2")
    load = wrk(args.port, tokens, args.seconds, base, conns=16)
    modes = ["ok", "hang", "500", "invalid", "drip", "ok", "nokeys"]
    end = time.time() + args.seconds
    while time.time() < end:
        idp.mode = random.choice(modes)
        if random.random() < 0.3:
            idp.keys = [ring["rsa"].jwk_dict(kid="k1", use="sig"),
                        ring["rsa2"].jwk_dict(kid="k%d" % random.randint(2, 39),
                                              use="sig")]
        time.sleep(2)
    idp.mode = "ok"
    rc = verdict(srv, load, "idp")
    idp.stop()
    return rc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", choices=["sigterm", "restarts", "store", "idp"])
    ap.add_argument("--mpm", default=None,
                    help="event, worker or prefork (default: prefork for "
                         "sigterm, event otherwise)")
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--gap", type=float, default=None,
                    help="seconds between kills or restarts")
    ap.add_argument("--signal", default="USR1",
                    help="restarts: USR1 (graceful) or HUP")
    ap.add_argument("--kind", default="redis", help="store: memcache, redis")
    ap.add_argument("--port", type=int, default=26800)
    args = ap.parse_args()
    if args.mpm is None:
        args.mpm = "prefork" if args.run == "sigterm" else "event"
    if args.gap is None:
        args.gap = 0.005 if args.run == "sigterm" else 1.0
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (scripts/deps.sh installs it)")
    base = tempfile.mkdtemp(prefix="mod_authn_jwt-stress-")
    os.chmod(base, 0o755)
    ring = jose_kit.KeyRing(os.path.join(base, "keys"))
    rc = {"sigterm": run_sigterm, "restarts": run_restarts,
          "store": run_store, "idp": run_idp}[args.run](args, base, ring)
    if rc == 0:
        shutil.rmtree(base, ignore_errors=True)
    else:
        print("kept: %s" % base)
    return rc


if __name__ == "__main__":
    sys.exit(main())
