#!/usr/bin/env python3
"""make bench / make bench-compare: load on loopback, a Markdown table and an SVG chart.

    python3 bench/run.py [--compare] [--duration 10] [--quick]

Starts the release build (target/release/todoapi) on a fresh SQLite database
in target/bench/ with the development issuer as the key set on loopback,
mints a token with `todoapi token`, and loads it with oha (its latency
percentiles are trustworthy where wrk's p99 is not). Rows: GET /api/task/
at 1, 16, 64 and 256 connections; GET /api/task/1/; POST and PUT (writes);
the 401 path; the same list under AllowAny without a token (a second
server); a burst of new connections; many distinct tokens (wrk with a Lua
script, since oha sends one header) for the token cache's memory bound.
With TEST_POSTGRES_URL, the list again on a PostgreSQL database of its own.
With --compare, the same rows in the same run against the original
(bench/original/: the tutorial's v1.11 API under gunicorn, installed into
target/bench/original-venv from PyPI), and the ratio per row.

Each row reports req/s, p50, p99, p99.9 and the slowest request, errors
(transport errors and unexpected statuses), the server's CPU per request
(all its processes, from /proc) and its resident memory after the row.
Writes target/bench/results.md, results.json and chart.svg.
Needs oha (`cargo install oha`; the Makefile installs it) and, for the
distinct-tokens row, wrk.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import types
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "bench"
# BENCH_BINARY: another build (e.g. an earlier commit's) measured the same way.
BINARY = Path(os.environ.get("BENCH_BINARY") or ROOT / "target" / "release" / "todoapi")
ORIGINAL = ROOT / "bench" / "original"
VENV = OUT / "original-venv"
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, status=200, timeout=60, headers=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            request = urllib.request.Request(url, headers=headers or {})
            with urllib.request.urlopen(request, timeout=2) as r:
                if r.status == status:
                    return
        except urllib.error.HTTPError as e:
            if e.code == status:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} never answered {status}")


def children(pid):
    """pid and all its descendants (gunicorn's workers)."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                found.extend(children(int(entry.name)))
    return found


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / TICKS


def cpu_times():
    """The machine's CPU ticks: (all, stolen by the hypervisor)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields[:8]), fields[7] if len(fields) > 7 else 0


def rss_mib(pids):
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
    return total / (1024 * 1024)


class Server:
    def __init__(self, name, process, base, db=None):
        self.name, self.process, self.base, self.db = name, process, base, db

    def prune(self):
        """Back to the three seeded tasks, so that the list rows stay comparable."""
        if self.db:
            with sqlite3.connect(self.db) as conn:
                conn.execute("DELETE FROM task WHERE id > 3")

    def pids(self):
        return children(self.process.pid)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def todoapi_env(port, work, database_url, extra=None):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "APP_ENV": "development",
        # BENCH_CONFIG_DIR: that build's own config folder, with BENCH_BINARY.
        "APP_CONFIG_DIR": os.environ.get("BENCH_CONFIG_DIR") or str(ROOT / "config"),
        "APP__SERVER__PORT": str(port),
        "APP__SERVER__STATIC_DIR": "",
        "APP__SERVER__SHUTDOWN_DRAIN_SECS": "0",
        "APP__DATABASE__URL": database_url,
        "APP__AUTH__DEV_ISSUER__KEY_PATH": str(work / "dev_issuer_key.pem"),
        "RUST_LOG": "error",
    }
    env.update(extra or {})
    return env


def start_todoapi(name, work, database_url, extra=None):
    port = free_port()
    env = todoapi_env(port, work, database_url, extra)
    process = subprocess.Popen([str(BINARY), "serve"], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/api/ready/")
    db = None if "://" in database_url else database_url
    return Server(name, process, base, db), env


def mint(env, *args):
    out = subprocess.run([str(BINARY), "token", *args], env=env, check=True, capture_output=True, text=True)
    return out.stdout.split()


def start_original(issuer_base, work):
    python = VENV / "bin" / "python"
    stamp = VENV / "requirements.txt"
    wanted = (ORIGINAL / "requirements.txt").read_text()
    if not python.exists() or not stamp.exists() or stamp.read_text() != wanted:
        print("== installing the original's stack into target/bench/original-venv (PyPI)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                        "-r", str(ORIGINAL / "requirements.txt")], check=True)
        stamp.write_text(wanted)
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "BENCH_DB": str(work / "original.sqlite3"),
        "BENCH_JWKS_URL": f"{issuer_base}/.well-known/jwks.json",
        "BENCH_ISSUER": f"{issuer_base}/",
        "BENCH_AUDIENCE": "todoapi",
    }
    subprocess.run([str(python), "manage.py", "migrate", "-v0"], cwd=ORIGINAL, env=env, check=True)
    # The original's default: 2 sync workers (WEB_CONCURRENCY).
    process = subprocess.Popen([str(VENV / "bin" / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                                "--log-level", "warning", "todoproj.wsgi:application"],
                               cwd=ORIGINAL, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/api/task/", status=401)
    return Server("original", process, base, env["BENCH_DB"])


def oha(url, conns, duration=None, requests=None, method="GET", headers=(), body=None,
        keepalive=True, expected=(200,)):
    args = ["oha", "--no-tui", "--output-format", "json", "-c", str(conns), "-m", method]
    args += ["-z", f"{duration}s"] if duration else ["-n", str(requests)]
    for header in headers:
        args += ["-H", header]
    if body is not None:
        args += ["-d", body, "-T", "application/json"]
    if not keepalive:
        args.append("--disable-keepalive")
    out = subprocess.run(args + [url], check=True, capture_output=True, text=True)
    data = json.loads(out.stdout)
    statuses = {int(k): v for k, v in (data.get("statusCodeDistribution") or {}).items()}
    errors = {k: v for k, v in (data.get("errorDistribution") or {}).items() if "deadline" not in k}
    count = sum(statuses.values())
    unexpected = sum(v for k, v in statuses.items() if k not in expected)
    p = data.get("latencyPercentiles") or {}
    ms = lambda v: None if v is None else v * 1000
    return {
        "requests": count,
        "rps": data["summary"]["requestsPerSec"] if count else 0.0,
        "p50": ms(p.get("p50")), "p99": ms(p.get("p99")), "p999": ms(p.get("p99.9")),
        "slowest": ms(data["summary"].get("slowest")),
        "errors": unexpected + sum(errors.values()),
    }


def measured(server, load):
    """Runs load() (after a 1 s warm-up by the caller) and adds the server's CPU and memory."""
    pids = server.pids()
    before, (ticks, stolen) = cpu_seconds(pids), cpu_times()
    row = load()
    row["cpu_ms"] = (cpu_seconds(pids) - before) * 1000 / row["requests"] if row["requests"] else None
    # A virtual machine's cores are shared: the share the host took tells
    # how much of a row's figure is this machine's, not the server's.
    after_ticks, after_stolen = cpu_times()
    row["steal"] = 100 * (after_stolen - stolen) / (after_ticks - ticks) if after_ticks > ticks else None
    row["rss"] = rss_mib(pids)
    return row


def wrk_tokens(server, tokens_file, conns, duration):
    """wrk with a Lua script that sends the tokens of a file in turn."""
    script = OUT / "tokens.lua"
    script.write_text(
        "local tokens = {}\n"
        f"for line in io.lines('{tokens_file}') do tokens[#tokens + 1] = line end\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #tokens + 1\n"
        "  return wrk.format('GET', '/api/task/', { Authorization = 'Bearer ' .. tokens[i] })\n"
        "end\n"
        "done = function(summary, latency, requests)\n"
        "  io.write(string.format('JSON {\"requests\": %d, \"errors\": %d, \"non2xx\": %d, \"p50\": %f, \"p99\": %f, \"p999\": %f, \"max\": %f, \"seconds\": %f}\\n',\n"
        "    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,\n"
        "    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000,\n"
        "    latency:percentile(99.9) / 1000, latency.max / 1000, summary.duration / 1e6))\n"
        "end\n")
    out = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{duration}s", "-s", str(script), f"{server.base}/api/task/"],
                         check=True, capture_output=True, text=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("JSON "))
    data = json.loads(line[5:])
    return {"requests": data["requests"], "rps": data["requests"] / data["seconds"],
            "p50": data["p50"], "p99": data["p99"], "p999": data["p999"], "slowest": data["max"],
            "errors": data["errors"] + data["non2xx"]}


