// Debian's Prometheus as an operator runs it: a process of the test's own,
// scraping the replicas' metrics listeners every second, asked through its
// HTTP API (/api/v1/query).
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts Prometheus on `port`, scraping `targets` ("127.0.0.1:port");
 * resolves once every target is up. Returns { child, query, scrapedAfter }. */
export async function startPrometheus(binary, dir, port, targets) {
  mkdirSync(path.join(dir, "data"), { recursive: true });
  const config = path.join(dir, "prometheus.yml");
  writeFileSync(config, `
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: todoapi
    static_configs:
      - targets: [${targets.map((t) => `"${t}"`).join(", ")}]
`);
  const child = spawn(binary, [
    `--config.file=${config}`,
    `--storage.tsdb.path=${path.join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
  ], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (d) => { log = (log + d.toString()).slice(-4000); });
  const base = `http://127.0.0.1:${port}`;

  /** The instant query's result: [{ metric, value: number }]. */
  async function query(promql) {
    const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = await response.json();
    if (body.status !== "success") throw new Error(`Prometheus: ${promql}: ${JSON.stringify(body)}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** Waits until every target was scraped after `ms` (a Date.now()). */
  async function scrapedAfter(ms) {
    for (let i = 0; i < 100; i++) {
      // On a selector itself: timestamp() of an expression is the query's time.
      const seen = await query('timestamp(up{job="todoapi"})').catch(() => []);
      if (seen.length === targets.length && seen.every((s) => s.value * 1000 > ms)) return;
      await sleep(200);
    }
    throw new Error(`Prometheus did not scrape every replica after the traffic\n${log}`);
  }

  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`Prometheus exited ${child.exitCode}\n${log}`);
    const up = await query('up{job="todoapi"} == 1').catch(() => []);
    if (up.length === targets.length) return { child, query, scrapedAfter };
    await sleep(200);
  }
  throw new Error(`Prometheus never saw every replica up\n${log}`);
}
