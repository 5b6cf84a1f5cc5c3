"""make bench's report: the table, the targets (bench/path.py, bench/throttle.py, bench/observe.py,
bench/scale.py), the chart.

`write()` prints them, writes target/bench/results.md, results.json and
chart.svg, and says loudly which targets the run missed (its exit status
is then 1).
"""
import json
import math
import os
import time

import path
import scale
import observe
import throttle


def fmt(value, digits=1):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}".replace(",", " ")
    return f"{value:.{digits}f}"


def write(rows, args, out):
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
    missed, unmeasured = [], []
    if not args.scale_only:
        names = {"SQLite": "todoapi", "PostgreSQL": "todoapi PostgreSQL"}
        targets, missed, unmeasured = path.targets(by, names)
        table += ("\nRequest-path targets (bench/path.py: each row measured alternately with GET /api/, "
                  "medians of the rounds):\n\n" + targets)
        targets, throttle_missed = throttle.targets(by)
        missed += throttle_missed
        table += ("\nThrottling targets (bench/throttle.py: off, local memory and Redis measured alternately, "
                  "medians of the rounds):\n\n" + targets)
        targets, observe_missed = observe.targets(by)
        missed += observe_missed
        table += ("\nMetrics targets (bench/observe.py: off and on measured alternately, "
                  "medians of the rounds):\n\n" + targets)
    if not args.no_scale:
        targets, scale_missed = scale.report()
        missed += scale_missed
        table += "\nScale targets (bench/scale.py), ratios of this run:\n\n" + targets
    print()
    print(table)
    (out / "results.md").write_text(table)
    (out / "results.json").write_text(json.dumps(rows, indent=2))
    (out / "chart.svg").write_text(chart(rows))
    print(f"written: {out / 'results.md'}, results.json, chart.svg")
    if unmeasured:
        print("\nbench: not measured (PostgreSQL rows need TEST_POSTGRES_URL): " + "; ".join(unmeasured))
    if missed:
        print("\nbench: TARGETS NOT MET:\n" + "\n".join(f"  - {t[0]}: {t[1]}, wanted {t[2]}" for t in missed))
        return 1
    return 0


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
