"""make bench's distinct-tokens row: the token cache's memory bound.

wrk with a Lua script sends each of `count` distinct tokens in turn (oha
sends one header), until every token has been sent ten times; the row
shows the server's resident memory after it.
"""
import json
import subprocess
import time

from report import fmt


def wrk_tokens(server, tokens_file, conns, duration):
    """wrk with a Lua script that sends the tokens of a file in turn."""
    script = tokens_file.parent / "tokens.lua"
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


def row(bench, server, env, count):
    print(f"== minting {count} distinct tokens", flush=True)
    tokens_file = bench.work / "tokens.txt"
    minted = bench.mint(env, "--expires-in", "86400", "--count", str(count))
    tokens_file.write_text("\n".join(minted) + "\n")
    target = 10 * count  # each token ten times: 1 000 000 requests by default

    def until_target():
        done = {"requests": 0, "seconds": 0.0, "errors": 0, "slowest": 0.0}
        last = None
        while done["requests"] < target:
            start = time.time()
            last = wrk_tokens(server, tokens_file, 64, max(bench.duration, 5))
            done["seconds"] += time.time() - start
            done["requests"] += last["requests"]
            done["errors"] += last["errors"]
            done["slowest"] = max(done["slowest"], last["slowest"])
        # Latency percentiles of the last run: every token cached by then.
        return dict(last, requests=done["requests"], errors=done["errors"],
                    slowest=done["slowest"], rps=done["requests"] / done["seconds"])

    result = bench.measured(server, until_target)
    result.update(label=f"{count} distinct tokens, 64 conn (wrk)", server="todoapi",
                  note=f"{result['requests']} requests")
    bench.rows.append(result)
    print(f"  {'todoapi':>16} | {result['label']:<34} | {fmt(result['rps']):>8} req/s | "
          f"RSS {result['rss']:.1f} MiB | {result['note']}", flush=True)
