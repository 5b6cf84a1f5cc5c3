"""make bench's metrics rows: what recording costs on the request path.

The task list at 64 connections on two servers measured alternately
(`scale.alternately`): metrics off (`metrics.enabled = false`), and metrics
on with their own listener scraped every second, as Prometheus would, for
the whole measurement. Both give each request its ID and log scope; the log
level is the bench's (errors only), so no access line is written in either.
"""
import threading
import types
import urllib.request

from scale import alternately

# Not "GET /api/task/, N conn": the chart reads those as its connection rows.
OFF = "metrics off: GET /api/task/, 64 conn"
ON = "metrics on, scraped each second: GET /api/task/, 64 conn"
WANTED = 0.95


def rows(bench, start, auth_for, free_port):
    """`start(label, extra)` starts a server; `auth_for(env)` mints its header."""
    off, off_env = start("metrics off", {"APP__METRICS__ENABLED": "false"})
    port = free_port()
    on, on_env = start("metrics on", {"APP__METRICS__LISTEN": f"127.0.0.1:{port}"})
    auth = {off: auth_for(off_env), on: auth_for(on_env)}
    stop = threading.Event()
    scrapes = {"ok": 0, "bytes": 0}

    def scraper():
        while not stop.wait(1.0):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    scrapes["bytes"] = len(r.read())
                    scrapes["ok"] += 1
            except OSError:
                pass

    thread = threading.Thread(target=scraper, daemon=True)
    thread.start()
    try:
        loads = [(off, lambda t: bench.oha(f"{off.base}/api/task/", 64, t, headers=auth[off])),
                 (on, lambda t: bench.oha(f"{on.base}/api/task/", 64, t, headers=auth[on]))]
        # Rounds under 3 s measure this machine's noise more than the
        # difference (91% in a --duration 5 run, 97-100% with 3 s rounds).
        steady = types.SimpleNamespace(**vars(bench))
        steady.duration = max(bench.duration, 9)
        results = alternately(steady, loads)
    finally:
        stop.set()
        thread.join()
    bench.record(OFF, off, results[0])
    bench.record(ON, on, results[1], note=f"{scrapes['ok']} scrapes of {scrapes['bytes'] // 1024} KiB")


def targets(rows_by):
    """The wanted ratio against the rows measured: a Markdown table and the targets missed."""
    lines = ["| row | share of metrics off | server CPU ms/req | note | wanted | |", "|---|---|---|---|---|---|"]
    off = next((r for (_, label), r in rows_by.items() if label == OFF), None)
    on = next((r for (_, label), r in rows_by.items() if label == ON), None)
    cpu = lambda r: "-" if r.get("cpu_ms") is None else f"{r['cpu_ms']:.3f}"
    if not off or not on or not off["rps"]:
        return lines[0] + "\n" + lines[1] + f"\n| {ON} | - | - | | ≥ {WANTED:.0%} | not measured |\n", []
    ratio = on["rps"] / off["rps"]
    holds = ratio >= WANTED
    lines.append(f"| {OFF} | 100% | {cpu(off)} | | | |")
    lines.append(f"| {ON} | {ratio:.0%} | {cpu(on)} | {on.get('note', '')} | ≥ {WANTED:.0%} | "
                 + ("met |" if holds else "**NOT MET** |"))
    missed = [] if holds else [(ON, f"{ratio:.0%} of metrics off", f"≥ {WANTED:.0%}")]
    return "\n".join(lines) + "\n", missed
