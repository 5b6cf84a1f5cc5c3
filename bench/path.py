"""make bench's request-path rows: what the database half of a request costs.

`GET /api/` (the API root: authentication and a small JSON body, no
database) is the server's floor. The list, the detail, POST and PUT are
measured alternately with it, over the rounds of `scale.alternately` (their
medians), so that their ratios to it do not depend on this machine's ups
and downs; `targets()` compares them with the figures wanted.
"""
from scale import alternately

ROOT = "GET /api/, 64 conn"
LIST = "GET /api/task/, 64 conn"
DETAIL = "GET /api/task/1/, 64 conn"
POST = "POST /api/task/, 16 conn"
PUT = "PUT /api/task/1/, 16 conn"

# (backend, label, ratio to GET /api/ at least, p99 ms at most, req/s at least)
WANTED = [
    ("SQLite", LIST, 0.70, 5.0, None),
    ("SQLite", DETAIL, 0.70, 5.0, None),
    ("SQLite", POST, 0.40, None, None),
    ("SQLite", PUT, 0.40, None, None),
    ("PostgreSQL", LIST, 0.25, 10.0, 14000),
    ("PostgreSQL", DETAIL, 0.25, 10.0, 14000),
]


def rows(bench, server, auth, root=True):
    """The path rows of one server (the original has no API root: root=False).
    A POST round's tasks are removed after it, so the list keeps its three rows."""
    oha, base = bench.oha, server.base

    def post(t):
        result = oha(f"{base}/api/task/", 16, t, method="POST", headers=auth,
                     body='{"title": "Bench", "content": "Load"}', expected=(201,))
        server.prune()
        return result

    loads = [
        (ROOT, lambda t: oha(f"{base}/api/", 64, t, headers=auth)),
        (LIST, lambda t: oha(f"{base}/api/task/", 64, t, headers=auth)),
        (DETAIL, lambda t: oha(f"{base}/api/task/1/", 64, t, headers=auth)),
        (POST, post),
        (PUT, lambda t: oha(f"{base}/api/task/1/", 16, t, method="PUT", headers=auth,
                            body='{"title": "Workout", "content": "Squat, bench press, deadlift."}')),
    ][0 if root else 1:]
    results = alternately(bench, [(server, load) for _, load in loads])
    for (label, _), result in zip(loads, results):
        bench.record(label, server, result, note="alternately")


def thousands(value):
    return f"{value:,.0f}".replace(",", " ")


def targets(rows_by, servers):
    """The wanted figures against the rows measured: a Markdown table and the
    targets missed. `servers` maps a backend to the server name its rows have."""
    lines = ["| backend | row | share of GET /api/ | p99 ms | req/s | wanted | |", "|---|---|---|---|---|---|---|"]
    missed, unmeasured = [], []
    for backend, label, share, p99, rps in WANTED:
        row, root = rows_by.get((servers.get(backend), label)), rows_by.get((servers.get(backend), ROOT))
        wanted = ", ".join(w for w in [f"≥ {share:.0%}", p99 and f"p99 ≤ {p99:g} ms",
                                       rps and f"≥ {thousands(rps)} req/s"] if w)
        if not row or not root:
            unmeasured.append(f"{backend}: {label}")
            lines.append(f"| {backend} | {label} | - | - | - | {wanted} | not measured |")
            continue
        ratio = row["rps"] / root["rps"] if root["rps"] else 0
        holds = ratio >= share and (p99 is None or (row["p99"] or 0) <= p99) and (rps is None or row["rps"] >= rps)
        if not holds:
            missed.append((f"{backend}: {label}", f"{ratio:.0%} of GET /api/, p99 {row['p99']:.2f} ms, "
                                                  f"{thousands(row['rps'])} req/s", wanted))
        lines.append(f"| {backend} | {label} | {ratio:.0%} | {row['p99']:.2f} | {thousands(row['rps'])} | {wanted} | "
                     + ("met |" if holds else "**NOT MET** |"))
    return "\n".join(lines) + "\n", missed, unmeasured
