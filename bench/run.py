#!/usr/bin/env python3
"""make bench / make bench-compare: load on loopback, a Markdown table and an SVG chart.

    python3 bench/run.py [--compare] [--duration 10] [--no-scale] [--tokens N]

Starts the release build (target/release/todoapi) on a fresh SQLite database
in target/bench/ with the development issuer as the key set on loopback,
mints a token with `todoapi token`, and loads it with oha (its latency
percentiles are trustworthy where wrk's p99 is not). Rows: GET /api/task/
at 1, 16 and 256 connections; the request path (bench/path.py: GET /api/,
the list and the detail at 64, POST and PUT at 16, alternately); the 401
path; the list under AllowAny without a token (a second server); a burst
of new connections; many distinct tokens (wrk with a Lua script, since oha
sends one header) for the token cache's memory bound. With
TEST_POSTGRES_URL, the list and the path rows on a PostgreSQL database of
its own; then the scale rows (bench/scale.py). With --compare, the same rows
against the original (bench/original/: the tutorial's v1.11 API under
gunicorn, from PyPI into target/bench/original-venv), and the ratio per row.

Each row reports req/s, p50, p99, p99.9 and the slowest request, errors
(transport errors and unexpected statuses), the server's CPU per request
(all its processes, from /proc) and its resident memory after the row.
bench/report.py writes target/bench/results.md, results.json and
chart.svg, and fails (exit status 1) naming the targets a run missed.
Needs oha (the Makefile installs it) and, for the distinct-tokens row, wrk.
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

import path
import report
from report import fmt
import scale
import observe
import throttle
import tokens

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
        if self.db and "://" in self.db:
            # VACUUM too: the dead rows of a POST round would otherwise make
            # the next list round read them (the list measured 7 600 req/s beside
            # the detail's 11 400; not yet measured with this).
            subprocess.run(["psql", self.db, "-q", "-c", "DELETE FROM task WHERE id > 3",
                            "-c", "VACUUM task"], check=True)
        elif self.db:
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
    return Server(name, process, base, database_url), env


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

        bench = types.SimpleNamespace(work=work, duration=d, mint=mint, oha=oha, row=row,
                                      record=record, measured=measured, rows=rows)
        postgres = os.environ.get("TEST_POSTGRES_URL")
        if not args.scale_only:
            targets = [main_server] + ([original] if original else [])
            print("== rows", flush=True)
            for server in targets:
                for conns in (1, 16, 256):
                    row(f"GET /api/task/, {conns} conn", server,
                        lambda t, s=server, c=conns: oha(f"{s.base}/api/task/", c, t, headers=auth))
                path.rows(bench, server, auth, root=server is not original)
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
                    pg_auth = [f"Authorization: Bearer {pg_token}"]
                    for conns in (16, 256):
                        row(f"GET /api/task/, {conns} conn", pg_server,
                            lambda t, c=conns: oha(f"{pg_server.base}/api/task/", c, t, headers=pg_auth))
                    path.rows(bench, pg_server, pg_auth)
                    pg_server.stop()
                finally:
                    subprocess.run(["psql", postgres, "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])

        if not args.no_scale:
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

        if not args.scale_only:
            def start_throttled(label, extra):
                server, server_env = start_todoapi(f"todoapi {label}", work, str(work / f"{label}.sqlite3"), extra)
                servers.append(server)
                return server, server_env

            print("== throttling", flush=True)
            throttle.rows(bench, start_throttled,
                          lambda e: [f"Authorization: Bearer {mint(e, '--expires-in', '86400')[0]}"])
            print("== metrics", flush=True)
            observe.rows(bench, start_throttled,
                         lambda e: [f"Authorization: Bearer {mint(e, '--expires-in', '86400')[0]}"], free_port)

        if args.tokens and not args.scale_only:
            tokens.row(bench, main_server, env, args.tokens)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)

    sys.exit(report.write(rows, args, OUT))


if __name__ == "__main__":
    main()
