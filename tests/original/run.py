"""make test-original, after run.sh has made the venv: see run.sh.

    python run.py TODOAPI_BINARY

For each backend: the original's v1.14 database (the fixture), `todoapi
check` (the index reported missing), `todoapi add-indexes` (twice: the
second adds nothing), `check` again (nothing missing); then the original
itself (bench/original with ORIGINAL_VERSION=v1.14 under gunicorn) lists,
creates, edits tasks and refuses another's, and this server in creator
mode serves the same database. Tokens come from a development issuer (a
`todoapi serve` of its own), trusted by both.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ORIGINAL = ROOT / "bench" / "original"
FIXTURES = ROOT / "tests" / "fixtures" / "original"
BIN = sys.argv[1]
VENV_BIN = Path(sys.executable).parent
TMP = Path(tempfile.mkdtemp(prefix="todoapi-original-"))
PROCESSES = []


def check(condition, message):
    if not condition:
        raise SystemExit(f"check failed: {message}")
    print(f"  ok  {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def todoapi_env(**extra):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", ""),
           "APP_CONFIG_DIR": str(ROOT / "config"), "RUST_LOG": "warn", "APP_ENV": "test"}
    env.update(extra)
    return env


def todoapi(args, **extra):
    return subprocess.run([BIN, *args], env=todoapi_env(**extra), capture_output=True, text=True)


def start(args, cwd, env, ready_url, status):
    process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    PROCESSES.append(process)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(ready_url, timeout=2).close()
            return process
        except urllib.error.HTTPError as e:
            if e.code == status:
                return process
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{args[0]} did not start")


def call(method, url, token, body=None):
    request = urllib.request.Request(url, method=method, headers={"Authorization": f"Bearer {token}"})
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def keys():
    """A development issuer of its own: the JWKS both servers trust, and tokens."""
    port = free_port()
    env = todoapi_env(APP_ENV="development", APP__SERVER__PORT=str(port), APP__SERVER__STATIC_DIR="",
                      APP__DATABASE__URL=str(TMP / "keys.sqlite3"),
                      APP__AUTH__DEV_ISSUER__KEY_PATH=str(TMP / "key.pem"))
    base = f"http://127.0.0.1:{port}"
    start([BIN, "serve"], ROOT, env, f"{base}/api/health/", 200)

    def token(sub):
        out = subprocess.run([BIN, "token", "--sub", sub], env=env, capture_output=True, text=True, check=True)
        return out.stdout.strip()
    return base, token


def one_backend(name, database, original_db_env, issuer, token):
    print(f"{name}:", flush=True)
    out = todoapi(["check"], APP__DATABASE__URL=database)
    check("lacks the list's index todoapi_task_created_by_id" in out.stdout and "todoapi add-indexes" in out.stdout,
          "todoapi check reports the missing index and the command that adds it")
    out = todoapi(["add-indexes"], APP__DATABASE__URL=database)
    check(out.returncode == 0 and out.stdout.strip() == "added index todoapi_task_created_by_id",
          f"todoapi add-indexes adds it ({out.stdout.strip()}{out.stderr.strip()})")
    out = todoapi(["add-indexes"], APP__DATABASE__URL=database)
    check(out.stdout.strip() == "no index to add: the database has the list's indexes", "a second run adds nothing")
    out = todoapi(["check"], APP__DATABASE__URL=database)
    check(out.returncode == 0 and "lacks" not in out.stdout, "todoapi check has nothing more to say")

    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "ORIGINAL_VERSION": "v1.14",
           "BENCH_JWKS_URL": f"{issuer}/.well-known/jwks.json", "BENCH_ISSUER": f"{issuer}/",
           "BENCH_AUDIENCE": "todoapi", **original_db_env}
    base = f"http://127.0.0.1:{port}"
    original = start([str(VENV_BIN / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                      "todoproj.wsgi:application"], ORIGINAL, env, f"{base}/api/task/", 401)
    alice = token("auth0|alice")
    status, tasks = call("GET", f"{base}/api/task/", alice)
    check(status == 200 and [t["title"] for t in tasks] == ["Read the tutorial"], f"the original lists alice's task ({status})")
    status, made = call("POST", f"{base}/api/task/", alice, {"title": "After the index", "content": "still works"})
    check(status == 201 and made["title"] == "After the index", f"the original creates one ({status})")
    status, edited = call("PUT", f"{base}/api/task/{made['id']}/", alice,
                          {"title": "Edited", "content": "by the original", "due_date": "2030-01-01"})
    check(status == 200 and edited["due_date"] == "2030-01-01", f"the original edits it ({status})")
    status, _ = call("GET", f"{base}/api/task/5/", alice)
    check(status == 403, "and refuses another's task, as at v1.14")
    status, tasks = call("GET", f"{base}/api/task/", alice)
    check([t["title"] for t in tasks] == ["Read the tutorial", "Edited"], "the original lists both")
    original.terminate()
    original.wait(10)

    port = free_port()
    ours = todoapi_env(APP__SERVER__PORT=str(port), APP__DATABASE__URL=database, APP__TASKS__OWNERSHIP="creator",
                       APP__AUTH__ISSUER=f"{issuer}/", APP__AUTH__JWKS_URI=f"{issuer}/.well-known/jwks.json",
                       APP__AUTH__AUDIENCE="todoapi")
    ours_base = f"http://127.0.0.1:{port}"
    server = start([BIN, "serve"], ROOT, ours, f"{ours_base}/api/health/", 200)
    status, tasks = call("GET", f"{ours_base}/api/task/", alice)
    check(status == 200 and [t["title"] for t in tasks] == ["Read the tutorial", "Edited"],
          f"and todoapi serves the same rows ({status})")
    server.terminate()
    server.wait(10)


def main():
    try:
        issuer, token = keys()
        sqlite = TMP / "original.sqlite3"
        import sqlite3
        with sqlite3.connect(sqlite) as conn:
            conn.executescript((FIXTURES / "v1.14-sqlite.sql").read_text())
        one_backend("SQLite", str(sqlite), {"BENCH_DB": str(sqlite)}, issuer, token)
        admin = os.environ.get("TEST_POSTGRES_URL")
        if not admin:
            print("== the original on PostgreSQL SKIPPED: TEST_POSTGRES_URL is not set")
            return
        import psycopg2
        name = f"todoapi_original_{os.getpid()}"
        conn = psycopg2.connect(admin)
        conn.autocommit = True
        conn.cursor().execute(f'CREATE DATABASE "{name}"')
        url = admin.rsplit("/", 1)[0] + f"/{name}"
        try:
            with psycopg2.connect(url) as db:
                db.cursor().execute((FIXTURES / "v1.14-postgres.sql").read_text())
            one_backend("PostgreSQL", url, {"BENCH_PG_URL": url}, issuer, token)
        finally:
            conn.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        for process in PROCESSES:
            if process.poll() is None:
                process.kill()
        subprocess.run(["rm", "-rf", str(TMP)])
    print("the original on its databases: all passed")


if __name__ == "__main__":
    main()
