"""make bench's scale rows: what a request costs as the table grows.

On each backend (SQLite; PostgreSQL with TEST_POSTGRES_URL), one database
filled by the bench itself:

- the creator-mode list of user u1, who has 10 tasks, on a 13-row table and
  again after 1 000 000 tasks of 10 000 other users and 100 000 of user
  "big" are added (target: at least 90% of the 13-row throughput);
- CursorPagination, user "big": page 1 and the page 10 000 pages in, its
  cursor reached by following `next` (target: within 10%); and
  PageNumberPagination's page 1 for the same user (its COUNT(*));
- shared mode, all 1 100 013 rows, paginated: cursor pages and page-number
  page 1, with the server's peak resident memory (target: under 64 MiB) and
  the rows each answer carried.

Each server runs alone while it is measured; the ratios compare rows of
this one run. `check(rows)` says which targets a run missed.
"""
import json
import subprocess
import urllib.request

PAGE = 10
# One issuer for every scale server, so that one token serves them all.
ISSUER = {"APP__AUTH__DEV_ISSUER__ISSUER": "http://scale.bench.localhost/"}
OTHERS, OTHER_USERS, BIG = 1_000_000, 10_000, 100_000
TARGETS = []  # (label, ratio or value, wanted, holds)


def fill_sqlite(path):
    import sqlite3
    with sqlite3.connect(path) as conn:
        conn.executescript(f"""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {OTHERS})
            INSERT INTO task (title, content, created_on, due_date, created_by)
            SELECT 'Task ' || i, 'Filler', '2026-01-01', '2026-02-01', 'user' || (i % {OTHER_USERS}) FROM n;
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {BIG})
            INSERT INTO task (title, content, created_on, due_date, created_by)
            SELECT 'Big ' || i, 'Filler', '2026-01-01', '2026-02-01', 'big' FROM n;
            ANALYZE;""")


def fill_postgres(url):
    subprocess.run(["psql", url, "-q", "-c", f"""
        INSERT INTO task (title, content, created_on, due_date, created_by)
        SELECT 'Task ' || i, 'Filler', '2026-01-01', '2026-02-01', 'user' || (i % {OTHER_USERS})
        FROM generate_series(1, {OTHERS}) AS i;
        INSERT INTO task (title, content, created_on, due_date, created_by)
        SELECT 'Big ' || i, 'Filler', '2026-01-01', '2026-02-01', 'big' FROM generate_series(1, {BIG}) AS i;
        ANALYZE;"""], check=True)


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def get_json(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.load(r)


def target(label, value, wanted, holds):
    TARGETS.append((label, value, wanted, holds))


def rows_for(bench, name, url, fill):
    """The scale rows of one backend. `bench` is run.py's toolbox."""
    work, d = bench.work, bench.duration
    server_env = {"APP__TASKS__OWNERSHIP": "creator", **ISSUER}
    first, env = bench.start(f"{name} creator", url, server_env)
    u1 = bench.mint(env, "--sub", "u1", "--expires-in", "86400")[0]
    big = bench.mint(env, "--sub", "big", "--expires-in", "86400")[0]
    for i in range(10):
        request = urllib.request.Request(
            f"{first.base}/api/task/", data=json.dumps({"title": f"Mine {i}", "content": "u1"}).encode(),
            headers={"Authorization": f"Bearer {u1}", "Content-Type": "application/json"})
        urllib.request.urlopen(request).close()
    auth = [f"Authorization: Bearer {u1}"]
    small = bench.row("creator list, 10 of 13 rows, 64 conn", first,
                      lambda t: bench.oha(f"{first.base}/api/task/", 64, t, headers=auth))
    print(f"== filling {name} with {OTHERS + BIG:,} tasks".replace(",", " "), flush=True)
    fill()
    large = bench.row("creator list, 10 of 1 100 013 rows, 64 conn", first,
                      lambda t: bench.oha(f"{first.base}/api/task/", 64, t, headers=auth))
    first.stop()
    ratio = large["rps"] / small["rps"] if small["rps"] else 0
    target(f"{name}: creator list at 1 100 013 rows / at 13 rows", f"{ratio:.0%}", "≥ 90%", ratio >= 0.90)

    paged = {"APP__TASKS__OWNERSHIP": "creator", "APP__REST_FRAMEWORK__PAGE_SIZE": str(PAGE), **ISSUER,
             "APP__REST_FRAMEWORK__DEFAULT_PAGINATION_CLASS": "CursorPagination"}
    cursor, _ = bench.start(f"{name} cursor", url, paged)
    at = f"{cursor.base}/api/task/"
    for _ in range(BIG // PAGE - 1):
        at = get_json(at, big)["next"]
    deep_url = at
    auth = [f"Authorization: Bearer {big}"]
    page1 = bench.row(f"cursor page 1 of {BIG} tasks, 64 conn", cursor,
                      lambda t: bench.oha(f"{cursor.base}/api/task/", 64, t, headers=auth))
    deep = bench.row(f"cursor page 10 000 of {BIG} tasks, 64 conn", cursor,
                     lambda t: bench.oha(deep_url, 64, t, headers=auth))
    cursor.stop()
    ratio = deep["rps"] / page1["rps"] if page1["rps"] else 0
    target(f"{name}: cursor page 10 000 / page 1", f"{ratio:.0%}", "90% to 110%", 0.90 <= ratio <= 1.10)

    paged["APP__REST_FRAMEWORK__DEFAULT_PAGINATION_CLASS"] = "PageNumberPagination"
    numbered, _ = bench.start(f"{name} page number", url, paged)
    bench.row(f"page-number page 1 of {BIG} tasks (COUNT), 64 conn", numbered,
              lambda t: bench.oha(f"{numbered.base}/api/task/", 64, t, headers=auth))
    numbered.stop()

    for cls, label in [("CursorPagination", "cursor page 1"), ("PageNumberPagination", "page-number page 1 (COUNT)")]:
        shared = {"APP__REST_FRAMEWORK__PAGE_SIZE": str(PAGE), "APP__REST_FRAMEWORK__DEFAULT_PAGINATION_CLASS": cls,
                  **ISSUER}
        server, _ = bench.start(f"{name} shared", url, shared)
        carried = len(get_json(f"{server.base}/api/task/", u1)["results"])
        result = bench.row(f"shared, 1 100 013 rows, {label}, 64 conn", server,
                           lambda t: bench.oha(f"{server.base}/api/task/", 64, t, headers=[f"Authorization: Bearer {u1}"]),
                           note=f"{carried} rows an answer")
        peak = peak_rss_mib(server.process.pid)
        result["peak_rss"] = peak
        server.stop()
        target(f"{name}: shared {label}, peak RSS", f"{peak:.1f} MiB", "< 64 MiB", peak is not None and peak < 64)
        target(f"{name}: shared {label}, rows an answer", str(carried), f"≤ {PAGE}", carried <= PAGE)


def report():
    lines = ["| target | measured | wanted | |", "|---|---|---|---|"]
    for label, value, wanted, holds in TARGETS:
        lines.append(f"| {label} | {value} | {wanted} | {'met' if holds else '**NOT MET**'} |")
    missed = [t for t in TARGETS if not t[3]]
    return "\n".join(lines) + "\n", missed
