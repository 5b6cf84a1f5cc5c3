"""make bench's scale rows: what a request costs as the table grows.

On each backend (SQLite; PostgreSQL with TEST_POSTGRES_URL), one database
filled by the bench itself:

- the creator-mode list of user u1, who has 10 tasks, on a 13-row table and
  on one that also holds 1 000 000 tasks of 10 000 other users and 100 000
  of user "big" (target: at least 90% of the 13-row throughput);
- CursorPagination, user "big": page 1 and the page 10 000 pages in, its
  cursor reached by following `next` (target: within 10%); and
  PageNumberPagination's page 1 for the same user (its COUNT(*));
- shared mode, all 1 100 013 rows, paginated: cursor pages and page-number
  page 1, with the server's peak resident memory (target: under 64 MiB) and
  the rows each answer carried.

The rows a target compares are measured alternately, a few seconds each
over six rounds (their medians), so that this machine's ups and downs
fall on both alike; `report()` says which targets a run missed.
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
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def fill_postgres(url):
    subprocess.run(["psql", url, "-q", "-c", f"""
        INSERT INTO task (title, content, created_on, due_date, created_by)
        SELECT 'Task ' || i, 'Filler', '2026-01-01', '2026-02-01', 'user' || (i % {OTHER_USERS})
        FROM generate_series(1, {OTHERS}) AS i;
        INSERT INTO task (title, content, created_on, due_date, created_by)
        SELECT 'Big ' || i, 'Filler', '2026-01-01', '2026-02-01', 'big' FROM generate_series(1, {BIG}) AS i;"""],
                   check=True)
    # As autovacuum leaves a table of a year's rows (visibility map set).
    subprocess.run(["psql", url, "-q", "-c", "VACUUM ANALYZE task"], check=True)


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


ROUNDS = 6


def alternately(bench, loads):
    """Each (server, load) in turn, ROUNDS times, the order flipped each round,
    so that the machine's ups and downs fall on all of them alike: per load,
    the medians of the rounds (and the server's CPU and memory)."""
    seconds = max(2, bench.duration // 3)
    for _, load in loads:
        load(1)  # warm-up
    runs = [[] for _ in loads]
    for i in range(ROUNDS):
        order = list(range(len(loads))) if i % 2 == 0 else list(reversed(range(len(loads))))
        for k in order:
            server, load = loads[k]
            runs[k].append(bench.measured(server, lambda: load(seconds)))
    out = []
    for results in runs:
        row = {}
        for key in results[0]:
            values = sorted(r[key] for r in results if r[key] is not None)
            row[key] = values[len(values) // 2] if values else None
        row["requests"] = sum(r["requests"] for r in results)
        row["errors"] = sum(r["errors"] for r in results)
        out.append(row)
    return out


def post(base, token, title):
    request = urllib.request.Request(
        f"{base}/api/task/", data=json.dumps({"title": title, "content": "u1"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    urllib.request.urlopen(request).close()


def rows_for(bench, name, small_url, large_url, fill):
    """The scale rows of one backend, on a 13-row database and a filled one.
    `bench` is run.py's toolbox."""
    creator = {"APP__TASKS__OWNERSHIP": "creator", **ISSUER}
    small, env = bench.start(f"{name} 13 rows", small_url, creator)
    large, _ = bench.start(f"{name} 1 100 013 rows", large_url, creator)
    u1 = bench.mint(env, "--sub", "u1", "--expires-in", "86400")[0]
    big = bench.mint(env, "--sub", "big", "--expires-in", "86400")[0]
    for server in (small, large):
        for i in range(10):
            post(server.base, u1, f"Mine {i}")
    # Filled while no server has it open, then served by a fresh one, as an
    # operator's server starts on a year of data.
    large.stop()
    print(f"== filling {name} with {OTHERS + BIG:,} tasks".replace(",", " "), flush=True)
    fill()
    large, _ = bench.start(f"{name} 1 100 013 rows", large_url, creator)
    auth = [f"Authorization: Bearer {u1}"]
    lists = alternately(bench, [(s, lambda t, s=s: bench.oha(f"{s.base}/api/task/", 64, t, headers=auth))
                                for s in (small, large)])
    bench.record("creator list, 10 of 13 rows, 64 conn", small, lists[0])
    bench.record("creator list, 10 of 1 100 013 rows, 64 conn", large, lists[1])
    small.stop()
    large.stop()
    ratio = lists[1]["rps"] / lists[0]["rps"] if lists[0]["rps"] else 0
    target(f"{name}: creator list at 1 100 013 rows / at 13 rows", f"{ratio:.0%}", "≥ 90%", ratio >= 0.90)

    paged = {**creator, "APP__REST_FRAMEWORK__PAGE_SIZE": str(PAGE),
             "APP__REST_FRAMEWORK__DEFAULT_PAGINATION_CLASS": "CursorPagination"}
    cursor, _ = bench.start(f"{name} cursor", large_url, paged)
    at = f"{cursor.base}/api/task/"
    for _ in range(BIG // PAGE - 1):
        at = get_json(at, big)["next"]
    auth = [f"Authorization: Bearer {big}"]
    pages = alternately(bench, [(cursor, lambda t, u=u: bench.oha(u, 64, t, headers=auth))
                                for u in (f"{cursor.base}/api/task/", at)])
    bench.record(f"cursor page 1 of {BIG} tasks, 64 conn", cursor, pages[0])
    bench.record(f"cursor page 10 000 of {BIG} tasks, 64 conn", cursor, pages[1])
    cursor.stop()
    ratio = pages[1]["rps"] / pages[0]["rps"] if pages[0]["rps"] else 0
    target(f"{name}: cursor page 10 000 / page 1", f"{ratio:.0%}", "90% to 110%", 0.90 <= ratio <= 1.10)

    paged["APP__REST_FRAMEWORK__DEFAULT_PAGINATION_CLASS"] = "PageNumberPagination"
    numbered, _ = bench.start(f"{name} page number", large_url, paged)
    bench.row(f"page-number page 1 of {BIG} tasks (COUNT), 16 conn", numbered,
              lambda t: bench.oha(f"{numbered.base}/api/task/", 16, t, headers=auth))
    numbered.stop()

    for cls, label, conns in [("CursorPagination", "cursor page 1", 64),
                              ("PageNumberPagination", "page-number page 1 (COUNT)", 16)]:
        shared = {"APP__REST_FRAMEWORK__PAGE_SIZE": str(PAGE), "APP__REST_FRAMEWORK__DEFAULT_PAGINATION_CLASS": cls,
                  **ISSUER}
        server, _ = bench.start(f"{name} shared", large_url, shared)
        carried = len(get_json(f"{server.base}/api/task/", u1)["results"])
        result = bench.row(f"shared, 1 100 013 rows, {label}, {conns} conn", server,
                           lambda t: bench.oha(f"{server.base}/api/task/", conns, t,
                                               headers=[f"Authorization: Bearer {u1}"]),
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
