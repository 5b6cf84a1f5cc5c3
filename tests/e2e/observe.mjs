// What an operator sees of the deployment: Prometheus, scraping both
// replicas' metrics listeners, counts by route and the refused tokens
// exactly what the test sent through nginx; and one request's ID is found
// in nginx's access log and in a replica's JSON log line.
import { readFileSync } from "node:fs";
import { check } from "./lib.mjs";
import { sleep } from "./services.mjs";

async function counts(prometheus) {
  const byRoute = {};
  for (const r of await prometheus.query("sum by (route) (todoapi_http_requests_total)")) byRoute[r.metric.route] = r.value;
  const [refused] = await prometheus.query("sum(todoapi_auth_refusals_total)");
  return { byRoute, refused: refused ? refused.value : 0 };
}

export async function observability({ web, auth, prometheus, nginxAccessLog, replicaLines }) {
  console.log("What operators see (Prometheus; one request ID in both logs):");
  await prometheus.scrapedAfter(Date.now());
  const before = await counts(prometheus);
  const listed = await (await fetch(`${web}/api/task/`, { headers: auth })).json();
  const id = listed[0].id;
  const sent = { "task-list": 1, "task-detail": 0, refused: 0 };
  for (let i = 0; i < 11; i++, sent["task-list"]++) await (await fetch(`${web}/api/task/`, { headers: auth })).text();
  for (let i = 0; i < 5; i++, sent["task-detail"]++) await (await fetch(`${web}/api/task/${id}/`, { headers: auth })).text();
  for (let i = 0; i < 7; i++, sent["task-list"]++, sent.refused++) {
    const refused = await fetch(`${web}/api/task/`, { headers: { authorization: `Bearer not.a.token${i}` } });
    await refused.text();
    if (refused.status !== 401) throw new Error(`a bad token got ${refused.status}`);
  }
  await prometheus.scrapedAfter(Date.now());
  const after = await counts(prometheus);
  const delta = (route) => (after.byRoute[route] || 0) - (before.byRoute[route] || 0);
  check(delta("task-list") === sent["task-list"] && delta("task-detail") === sent["task-detail"],
    `Prometheus: sum by (route) (todoapi_http_requests_total) grew by what was sent (task-list ${delta("task-list")}/${sent["task-list"]}, task-detail ${delta("task-detail")}/${sent["task-detail"]})`);
  check(after.refused - before.refused === sent.refused,
    `Prometheus: sum(todoapi_auth_refusals_total) grew by the refused tokens (${after.refused - before.refused}/${sent.refused})`);

  // One request, followed from nginx's access line to the replica's.
  const marker = `trace${Date.now()}`;
  const traced = await fetch(`${web}/api/task/?${marker}=1`, { headers: auth });
  await traced.text();
  const rid = traced.headers.get("x-request-id");
  let nginxLine;
  let replicaLine;
  for (let i = 0; i < 50 && !(nginxLine && replicaLine); i++) {
    nginxLine = readFileSync(nginxAccessLog, "utf8").split("\n").find((l) => l.includes(marker));
    replicaLine = replicaLines.map((l) => { try { return JSON.parse(l); } catch (_) { return null; } })
      .find((l) => l && l.target === "todoapi::access" && l.request_id === rid);
    await sleep(100);
  }
  check(nginxLine && nginxLine.endsWith(`id=${rid}`), `nginx's access line ends with the request ID (${nginxLine})`);
  check(replicaLine && replicaLine.route === "task-list" && replicaLine.status === 200 &&
      replicaLine.path === "/api/task/" && replicaLine.client === "127.0.0.1" && replicaLine.user,
    `a replica's JSON access line has the same ID (${JSON.stringify(replicaLine)})`);
}