def fmt(value, digits=1):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}".replace(",", " ")
    return f"{value:.{digits}f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--compare", action="store_true", help="the same rows against the original")
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", "10")))
    parser.add_argument("--scale-only", action="store_true", help="the scale rows alone")
    parser.add_argument("--no-scale", action="store_true",
                        help="leave out the scale rows (bench/scale.py: 1 100 013 tasks per backend)")
    parser.add_argument("--tokens", type=int, default=int(os.environ.get("BENCH_TOKENS", "100000")),
                        help="distinct tokens for the memory row (0: no such row)")
    args = parser.parse_args()
    for tool in ["oha"] + (["wrk"] if args.tokens else []):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} not found (make bench installs oha; apt-get install wrk)")
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=OUT))
    servers = []
    rows = []
    try:
        main_server, env = start_todoapi("todoapi", work, str(work / "todoapi.sqlite3"))
        servers.append(main_server)
        token = mint(env, "--expires-in", "86400")[0]
        auth = [f"Authorization: Bearer {token}"]
        open_server, _ = start_todoapi(
            "todoapi AllowAny", work, str(work / "open.sqlite3"),
            {"APP__REST_FRAMEWORK__PERMISSIONS__TASK_LIST": "AllowAny"})
        servers.append(open_server)
        original = start_original(main_server.base, work) if args.compare else None
        if original:
            servers.append(original)
        d = args.duration

        def record(label, server, result, note=""):
            result.update(label=label, server=server.name, note=note)
            rows.append(result)
            print(f"  {server.name:>16} | {label:<34} | {fmt(result['rps']):>8} req/s | p99 {fmt(result['p99'], 2):>6} ms"
                  f" | errors {result['errors']} | stolen {fmt(result.get('steal'), 0)}%", flush=True)
            return result

        def row(label, server, load, note=""):
            load(1)  # warm-up
            return record(label, server, measured(server, lambda: load(d)), note)

        postgres = os.environ.get("TEST_POSTGRES_URL")
        if not args.scale_only:
            targets = [main_server] + ([original] if original else [])
            print("== rows", flush=True)
            for server in targets:
                for conns in (1, 16, 64, 256):
                    row(f"GET /api/task/, {conns} conn", server,
                        lambda t, s=server, c=conns: oha(f"{s.base}/api/task/", c, t, headers=auth))
                row("GET /api/task/1/, 64 conn", server,
                    lambda t, s=server: oha(f"{s.base}/api/task/1/", 64, t, headers=auth))
                row("POST /api/task/, 16 conn", server,
                    lambda t, s=server: oha(f"{s.base}/api/task/", 16, t, method="POST", headers=auth,
                                            body='{"title": "Bench", "content": "Load"}', expected=(201,)))
                server.prune()
                row("PUT /api/task/1/, 16 conn", server,
                    lambda t, s=server: oha(f"{s.base}/api/task/1/", 16, t, method="PUT", headers=auth,
                                            body='{"title": "Workout", "content": "Squat, bench press, deadlift."}'))
                row("no token (401), 64 conn", server,
                    lambda t, s=server: oha(f"{s.base}/api/task/", 64, t, expected=(401,)))
                row("burst: 20 000 new connections, 256", server,
                    lambda t, s=server: oha(f"{s.base}/api/task/", 256, requests=20000 if t > 1 else 500,
                                            headers=auth, keepalive=False))
            row("GET /api/task/ AllowAny, no token, 64", open_server,
                lambda t: oha(f"{open_server.base}/api/task/", 64, t))

            if postgres:
                name = f"todoapi_bench_{os.getpid()}"
                subprocess.run(["psql", postgres, "-q", "-c", f'CREATE DATABASE "{name}"'], check=True)
                try:
                    url = postgres.rsplit("/", 1)[0] + f"/{name}"
                    pg_server, pg_env = start_todoapi("todoapi PostgreSQL", work, url)
                    servers.append(pg_server)
                    pg_token = mint(pg_env, "--expires-in", "86400")[0]
                    for conns in (16, 64):
                        row(f"GET /api/task/, {conns} conn", pg_server,
                            lambda t, c=conns: oha(f"{pg_server.base}/api/task/", c, t,
                                                   headers=[f"Authorization: Bearer {pg_token}"]))
                    pg_server.stop()
                finally:
                    subprocess.run(["psql", postgres, "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])

        if not args.no_scale:
            import scale
            bench = types.SimpleNamespace(work=work, duration=d, mint=mint, oha=oha, row=row,
                                          record=record, measured=measured)

            def start(label, database_url, extra):
                server, server_env = start_todoapi(f"todoapi {label}", work, database_url, extra)
                servers.append(server)
                return server, server_env

            bench.start = start
            small, large = work / "scale-small.sqlite3", work / "scale-large.sqlite3"
            scale.rows_for(bench, "SQLite", str(small), str(large), lambda: scale.fill_sqlite(large))
            if postgres:
                names = [f"todoapi_scale_{size}_{os.getpid()}" for size in ("small", "large")]
                urls = [postgres.rsplit("/", 1)[0] + f"/{name}" for name in names]
                try:
                    for name in names:
                        subprocess.run(["psql", postgres, "-q", "-c", f'CREATE DATABASE "{name}"'], check=True)
                    scale.rows_for(bench, "PostgreSQL", urls[0], urls[1], lambda: scale.fill_postgres(urls[1]))
                finally:
                    for name in names:
                        subprocess.run(["psql", postgres, "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])

        if args.tokens and not args.scale_only:
            print(f"== minting {args.tokens} distinct tokens", flush=True)
            tokens_file = work / "tokens.txt"
            tokens = mint(env, "--expires-in", "86400", "--count", str(args.tokens))
            tokens_file.write_text("\n".join(tokens) + "\n")
            target = 10 * args.tokens  # each token ten times: 1 000 000 requests by default

            def until_target():
                done = {"requests": 0, "seconds": 0.0, "errors": 0, "slowest": 0.0}
                last = None
                while done["requests"] < target:
                    start = time.time()
                    last = wrk_tokens(main_server, tokens_file, 64, max(d, 5))
                    done["seconds"] += time.time() - start
                    done["requests"] += last["requests"]
                    done["errors"] += last["errors"]
                    done["slowest"] = max(done["slowest"], last["slowest"])
                # Latency percentiles of the last run: every token cached by then.
                return dict(last, requests=done["requests"], errors=done["errors"],
                            slowest=done["slowest"], rps=done["requests"] / done["seconds"])

            result = measured(main_server, until_target)
            result.update(label=f"{args.tokens} distinct tokens, 64 conn (wrk)", server="todoapi",
                          note=f"{result['requests']} requests")
            rows.append(result)
            print(f"  {'todoapi':>16} | {result['label']:<34} | {fmt(result['rps']):>8} req/s | "
                  f"RSS {result['rss']:.1f} MiB | {result['note']}", flush=True)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    report(rows, args)


def report(rows, args):
    by = {(r["server"], r["label"]): r for r in rows}
    lines = [
        f"`make {'bench-compare' if args.compare else 'bench'}`, {time.strftime('%Y-%m-%d')}, "
        f"{os.cpu_count()} cores shared by the server and the load generator (oha), "
        f"{args.duration} s per row after a 1 s warm-up; SQLite unless the server says PostgreSQL.",
        "",
        "| server | load | req/s | p50 ms | p99 ms | p99.9 ms | slowest ms | errors | server CPU ms/req | server RSS MiB | CPU stolen % |"
        + (" × original |" if args.compare else ""),
        "|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if args.compare else ""),
    ]
    for r in rows:
        ratio = ""
        if args.compare:
            other = by.get(("original", r["label"]))
            ratio = f" {r['rps'] / other['rps']:.0f}× |" if other and other["rps"] and r["server"] == "todoapi" else " |"
        lines.append(
            f"| {r['server']} | {r['label']} | {fmt(r['rps'])} | {fmt(r['p50'], 2)} | {fmt(r['p99'], 2)} | "
            f"{fmt(r['p999'], 2)} | {fmt(r['slowest'], 1)} | {r['errors']} | {fmt(r['cpu_ms'], 3)} | {fmt(r['rss'], 1)} | {fmt(r.get('steal'), 0)} |{ratio}")
    table = "\n".join(lines) + "\n"
    if not args.no_scale:
        import scale
        targets, missed = scale.report()
        table += "\nScale targets (bench/scale.py), ratios of this run:\n\n" + targets
    print()
    print(table)
    (OUT / "results.md").write_text(table)
    (OUT / "results.json").write_text(json.dumps(rows, indent=2))
    (OUT / "chart.svg").write_text(chart(rows))
    print(f"written: {OUT / 'results.md'}, results.json, chart.svg")
    if not args.no_scale and missed:
        print("\nbench: TARGETS NOT MET:\n" + "\n".join(f"  - {t[0]}: {t[1]}, wanted {t[2]}" for t in missed))


def chart(rows):
    """req/s and p99 against connections, GET /api/task/, each server a line."""
    conns = [1, 16, 64, 256]
    series = {}
    for r in rows:
        if r["label"].startswith("GET /api/task/, ") and r["label"].endswith(" conn"):
            c = int(r["label"].split(", ")[1].split()[0])
            series.setdefault(r["server"], {})[c] = r
    colors = {"todoapi": "#2d5be3", "original": "#c0392b", "todoapi PostgreSQL": "#27ae60"}
    w, h, pad = 720, 300, 60

    def panel(x0, title, key, log):
        values = [r[key] for s in series.values() for r in s.values() if r.get(key)]
        top = max(values) if values else 1
        import math
        def y(v):
            if not v:
                return h - pad
            if log:
                return h - pad - (math.log10(v) / math.log10(top * 1.2 if top > 1 else 10)) * (h - 2 * pad) if v > 1 else h - pad
            return h - pad - v / (top * 1.1) * (h - 2 * pad)
        def x(c):
            return x0 + pad + conns.index(c) / (len(conns) - 1) * (w / 2 - 2 * pad)
        out = [f'<text x="{x0 + w / 4}" y="20" text-anchor="middle" font-size="14">{title}</text>',
               f'<line x1="{x0 + pad}" y1="{h - pad}" x2="{x0 + w / 2 - pad}" y2="{h - pad}" stroke="#999"/>',
               f'<line x1="{x0 + pad}" y1="{pad}" x2="{x0 + pad}" y2="{h - pad}" stroke="#999"/>']
        for c in conns:
            out.append(f'<text x="{x(c)}" y="{h - pad + 18}" text-anchor="middle" font-size="11">{c}</text>')
        out.append(f'<text x="{x0 + w / 4}" y="{h - 15}" text-anchor="middle" font-size="11">connections</text>')
        out.append(f'<text x="{x0 + 8}" y="{pad - 10}" font-size="11">max {fmt(top, 2)}</text>')
        for name, points in series.items():
            pts = [(x(c), y(points[c].get(key))) for c in conns if c in points]
            color = colors.get(name, "#555")
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
                       + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts) + '"/>')
            for (a, b), c in zip(pts, [c for c in conns if c in points]):
                out.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{color}"><title>{name} {c}: {fmt(points[c].get(key), 2)}</title></circle>')
        return out

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h + 30}" font-family="sans-serif">',
             '<rect width="100%" height="100%" fill="white"/>']
    parts += panel(0, "GET /api/task/ — requests/s (log scale)", "rps", True)
    parts += panel(w / 2, "GET /api/task/ — p99 latency, ms", "p99", False)
    for i, name in enumerate(series):
        parts.append(f'<text x="{pad + i * 200}" y="{h + 20}" font-size="12" fill="{colors.get(name, "#555")}">■ {name}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    main()
