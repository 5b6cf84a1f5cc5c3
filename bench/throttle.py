"""make bench's throttling rows: what counting costs, and the 429 path.

The task list at 64 connections on three servers measured alternately
(`scale.alternately`): throttling off, a user throttle in local memory, the
same in Redis (REDIS_URL, default the machine's 127.0.0.1:6379), each rate
high enough never to refuse. Then a server whose rate refuses every
request but the first: the 429 path. For Redis, the round trips a request
costs (the script's calls in Redis's command statistics).
"""
import os
import re
import socket

from scale import alternately

# Not "GET /api/task/, N conn": the chart reads those as its connection rows.
OFF = "throttling off: GET /api/task/, 64 conn"
LOCAL = "user throttle in local memory: GET /api/task/, 64 conn"
REDIS = "user throttle in Redis: GET /api/task/, 64 conn"
REFUSED = "every request throttled (429): GET /api/task/, 64 conn"

# (row, ratio to OFF at least)
WANTED = [(LOCAL, 0.95), (REDIS, 0.75)]
NEVER = {"APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES": "UserRateThrottle",
         # Never reached here, and the log holds a second of requests, as a real rate's would.
         "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__USER": "100000/s"}


def redis_address():
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    host, _, port = url.split("://", 1)[1].split("/", 1)[0].rpartition(":")
    return host or "127.0.0.1", int(port or 6379), url


def redis(*parts):
    """One command; its reply (RESP2) as Python values."""
    host, port, _ = redis_address()
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(("*%d\r\n" % len(parts) + "".join(f"${len(p)}\r\n{p}\r\n" for p in parts)).encode())
        return read_reply(s.makefile("rb"))


def read_reply(f):
    line = f.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:].decode()
    if kind == b"$":
        return None if rest == "-1" else f.read(int(rest) + 2)[:-2].decode(errors="replace")
    if kind == b"*":
        return [read_reply(f) for _ in range(max(0, int(rest)))]
    if kind == b"-":
        raise OSError(rest)
    return rest


def script_calls():
    stats = redis("INFO", "commandstats")
    return sum(int(n) for n in re.findall(r"cmdstat_(?:evalsha|eval):calls=(\d+)", stats))


def rows(bench, start, auth_for):
    """`start(label, extra)` starts a server; `auth_for(env)` mints its header."""
    try:
        redis("PING")
    except OSError as e:
        print(f"bench: throttling rows left out: no Redis at {redis_address()[2]} ({e})")
        return
    prefix = f"bench-{os.getpid()}"
    # Each server its own token: a development token's issuer is its server.
    (off, off_env), (local, local_env) = start("throttle off", {}), start("throttle local", NEVER)
    shared, shared_env = start("throttle Redis", {**NEVER, "APP__CACHE__URL": redis_address()[2],
                                                  "APP__CACHE__KEY_PREFIX": prefix})
    auth = {off: auth_for(off_env), local: auth_for(local_env), shared: auth_for(shared_env)}
    oha = bench.oha

    calls = {"before": 0, "requests": 0, "after": 0}

    def on_redis(t):
        calls["before"] += script_calls()
        result = oha(f"{shared.base}/api/task/", 64, t, headers=auth[shared])
        calls["after"] += script_calls()
        calls["requests"] += result["requests"]
        return result

    loads = [(off, lambda t: oha(f"{off.base}/api/task/", 64, t, headers=auth[off])),
             (local, lambda t: oha(f"{local.base}/api/task/", 64, t, headers=auth[local])),
             (shared, on_redis)]
    results = alternately(bench, loads)
    trips = (calls["after"] - calls["before"]) / calls["requests"] if calls["requests"] else None
    for label, result in zip([OFF, LOCAL, REDIS], results):
        note = f"{trips:.2f} Redis round trips a request" if label == REDIS and trips is not None else ""
        bench.record(label, {OFF: off, LOCAL: local, REDIS: shared}[label], result, note=note)
    refusing, refusing_env = start("throttle 429", {"APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES": "UserRateThrottle",
                                                    "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__USER": "1/d"})
    refused = auth_for(refusing_env)
    bench.row(REFUSED, refusing, lambda t: oha(f"{refusing.base}/api/task/", 64, t, headers=refused,
                                                expected=(200, 429)))


def targets(rows_by):
    """The wanted ratios against the rows measured: a Markdown table and the targets missed."""
    lines = ["| row | share of throttling off | server CPU ms/req | note | wanted | |", "|---|---|---|---|---|---|"]
    missed = []
    off = next((r for (_, label), r in rows_by.items() if label == OFF), None)
    for label, share in WANTED:
        row = next((r for (_, l), r in rows_by.items() if l == label), None)
        if not row or not off or not off["rps"]:
            lines.append(f"| {label} | - | - | | ≥ {share:.0%} | not measured |")
            continue
        ratio = row["rps"] / off["rps"]
        holds = ratio >= share
        if not holds:
            missed.append((label, f"{ratio:.0%} of throttling off", f"≥ {share:.0%}"))
        cpu = "-" if row.get("cpu_ms") is None else f"{row['cpu_ms']:.3f}"
        lines.append(f"| {label} | {ratio:.0%} | {cpu} | {row.get('note', '')} | ≥ {share:.0%} | "
                     + ("met |" if holds else "**NOT MET** |"))
    return "\n".join(lines) + "\n", missed
