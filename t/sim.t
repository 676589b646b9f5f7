#!/usr/bin/env python3
"""t/sim.t: TAP self-test of tools/lotus-sim, the simulated lotus-miner.

Runs from the top directory (t/sim.t) or from a build directory with
srcdir pointing to the source.  Fixtures: $LOTUS_API_FIXTURES (lotus-api dir
or its fixtures/), else $srcdir/../shared/lotus-api/fixtures, else the copy in
t/data/fixtures.  Every simulator started here listens on 127.0.0.1 only and
is killed by its pid when the test ends; a watchdog ends the test after 30 s.
"""
import glob
import http.client
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

TOP = os.path.abspath(os.environ.get("srcdir") or
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SIM = os.path.join(TOP, "tools", "lotus-sim")
WATCHDOG = 30
PROCS = []
TMP = tempfile.mkdtemp(prefix="sim-t.")
COUNT = [0, 0]  # tests run, failed


def find_fixtures():
    """The fixture directory to compare against."""
    env = os.environ.get("LOTUS_API_FIXTURES")
    cands = [os.path.join(env, "fixtures"), env] if env else []
    cands += [os.path.join(TOP, "..", "shared", "lotus-api", "fixtures"),
              os.path.join(TOP, "t", "data", "fixtures")]
    return next(d for d in cands if os.path.isfile(os.path.join(d, "f01000.WorkerStats.json")))


FIX = find_fixtures()
BENCH_GEN = os.path.join(TOP, "..", "shared", "bench", "gen-cluster.py")
ADMIN = json.load(open(os.path.join(FIX, "requests", "AuthVerify.json")))["params"][0]


# ------------------------------------------------------------- harness

def cleanup(*_):
    """Kill every simulator this test started, remove the temp dir."""
    for p in PROCS:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(TMP, ignore_errors=True)


def watchdog(*_):
    print("Bail out! watchdog: t/sim.t ran longer than %d s" % WATCHDOG, flush=True)
    cleanup()
    os._exit(1)


def test(desc, fn):
    """Run one check: fn returns True/False or raises; prints a TAP line."""
    COUNT[0] += 1
    try:
        res = fn()
        good, diag = (res, "") if not isinstance(res, tuple) else res
    except Exception:  # a failing check must not stop the others
        good, diag = False, traceback.format_exc()
    print("%s %d - %s" % ("ok" if good else "not ok", COUNT[0], desc), flush=True)
    if not good:
        COUNT[1] += 1
        for line in str(diag).splitlines()[-15:]:
            print("# " + line)


def start(*args):
    """Start a simulator; return (process, port file contents)."""
    pf = os.path.join(TMP, "ports-%d.json" % len(PROCS))
    p = subprocess.Popen([sys.executable, SIM, "--port-file", pf] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    PROCS.append(p)
    ready, _, _ = select.select([p.stdout], [], [], 10)
    line = p.stdout.readline() if ready else b""
    if line.strip() != b"ready":
        raise RuntimeError("simulator did not start: %r %r" % (line, p.stderr.read1(4096)))
    with open(pf) as f:
        info = json.load(f)
    info["file"] = pf
    return p, info


def rpc(port, method, params=None, rid=1, token=ADMIN, path="/rpc/v0", body=None,
        headers=None, timeout=5):
    """One HTTP request: (status, headers, body bytes)."""
    h = {"Content-Type": "application/json"}
    if token is not None:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    if body is None:
        req = {"jsonrpc": "2.0", "method": "Filecoin." + method, "params": params or []}
        if rid is not None:
            req["id"] = rid
        body = json.dumps(req)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("POST", path, body, h)
        r = c.getresponse()
        return r.status, r, r.read()
    finally:
        c.close()


def result(port, method, params=None, **kw):
    status, _, body = rpc(port, method, params, **kw)
    out = json.loads(body)
    if "error" in out:
        raise AssertionError("%s: %d %s" % (method, status, out["error"]))
    return out["result"]


def ctl(info, cmd, **args):
    """A control command; raises unless it succeeded."""
    addr = info["control"]
    if "/" in addr:
        c = http.client.HTTPConnection("localhost", timeout=10)
        c.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.sock.settimeout(10)
        c.sock.connect(addr)
    else:
        host, _, port = addr.rpartition(":")
        c = http.client.HTTPConnection(host, int(port), timeout=10)
    c.request("POST", "/", json.dumps(dict(args, cmd=cmd)))
    out = json.loads(c.getresponse().read())
    c.close()
    if not out.get("ok"):
        raise AssertionError("%s: %s" % (cmd, out.get("error")))
    return out


def go_enc(v):
    """Go's compact JSON of a parsed value (key order as parsed)."""
    s = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def fixture(name, rid=None):
    with open(os.path.join(FIX, name)) as f:
        v = json.load(f)
    if rid is not None:
        v["id"] = rid
    return v


def same_as(body, want):
    """True when body parses equal to want and is its exact Go encoding."""
    got = json.loads(body)
    exact = body == (go_enc(want) + "\n").encode()
    return got == want and exact, "got  %s\nwant %s" % (body[:400], go_enc(want)[:400])


def raw_http(port, request, timeout=5):
    """Send raw bytes, read until the server closes; return the bytes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(request)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


def dechunk(data):
    """Decode a chunked body strictly: (body, number of chunks)."""
    body, n = b"", 0
    while True:
        line, _, data = data.partition(b"\r\n")
        size = int(line, 16)
        if size == 0:
            if data != b"\r\n":
                raise AssertionError("bad chunked trailer %r" % data[:20])
            return body, n
        if data[size:size + 2] != b"\r\n":
            raise AssertionError("chunk not terminated by CRLF")
        body, data, n = body + data[:size], data[size + 2:], n + 1


def poll(fn, limit=5.0):
    """Call fn until it returns true or limit seconds pass."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if fn():
            return True
        time.sleep(0.05)
    return False


def raises(exc, fn):
    try:
        fn()
    except exc:
        return True
    return False


def rpc_request(method, rid, params=None):
    return json.dumps({"jsonrpc": "2.0", "id": rid, "method": "Filecoin." + method,
                       "params": params or []})


# --------------------------------------------------------------- tests

def fixture_tests(info):
    """Every fixture file of f01000/f01001 equals the simulator's answer."""
    params = {"ActorSectorSize": lambda m, _: ["f0" + m], "AuthVerify": lambda m, _: [ADMIN],
              "SealingSchedDiag": lambda m, _: [False], "StorageInfo": lambda m, p: [p],
              "StorageFindSector": lambda m, _: [{"Miner": 1000, "Number": 101}, 1,
                                                 34359738368, False]}
    for n, path in enumerate(sorted(glob.glob(os.path.join(FIX, "f0100?.*.json")))):
        name = os.path.basename(path)
        mid, method, rest = name.split(".")[0][2:], name.split(".")[1], name.split(".")[2:-1]
        port = info["miners"][mid]["port"]
        p = params.get(method, lambda m, _: [])(mid, ".".join(rest))
        rid = 100 + n
        test("%s equals the fixture (id %d)" % (name[:-5], rid),
             lambda: same_as(rpc(port, method, p, rid=rid)[2], fixture(name, rid)))


def variant_tests(info, ctl_info):
    p0, p1 = info["miners"]["1000"]["port"], info["miners"]["1001"]["port"]
    test("StorageFindSector with a multi-type mask equals variants/multitype",
         lambda: same_as(rpc(p0, "StorageFindSector", [{"Miner": 1000, "Number": 103}, 7, 0,
                                                       False], rid=1)[2],
                         fixture("variants/multitype.f01000.StorageFindSector.103-ft7.json")))
    test("StorageInfo of an unknown path: errors/storage-not-found.json, HTTP 200",
         lambda: same_as(rpc(p0, "StorageInfo", ["00000000-1111-2222-3333-444444444444"],
                             rid=9)[2], fixture("errors/storage-not-found.json")))
    req = fixture("requests/StorageStat.json")
    test("StorageStat of dead worker-06's path: errors/storage-stat-unreachable.json",
         lambda: same_as(rpc(p1, "StorageStat", req["params"], rid=12)[2],
                         fixture("errors/storage-stat-unreachable.json")))
    test("StorageStat of a miner-local path answers an FsStat",
         lambda: list(result(p1, "StorageStat", ["b040af93-4433-47b4-927d-5370b3667316"])) ==
         ["Capacity", "Available", "FSAvailable", "Reserved", "Max", "Used"])
    test("ActorSectorSize of an unknown actor: errors/application-error.json",
         lambda: same_as(rpc(p0, "ActorSectorSize", ["f099999"], rid=2)[2],
                         fixture("errors/application-error.json")))
    test("ActorSectorSize of the other simulated miner (t prefix) is its size",
         lambda: result(p0, "ActorSectorSize", ["t01001"]) == 68719476736)

    def switched(key, value, fn):
        ctl(ctl_info, "miner-set", miner=1000, **{key: value})
        try:
            return fn()
        finally:
            ctl(ctl_info, "miner-set", miner=1000, **{key: {"envelope": "v031", "network": "f",
                                                            "paths_field": True}[key]})
    test("without the fork's Paths WorkerStats equals variants/upstream-no-Paths",
         lambda: switched("paths_field", False, lambda: same_as(
             rpc(p0, "WorkerStats")[2],
             fixture("variants/upstream-no-Paths.f01000.WorkerStats.json"))))
    test("a testnet miner's ActorAddress equals variants/calibnet.ActorAddress.json",
         lambda: switched("network", "t", lambda: same_as(
             rpc(p0, "ActorAddress")[2], fixture("variants/calibnet.ActorAddress.json"))))
    test("sorted envelope: permission error equals errors/v1.36.missing-permission.json",
         lambda: switched("envelope", "sorted", lambda: same_as(
             rpc(p0, "WorkerStats", rid=3, token=None)[2],
             fixture("errors/v1.36.missing-permission.json"))))
    test("sorted envelope: success is id,jsonrpc,result",
         lambda: switched("envelope", "sorted", lambda: rpc(p0, "ActorAddress", rid=5)[2] ==
                          b'{"id":5,"jsonrpc":"2.0","result":"f01000"}\n'))


def error_tests(info):
    port = info["miners"]["1000"]["port"]

    def empty_401(args, kwargs):
        status, r, body = rpc(port, *args, **kwargs)
        return (status == 401 and body == b"" and r.getheader("Content-Length") == "0"
                and r.getheader("Content-Type") is None), (status, r.getheaders(), body)
    test("unknown bearer token: 401, empty body, Content-Length 0",
         lambda: empty_401(("Version",), {"token": "no-such-token"}))
    for hdr in ("Basic abc", "bearer " + ADMIN, "Bearer", "Bearer  " + ADMIN, ADMIN):
        test("Authorization %r: 401" % hdr[:12],
             lambda hdr=hdr: empty_401(("Version",), {"token": None,
                                                      "headers": {"Authorization": hdr}}))
    test("auth runs before routing: bad token on /rpc/v1 gives 401",
         lambda: empty_401(("Version",), {"token": "bad", "path": "/rpc/v1"}))

    def not_found(path, token):
        status, r, body = rpc(port, "Version", token=token, path=path)
        return (status == 404 and body == b"404 page not found\n" and
                r.getheader("Content-Type") == "text/plain; charset=utf-8" and
                r.getheader("X-Content-Type-Options") == "nosniff"), (status, body)
    for path, token in (("/rpc/v1", ADMIN), ("/rpc/v0/", ADMIN), ("/", None)):
        test("POST %s: 404 page not found (text/plain)" % path,
             lambda path=path, token=token: not_found(path, token))
    test("no token: read method works (read-only default)",
         lambda: result(port, "Version", token=None)["APIVersion"] == 66816)
    test("no token, admin method: errors/missing-permission.json with HTTP 200",
         lambda: (lambda s, r, b: (s == 200 and same_as(b, fixture(
             "errors/missing-permission.json"))[0], b))(*rpc(port, "WorkerStats", rid=3,
                                                             token=None)))
    test("read-only token, admin method: missing permission (code 1)",
         lambda: json.loads(rpc(port, "WorkerJobs", token="sim-read-token")[2])["error"] ==
         {"code": 1, "message": "missing permission to invoke 'WorkerJobs' (need 'admin')"})
    test("exact membership: an admin-only token may not call Version (need 'read')",
         lambda: json.loads(rpc(port, "Version", token="sim-admin-only-token")[2])["error"]
         ["message"] == "missing permission to invoke 'Version' (need 'read')")
    test("token in the ?token= query parameter is accepted",
         lambda: result(port, "StorageLocal", token=None, path="/rpc/v0?token=" + ADMIN)
         == fixture("f01000.StorageLocal.json")["result"])

    def status_body(want_status, want_file, *args, **kwargs):
        status, _, body = rpc(port, *args, **kwargs)
        good, diag = same_as(body, fixture(want_file))
        return status == want_status and good, (status, diag)
    test("unknown method: 500, errors/method-not-found.json",
         lambda: status_body(500, "errors/method-not-found.json", "WorkerStatz", rid=7))
    test("wrong param count: 500, errors/wrong-param-count.json",
         lambda: status_body(500, "errors/wrong-param-count.json", "ActorSectorSize", [], rid=2))
    test("undecodable address: 500, errors/bad-param.json",
         lambda: status_body(500, "errors/bad-param.json", "ActorSectorSize", ["x01000"], rid=2))
    test("body not JSON: 500, errors/parse-error.json (id null)",
         lambda: status_body(500, "errors/parse-error.json", None, body="{not json"))
    test("empty body: 400, errors/invalid-request.json (id null)",
         lambda: status_body(400, "errors/invalid-request.json", None, body=""))
    test("params not an array: 500 -32700 unmarshaling param array",
         lambda: json.loads(rpc(port, None, body='{"jsonrpc":"2.0","id":4,"method":'
                                '"Filecoin.Version","params":{}}')[2])["error"]["message"]
         .startswith("unmarshaling param array: "))

    def notification(method):
        status, r, body = rpc(port, method, rid=None, token=None)
        return status == 200 and body == b"" and r.getheader("Content-Length") == "0"
    test("notification (no id): 200 with an empty body", lambda: notification("Version"))
    test("notification failing the permission check: still 200, empty",
         lambda: notification("WorkerStats"))
    for rid, text in (("a<b&c", b'"a\\u003cb\\u0026c"'), (1.5, b"1.5"),
                      (12345678901234567890, b"12345678901234567000"), (0, b"0")):
        test("request id %r echoed as %s" % (rid, text.decode()),
             lambda rid=rid, text=text: rpc(port, "ActorAddress", rid=rid)[2].endswith(
                 b',"id":' + text + b"}\n"))
    test("AuthVerify of the read-only token: [\"read\"]",
         lambda: result(port, "AuthVerify", ["sim-read-token"]) == ["read"])
    test("AuthVerify of an unknown token: code 1 JWT Verification failed",
         lambda: json.loads(rpc(port, "AuthVerify", ["a.b.c"])[2])["error"]["message"]
         .startswith("JWT Verification failed: "))
    test("RPC answers carry Go's sniffed Content-Type",
         lambda: rpc(port, "Version")[1].getheader("Content-Type") == "text/plain; charset=utf-8")


def transport_tests(info):
    port = info["miners"]["1000"]["port"]
    ws = fixture("f01000.WorkerStats.json", 11)

    def framing():
        _, big, _ = rpc(port, "WorkerStats")
        _, small, _ = rpc(port, "Version")
        return (big.getheader("Transfer-Encoding") == "chunked" and
                big.getheader("Content-Length") is None and
                small.getheader("Content-Length") is not None and
                small.getheader("Transfer-Encoding") is None)
    test("responses over 2 KiB are chunked, small ones have Content-Length", framing)

    def raw_chunked():
        body = rpc_request("WorkerStats", 11)
        data = raw_http(port, ("POST /rpc/v0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                               "Connection: close\r\nContent-Length: %d\r\n\r\n%s"
                               % (ADMIN, len(body), body)).encode())
        head, _, rest = data.partition(b"\r\n\r\n")
        payload, chunks = dechunk(rest)
        return b"Transfer-Encoding: chunked" in head and same_as(payload, ws)[0] and chunks >= 1
    test("chunked stream decodes strictly to the WorkerStats fixture", raw_chunked)

    def keep_alive():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.connect()
        first = c.sock
        for i, method in enumerate(["Version", "WorkerStats", "WorkerJobs", "WorkerStats",
                                    "ActorAddress"]):
            c.request("POST", "/rpc/v0", rpc_request(method, i),
                      {"Authorization": "Bearer " + ADMIN})
            r = c.getresponse()
            json.loads(r.read())
            if c.sock is not first or r.will_close:
                return False, "connection was not reused at request %d" % i
        c.close()
        return True
    test("keep-alive: five requests (chunked and not) on one connection", keep_alive)

    def http10():
        body = rpc_request("WorkerStats", 11)
        data = raw_http(port, ("POST /rpc/v0 HTTP/1.0\r\nAuthorization: Bearer %s\r\n"
                               "Content-Length: %d\r\n\r\n%s" % (ADMIN, len(body), body)).encode())
        head, _, payload = data.partition(b"\r\n\r\n")
        return b"chunked" not in head and same_as(payload, ws)[0]
    test("HTTP/1.0 client: big body unchunked, connection closed", http10)


def fault_tests(info, ctl_info):
    p1 = info["miners"]["1001"]["port"]

    def refuse():
        c = http.client.HTTPConnection("127.0.0.1", p1, timeout=5)
        c.request("POST", "/rpc/v0", rpc_request("Version", 1))
        c.getresponse().read()
        ctl(ctl_info, "fault", miner=1001, kind="refuse")
        refused = raises(ConnectionRefusedError, lambda: rpc(p1, "Version"))
        st = ctl(ctl_info, "status")["miners"]
        down = not [m for m in st if m["id"] == 1001][0]["listening"]
        reset = raises((OSError, http.client.HTTPException), lambda: (
            c.request("POST", "/rpc/v0", rpc_request("Version", 2)), c.getresponse().read()))
        ctl(ctl_info, "fault-clear", miner=1001, kind="refuse")
        back = result(p1, "ActorAddress") == "f01001"
        return refused and down and reset and back, (refused, down, reset, back)
    test("fault refuse: connections refused, open ones reset, same port after clear", refuse)

    def delay():
        ctl(ctl_info, "fault", miner=1001, kind="delay", ms=300, methods=["WorkerStats"])
        t0 = time.monotonic()
        rpc(p1, "Version")
        fast = time.monotonic() - t0
        t0 = time.monotonic()
        rpc(p1, "WorkerStats")
        slow = time.monotonic() - t0
        ctl(ctl_info, "fault-clear", miner=1001, kind="delay")
        return fast < 0.25 and slow >= 0.3, (fast, slow)
    test("fault delay 300 ms, limited to WorkerStats", delay)

    def hang():
        ctl(ctl_info, "fault", miner=1001, kind="hang")
        hung = raises(socket.timeout, lambda: rpc(p1, "Version", timeout=0.5))
        ctl(ctl_info, "fault-clear", miner=1001, kind="hang")
        return hung and result(p1, "ActorAddress") == "f01001"
    test("fault hang: request never answered; cleared, answers again", hang)

    def http500():
        ctl(ctl_info, "fault", miner=1001, kind="http500")
        s1, _, b1 = rpc(p1, "WorkerJobs")
        ctl(ctl_info, "fault", miner=1001, kind="http500", plain=True)
        s2, _, b2 = rpc(p1, "WorkerJobs")
        ctl(ctl_info, "fault-clear", miner=1001, kind="http500")
        e = json.loads(b1)["error"]
        return (s1 == 500 and e["code"] == 0 and "panic" in e["message"] and s2 == 500 and
                b2 == b"Internal Server Error\n"), (s1, b1, s2, b2)
    test("fault http500: panic error, or plain text", http500)

    def garbage():
        ctl(ctl_info, "fault", miner=1001, kind="garbage")
        s, _, b = rpc(p1, "Version")
        ctl(ctl_info, "fault-clear", miner=1001, kind="garbage")
        return s == 200 and raises(ValueError, lambda: json.loads(b))
    test("fault garbage: HTTP 200 with a body that is not JSON", garbage)

    def truncate():
        ctl(ctl_info, "fault", miner=1001, kind="truncate")
        small = raises(http.client.IncompleteRead, lambda: rpc(p1, "Version"))
        big = raises(http.client.IncompleteRead, lambda: rpc(p1, "WorkerStats"))
        ctl(ctl_info, "fault-clear", miner=1001, kind="truncate")
        return small and big and result(p1, "ActorAddress") == "f01001", (small, big)
    test("fault truncate: short Content-Length body and cut chunked stream", truncate)

    def actor():
        ctl(ctl_info, "fault", miner=1001, kind="actor")
        a = result(p1, "ActorAddress")
        ctl(ctl_info, "fault", miner=1001, kind="actor", actor=4321)
        b = result(p1, "ActorAddress")
        ctl(ctl_info, "fault-clear", miner=1001, kind="actor")
        return (a, b, result(p1, "ActorAddress")) == ("f01002", "f04321", "f01001")
    test("fault actor: ActorAddress names another actor", actor)

    def readonly():
        ctl(ctl_info, "fault", miner=1001, kind="readonly")
        denied = json.loads(rpc(p1, "WorkerStats")[2])["error"]["code"] == 1
        allow = result(p1, "AuthVerify", [ADMIN])
        ctl(ctl_info, "fault-clear", miner=1001, kind="readonly")
        return denied and allow == ["read"] and len(result(p1, "WorkerStats")) == 3
    test("fault readonly: the admin token acts as read-only", readonly)

    w05 = "11f2f899-c930-4c3e-b354-1b8ae8c24370"

    def flap():
        ctl(ctl_info, "fault", miner=1001, kind="flap", worker="worker-05")
        seen = [result(p1, "WorkerStats")[w05]["Enabled"] for _ in range(4)]
        ctl(ctl_info, "fault-clear", miner=1001, kind="flap", worker="worker-05")
        return seen == [False, True, False, True] and result(p1, "WorkerStats")[w05]["Enabled"], seen
    test("fault flap: a worker's Enabled alternates per call", flap)

    def flap_timed():
        ctl(ctl_info, "fault", miner=1001, kind="flap", worker=w05, period_ms=100)
        seen = set()
        poll(lambda: seen.add(result(p1, "WorkerStats")[w05]["Enabled"]) or len(seen) == 2, 3)
        ctl(ctl_info, "fault-clear", miner=1001)
        return seen == {True, False}, seen
    test("fault flap with period_ms: both states show over time", flap_timed)

    def tasks_null():
        ctl(ctl_info, "fault", miner=1001, kind="tasks-null", worker=w05)
        gone = result(p1, "WorkerStats")[w05]["Tasks"]
        ctl(ctl_info, "fault-clear", miner=1001, kind="tasks-null", worker=w05)
        return gone is None and len(result(p1, "WorkerStats")[w05]["Tasks"]) == 13
    test("fault tasks-null: Tasks null until cleared", tasks_null)

    test("after all faults f01001 WorkerStats equals its fixture again",
         lambda: same_as(rpc(p1, "WorkerStats", rid=1)[2], fixture("f01001.WorkerStats.json")))


def change_tests(info, ctl_info):
    port = info["miners"]["1000"]["port"]
    new = {}

    def add():
        out = ctl(ctl_info, "worker-add", miner=1000, hostname="worker-07", tasks="AP,PC1,PC2",
                  addr="192.0.2.107:50031")
        new.update(out)
        st = result(port, "WorkerStats")[out["uuid"]]
        info_rec = result(port, "StorageInfo", [out["seal_path"]])
        return (st["Info"]["Hostname"] == "worker-07" and st["Tasks"] == [
            "seal/v0/addpiece", "seal/v0/precommit/1", "seal/v0/precommit/2"] and
                st["Paths"][0]["ID"] == out["seal_path"] and st["Paths"][0]["CanSeal"] and
                len(st["Info"]["Resources"]["Resources"]) == 14 and
                result(port, "StorageList")[out["seal_path"]] == [] and
                info_rec["URLs"] == ["http://192.0.2.107:50031/remote"]), st["Paths"]
    test("worker-add: new worker with Paths, seal path in StorageList/StorageInfo", add)
    test("worker-add paths=false resource_tasks=2: Paths null, small resource table",
         lambda: (lambda u: result(port, "WorkerStats")[u]["Paths"] is None and
                  len(result(port, "WorkerStats")[u]["Info"]["Resources"]["Resources"]) == 2)(
             ctl(ctl_info, "worker-add", miner=1000, hostname="worker-08", paths=False,
                 resource_tasks=2)["uuid"]))

    def tasks_toggle():
        ctl(ctl_info, "tasks-disable", miner=1000, worker="worker-07", tasks="AP")
        off = result(port, "WorkerStats")[new["uuid"]]["Tasks"]
        ctl(ctl_info, "tasks-enable", miner=1000, worker=new["uuid"], tasks=["AP"])
        on = result(port, "WorkerStats")[new["uuid"]]["Tasks"]
        bad = raises(AssertionError, lambda: ctl(ctl_info, "tasks-disable", miner=1000,
                                                 worker="worker-07", tasks="C1"))
        return "seal/v0/addpiece" not in off and "seal/v0/addpiece" in on and bad, (off, on)
    test("tasks-disable AP / tasks-enable AP (fake lotus-worker tasks)", tasks_toggle)

    def set_worker():
        ctl(ctl_info, "worker-set", miner=1000, worker="worker-08", enabled=False, tasks=None)
        st = result(port, "WorkerStats")[ctl(ctl_info, "dump", miner=1000)["workers"][-1]["uuid"]]
        unreachable = raises(AssertionError, lambda: ctl(ctl_info, "tasks-disable", miner=1000,
                                                         worker="worker-08", tasks="AP"))
        return st["Enabled"] is False and st["Tasks"] is None and unreachable, st["Enabled"]
    test("worker-set enabled=false tasks=null", set_worker)

    def jobs():
        u = new["uuid"]
        for rw in (0, 1, 2, 3, -1, -2, -3):
            ctl(ctl_info, "job-add", miner=1000, worker="worker-07", task="PC1",
                sector=200 + abs(rw) + (10 if rw < 0 else 0), runwait=rw)
        wj = result(port, "WorkerJobs")
        mine = {j["Sector"]["Number"]: j for j in wj[u]}
        nil = {j["Sector"]["Number"]: j for j in wj["00000000-0000-0000-0000-000000000000"]}
        st = result(port, "WorkerStats")[u]
        diag = result(port, "SealingSchedDiag", [False])
        zero = {"Sector": {"Miner": 0, "Number": 0},
                "ID": "00000000-0000-0000-0000-000000000000"}
        checks = {
            "running has a call": mine[200]["ID"]["ID"] != zero["ID"],
            "prepared/assigned have the zero call": mine[201]["ID"] == zero == mine[202]["ID"],
            "runwaits": [mine[n]["RunWait"] for n in (200, 201, 202, 203)] == [0, 1, 2, 3],
            "nil-UUID jobs": sorted(nil) == [99, 211, 212, 213] and
            nil[211]["Hostname"] == "worker-07" and "." not in nil[211]["Start"],
            "TaskCounts": st["TaskCounts"] == {"8:seal/v0/precommit/1": 2},
            "MemUsedMin": st["MemUsedMin"] == 60129542144 and st["CpuUse"] == 1,
            "CallToWork": "1000-200-%s" % mine[200]["ID"]["ID"] in diag["CallToWork"],
            "ReturnedWork": len(diag["ReturnedWork"] or []) == 1,
        }
        return all(checks.values()), checks
    test("job-add in every RunWait state (0,1,2,3,-1,-2,-3)", jobs)

    def job_remove():
        ctl(ctl_info, "job-remove", miner=1000, sector=200)
        for s in (201, 202, 203, 211, 212, 213):
            ctl(ctl_info, "job-remove", miner=1000, sector=s)
        wj = result(port, "WorkerJobs")
        diag = result(port, "SealingSchedDiag", [False])
        return (new["uuid"] not in wj and not any(k.startswith("1000-200-")
                                                  for k in diag["CallToWork"])
                and diag["ReturnedWork"] is None)
    test("job-remove drops jobs and their tracker entries", job_remove)

    def sectors():
        seal = new["seal_path"]
        ctl(ctl_info, "sector-add", miner=1000, path=seal, sector=300, type="unsealed")
        listed = result(port, "StorageList")[seal]
        found = result(port, "StorageFindSector", [{"Miner": 1000, "Number": 300}, 1, 0, False])
        ctl(ctl_info, "sector-remove", miner=1000, sector=300)
        return (listed == [{"Miner": 1000, "Number": 300, "SectorFileType": 1}] and
                found[0]["URLs"] == ["http://192.0.2.107:50031/remote/unsealed/s-t01000-300"] and
                result(port, "StorageList")[seal] == []), (listed, found)
    test("sector-add / sector-remove on a worker's seal path", sectors)

    def requests():
        sid = ctl(ctl_info, "request-add", miner=1000, sector=301, task="PC1", priority=5)["sched_id"]
        reqs = result(port, "SealingSchedDiag", [False])["SchedInfo"]["Requests"]
        ctl(ctl_info, "request-remove", miner=1000, sched_id=sid)
        after = result(port, "SealingSchedDiag", [False])["SchedInfo"]["Requests"]
        return (reqs[-1] == {"Sector": {"Miner": 1000, "Number": 301},
                             "TaskType": "seal/v0/precommit/1", "Priority": 5, "SchedId": sid}
                and len(after) == 4), reqs
    test("request-add / request-remove in the scheduler queue", requests)

    def windows():
        ctl(ctl_info, "windows", miner=1000, worker="worker-07", count=1)
        ow = result(port, "SealingSchedDiag", [False])["SchedInfo"]["OpenWindows"]
        return ow.count(new["uuid"]) == 1
    test("windows: a worker's open scheduling windows", windows)

    def register():
        out = ctl(ctl_info, "worker-register", miner=1000, hostname="fake-01",
                  addr="192.0.2.201:50031")
        st = result(port, "WorkerStats")[out["uuid"]]
        rec = result(port, "StorageInfo", [out["seal_path"]])
        ctl(ctl_info, "worker-unregister", miner=1000, worker="fake-01")
        gone = out["uuid"] not in result(port, "WorkerStats") and \
            out["seal_path"] not in result(port, "StorageList")
        return (len(st["Tasks"]) == 13 and rec["URLs"] == ["http://192.0.2.201:50031/remote"]
                and gone), (st["Tasks"], rec)
    test("worker-register / worker-unregister (fake lotus-worker run / stop)", register)

    def remove():
        ctl(ctl_info, "worker-remove", miner=1000, worker="worker-07")
        ctl(ctl_info, "worker-remove", miner=1000, worker="worker-08")
        return new["uuid"] not in result(port, "WorkerStats") and \
            new["uuid"] not in result(port, "SealingSchedDiag", [False])["SchedInfo"]["OpenWindows"]
    test("worker-remove drops the worker and its windows", remove)

    def cli():
        ok = subprocess.run([sys.executable, SIM, "ctl", "--port-file", info["file"], "status"],
                            capture_output=True, timeout=10)
        bad = subprocess.run([sys.executable, SIM, "ctl", "--port-file", info["file"],
                              "no-such-command"], capture_output=True, timeout=10)
        return ok.returncode == 0 and json.loads(ok.stdout)["ok"] and bad.returncode == 1
    test("lotus-sim ctl: status exits 0, an unknown command exits 1", cli)


def time_tests(info, ctl_info):
    port = info["miners"]["1000"]["port"]
    w04, p04 = "30ace989-0fa1-4c30-809b-07b1859e1b6f", "9b488aab-d038-439b-9b3a-ccc5830a0763"
    store = "ddd74b29-d753-4042-b6dd-5dcee05800bd"

    def decl(pid, number):
        return [d["SectorFileType"] for d in result(port, "StorageList").get(pid, [])
                if d["Number"] == number]

    def scaled():
        ctl(ctl_info, "clock", scale=3600)
        ctl(ctl_info, "sector-add", miner=1000, path=p04, sector=400, type=1)
        ctl(ctl_info, "job-add", miner=1000, worker=w04, task="PC1", sector=400, duration=3600)
        t0 = time.monotonic()
        done = poll(lambda: w04 not in result(port, "WorkerJobs"), 5)
        took = time.monotonic() - t0
        ctl(ctl_info, "clock", scale=1)
        reqs = result(port, "SealingSchedDiag", [False])["SchedInfo"]["Requests"]
        return (done and 0.5 < took < 4 and decl(p04, 400) == [7] and
                reqs[-1]["TaskType"] == "seal/v0/precommit/2" and
                reqs[-1]["Sector"]["Number"] == 400), (done, took, decl(p04, 400), reqs[-1:])
    test("a 1 h PC1 at --time-scale 3600 ends after ~1 s: sealed+cache, PC2 queued", scaled)

    def advance():
        ctl(ctl_info, "request-remove", miner=1000, sector=400)
        ctl(ctl_info, "job-add", miner=1000, worker=w04, task="FIN", sector=400, duration=100)
        still = w04 in result(port, "WorkerJobs")
        ctl(ctl_info, "clock", advance=101)
        return (still and w04 not in result(port, "WorkerJobs") and decl(p04, 400) == [] and
                decl(store, 400) == [6])
    test("clock advance: FIN ends, the sector moves to the store path (type 6)", advance)

    def frozen():
        ctl(ctl_info, "job-add", miner=1000, worker=w04, task="C1", sector=401, duration=10)
        ctl(ctl_info, "worker-set", miner=1000, worker=w04, enabled=False)
        ctl(ctl_info, "clock", advance=20)
        held = w04 in result(port, "WorkerJobs")
        ctl(ctl_info, "worker-set", miner=1000, worker=w04, enabled=True)
        ctl(ctl_info, "clock", advance=5)
        still = w04 in result(port, "WorkerJobs")
        ctl(ctl_info, "clock", advance=6)
        return held and still and w04 not in result(port, "WorkerJobs"), (held, still)
    test("jobs of a disabled worker are frozen until it is enabled", frozen)

    def job_set():
        w02 = "2254c8b4-32bf-4066-82f1-1c50ee87b8e6"
        ctl(ctl_info, "job-set", miner=1000, sector=103, task="PC2", duration=0)
        ctl(ctl_info, "clock", advance=0)
        left = [j["Task"] for j in result(port, "WorkerJobs")[w02]]
        reqs = result(port, "SealingSchedDiag", [False])["SchedInfo"]["Requests"]
        return left == ["seal/v0/precommit/1"] and (reqs[-1]["Sector"]["Number"],
                                                    reqs[-1]["TaskType"]) == (103, "seal/v0/commit/1")
    test("job-set duration=0 ends fixture job PC2 103, C1 103 queued", job_set)


def demo_tests():
    proc, info = start("--scenario", os.path.join(TOP, "tools", "sim-demo.json"))
    p0, p1 = info["miners"]["1000"]["port"], info["miners"]["1001"]["port"]
    tok = "demo-admin-token-1000"

    def loaded():
        ws0 = result(p0, "WorkerStats", token=tok)
        ws1 = result(p1, "WorkerStats", token="demo-admin-token-1001")
        return (sorted(w["Info"]["Hostname"] for w in ws0.values()) ==
                ["miner-a", "wdpost-01", "worker-01", "worker-02", "worker-03"] and
                all("Paths" not in w for w in ws1.values())), ws1
    test("demo scenario: both miners load (f01001 without the Paths field)", loaded)

    def runs():
        ctl(info, "clock", advance=4 * 3600)
        sl = result(p0, "StorageList", token=tok)
        types = {d["Number"]: d["SectorFileType"] for ds in sl.values() for d in ds}
        return types.get(10) in (6, 7) and types.get(20) is not None, types
    test("demo scenario: four simulated hours seal sectors and run queued AP work", runs)
    stop(proc, "demo simulator")


def schedule_tests(info, ctl_info):
    port = info["miners"]["1000"]["port"]
    tok = "sim-admin-token"
    test("empty miner: WorkerStats equals variants/empty.WorkerStats.json",
         lambda: same_as(rpc(port, "WorkerStats", token=tok)[2],
                         fixture("variants/empty.WorkerStats.json")))
    test("empty miner: WorkerJobs equals variants/empty.WorkerJobs.json",
         lambda: same_as(rpc(port, "WorkerJobs", token=tok)[2],
                         fixture("variants/empty.WorkerJobs.json")))
    test("empty miner: SealingSchedDiag equals variants/empty.SealingSchedDiag.json",
         lambda: same_as(rpc(port, "SealingSchedDiag", [False], token=tok)[2],
                         fixture("variants/empty.SealingSchedDiag.json")))

    def pipeline():
        ctl(info, "miner-set", schedule=True, tick=10)
        ctl(info, "path-add", id="store-1", CanStore=True, local="/mnt/store")
        w = ctl(info, "worker-add", hostname="w1", tasks="AP,PC1,PC2,C1,FIN")
        ctl(info, "request-add", sector=1, task="AP")
        seen = []

        def state():
            js = result(port, "WorkerJobs", token=tok).get(w["uuid"], [])
            return [(j["Task"].split("/")[-1], j["RunWait"]) for j in js]
        for adv in (0, 10, 10, 600, 20, 14400):
            ctl(info, "clock", advance=adv)
            seen.append(state())
        sl = result(port, "StorageList", token=tok)
        want = [[("addpiece", 2)], [("addpiece", 1)], [("addpiece", 0)], [("1", 2)],
                [("1", 0)], [("2", 2)]]
        return seen == want and sl[w["seal_path"]] == [
            {"Miner": 1000, "Number": 1, "SectorFileType": 7}], (seen, sl)
    test("scheduler: AP assigned, prepared, running, done; PC1 follows on the same worker",
         pipeline)

    def unix_ctl():
        out = subprocess.run([sys.executable, SIM, "ctl", "--control", info["control"],
                              "clock"], capture_output=True, timeout=10)
        return out.returncode == 0 and json.loads(out.stdout)["ok"], out
    test("control over a Unix socket (lotus-sim ctl --control PATH)", unix_ctl)


def bench_tests():
    bdir = os.path.join(TMP, "bench")
    if os.path.isfile(BENCH_GEN):
        subprocess.run([sys.executable, BENCH_GEN, bdir, "40", "5", "4000", "100"], check=True,
                       timeout=20)
    else:
        os.makedirs(bdir)
        res = {"WorkerStats": {"w%d" % i: {"Info": {"Hostname": "x" * 4000}} for i in range(20)},
               "WorkerJobs": {}, "StorageList": {"p": []},
               "SchedDiag": {"SchedInfo": {"Requests": None, "OpenWindows": None}}}
        for name, r in res.items():
            with open(os.path.join(bdir, name + ".json"), "w") as f:
                json.dump({"jsonrpc": "2.0", "result": r, "id": 1}, f, separators=(",", ":"))
    proc, info = start("--bench-dir", bdir)
    port, tok = info["miners"]["1000"]["port"], "sim-admin-token"

    def served(method, fname):
        status, r, body = rpc(port, method, [False] if method == "SealingSchedDiag" else [],
                              rid=77, token=tok)
        with open(os.path.join(bdir, fname)) as f:
            want = json.load(f)
        want["id"] = 77
        return status == 200 and json.loads(body) == want and body.endswith(b',"id":77}\n')
    for method, fname in (("WorkerStats", "WorkerStats.json"), ("WorkerJobs", "WorkerJobs.json"),
                          ("StorageList", "StorageList.json"),
                          ("SealingSchedDiag", "SchedDiag.json")):
        test("bench: %s streams %s with the request id" % (method, fname),
             lambda method=method, fname=fname: served(method, fname))

    def chunks():
        body = rpc_request("WorkerStats", 5)
        data = raw_http(port, ("POST /rpc/v0 HTTP/1.1\r\nAuthorization: Bearer %s\r\n"
                               "Connection: close\r\nContent-Length: %d\r\n\r\n%s"
                               % (tok, len(body), body)).encode())
        payload, n = dechunk(data.partition(b"\r\n\r\n")[2])
        return n > 1 and json.loads(payload)["id"] == 5, n
    test("bench: the big file arrives as several well-formed chunks", chunks)
    test("bench: permission still checked (no token)",
         lambda: json.loads(rpc(port, "WorkerStats", token=None)[2])["error"]["code"] == 1)
    test("bench: Version comes from the model",
         lambda: result(port, "Version", token=tok)["APIVersion"] == 66816)

    def truncated():
        ctl(info, "fault", kind="truncate")
        cut = raises(http.client.IncompleteRead, lambda: rpc(port, "WorkerStats", token=tok))
        ctl(info, "fault-clear")
        return cut
    test("bench: truncate fault cuts the stream", truncated)
    stop(proc, "bench simulator")


def stop(proc, name):
    """SIGTERM a simulator and check that it exits 0."""
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(5)
    except subprocess.TimeoutExpired:
        code = None
    test("%s exits 0 on SIGTERM" % name, lambda: code == 0)


def main():
    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(WATCHDOG)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, lambda *_: (cleanup(), os._exit(1)))
    try:
        print("# fixtures: %s" % FIX, flush=True)
        proc, info = start("--scenario", os.path.join(TOP, "tools", "sim-fixtures.json"),
                           "--fixtures", FIX)
        fixture_tests(info)
        variant_tests(info, info)
        error_tests(info)
        transport_tests(info)
        fault_tests(info, info)
        change_tests(info, info)
        time_tests(info, info)
        stop(proc, "fixture simulator")
        proc, info = start("--control", os.path.join(TMP, "ctl.sock"), "--envelope", "v031")
        schedule_tests(info, info)
        stop(proc, "empty simulator")
        demo_tests()
        bench_tests()
    except Exception:
        print("Bail out! %s" % traceback.format_exc().splitlines()[-1], flush=True)
        for line in traceback.format_exc().splitlines():
            print("# " + line)
        COUNT[1] += 1
    finally:
        cleanup()
    print("1..%d" % COUNT[0])
    return 1 if COUNT[1] else 0


if __name__ == "__main__":
    sys.exit(main())
