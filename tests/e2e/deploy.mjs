// The deployment, tested without a Docker engine: what docker/compose.yaml
// runs, on this machine's PostgreSQL, nginx and Chromium.
//
// - a database of the test's own on the local PostgreSQL (TEST_POSTGRES_URL),
//   migrated once as compose's migrate service does;
// - two `todoapi serve` replicas on it;
// - nginx twice, with the project's own templates (docker/nginx/, the files
//   the image mounts; only the upstream addresses, ports and paths differ):
//   production (HTTPS with a mounted certificate, plain http redirected,
//   HSTS) and development (TLS, the development issuer);
// - Chromium through each: the SPA's scenario, signing in through the
//   development nginx (production's SPA uses it as its tenant);
// - through the production nginx: a task made through replica A is listed
//   through B, 401/403 bodies and WWW-Authenticate pass untouched, the API
//   root's links name the proxy, the SPA's files and their caching, gzip,
//   413; a throttle shared through Redis admits its rate exactly across
//   both replicas (throttle.mjs); Prometheus scraping both replicas counts
//   what was sent, and a request's ID is in nginx's log and a replica's
//   (observe.mjs); and a rolling restart (SIGTERM to each replica in turn
//   during a load) loses no request.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildTodoapi, check, launchBrowser, makeCertificate, spaScenario, startTodoapi } from "./lib.mjs";
import { exited, freePort, redisUrl, sleep } from "./services.mjs";
import { startPrometheus } from "./prometheus.mjs";
import { observability } from "./observe.mjs";
import { throttleAcrossReplicas } from "./throttle.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const shots = path.join(root, "target/e2e");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const nginxPath = process.env.NGINX_BIN || "/usr/sbin/nginx";
const postgres = new URL(process.env.TEST_POSTGRES_URL);
const tmp = mkdtempSync(path.join(tmpdir(), "todoapi-deploy-"));
chmodSync(tmp, 0o755);
mkdirSync(shots, { recursive: true });

const children = new Set();
const nginxes = []; // the nginx masters: stopped with SIGTERM, so that their workers go too
const database = `todoapi_deploy_${process.pid}_${Date.now() % 100000}`;
let databaseMade = false;
function psql(sql) {
  execFileSync("psql", [postgres.href, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], { stdio: ["ignore", "ignore", "inherit"] });
}
/** Stops the nginx masters (SIGTERM: they stop their workers) and waits. */
async function stopNginx() {
  for (const child of nginxes) child.kill("SIGTERM");
  await Promise.all(nginxes.map(exited));
  nginxes.length = 0;
}
function cleanup() {
  for (const child of nginxes) child.kill("SIGTERM");
  for (const child of children) if (!nginxes.includes(child)) child.kill("SIGKILL");
  if (databaseMade) {
    try {
      psql(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    } catch (_) {
      console.error(`could not drop database ${database}`);
    }
  }
  rmSync(tmp, { recursive: true, force: true });
}
process.on("exit", cleanup);
process.on("SIGINT", () => process.exit(130));

// --- The database and the replicas' settings.
psql(`CREATE DATABASE "${database}"`);
databaseMade = true;
const databaseUrl = new URL(postgres.href);
databaseUrl.pathname = `/${database}`;
const [portA, portB, portWeb, portWebTls, portTls, portPlain, metricsA, metricsB, portPrometheus] =
  await Promise.all(Array.from({ length: 9 }, freePort));
const siteOrigin = `https://app.todo.localhost:${portTls}`;
// The production nginx: https with the certificate deploy.sh made (which
// this process trusts: NODE_EXTRA_CA_CERTS), plain http beside it.
const web = `https://127.0.0.1:${portWebTls}`;
const webPlain = `http://127.0.0.1:${portWeb}`;
const shared = {
  APP_ENV: "development",
  APP_CONFIG_DIR: path.join(root, "config"),
  DATABASE_URL: databaseUrl.href,
  APP__DATABASE__MIGRATE_ON_START: "false",
  APP__SERVER__WORKERS: "2",
  APP__SERVER__STATIC_DIR: "",
  APP__SERVER__TRUSTED_PROXIES: "127.0.0.1",
  APP__SERVER__SHUTDOWN_TIMEOUT_SECS: "10",
  // JSON lines, the access lines among them (observe.mjs reads them).
  APP__LOG__FORMAT: "json",
  RUST_LOG: "warn,todoapi::access=info",
  // One key and one issuer name for both replicas: each trusts the other's tokens.
  APP__AUTH__DEV_ISSUER__KEY_PATH: path.join(tmp, "dev_issuer_key.pem"),
  APP__AUTH__DEV_ISSUER__ISSUER: `${siteOrigin}/`,
  // The production SPA signs in with the development nginx as its tenant.
  APP__AUTH__DEV_ISSUER__CALLBACK_URLS: `${siteOrigin}/, ${web}/`,
  APP__AUTH__DEV_ISSUER__LOGOUT_URLS: `${siteOrigin}/, ${web}/`,
  APP__CORS__ALLOWED_ORIGINS: web,
  // A route that needs a scope nobody has, for a 403 through the proxy.
  "APP__REST_FRAMEWORK__PERMISSIONS__API-ROOT": "IsAuthenticated, HasScope:admin:tasks",
  // The schema, and it alone, throttled by address in a Redis both replicas share.
  APP__REST_FRAMEWORK__THROTTLE_CLASSES__API_SCHEMA: "AnonRateThrottle",
  APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__ANON: "30/m",
  APP__CACHE__URL: await redisUrl(children),
  APP__CACHE__KEY_PREFIX: `deploy-${process.pid}-${Date.now()}`,
};
const binary = buildTodoapi(root);
execFileSync(binary, ["migrate"], { env: { PATH: process.env.PATH, RUST_LOG: "warn", ...shared }, stdio: ["ignore", "ignore", "inherit"] });

// The replicas' ERROR log lines: an operator's alarm, so a stop must log none.
const loggedErrors = [];
const replicaLines = [];
const ports = { A: portA, B: portB };
const metricsPorts = { A: metricsA, B: metricsB };
async function replica(name) {
  const port = ports[name];
  const onLog = (line) => {
    replicaLines.push(line);
    if (/"level":"ERROR"/.test(line)) loggedErrors.push(line);
  };
  const env = { ...shared, APP__SERVER__PORT: String(port), APP__METRICS__LISTEN: `127.0.0.1:${metricsPorts[name]}` };
  const started = await startTodoapi(binary, root, env, { onLog });
  children.add(started.child);
  for (let i = 0; i < 200; i++) {
    const ready = await fetch(`http://127.0.0.1:${port}/api/ready/`).catch(() => null);
    if (ready && ready.status === 200) return started.child;
    await sleep(50);
  }
  throw new Error(`replica on ${port} never became ready`);
}
const replicas = { A: await replica("A"), B: await replica("B") };
const prometheus = await startPrometheus(process.env.PROMETHEUS_BIN || "/usr/bin/prometheus",
  path.join(tmp, "prometheus"), portPrometheus, [`127.0.0.1:${metricsA}`, `127.0.0.1:${metricsB}`]);
children.add(prometheus.child);

// --- nginx, with the project's templates rendered as the official image's
// entrypoint renders them (envsubst of the variables given, nothing else).
function render(template, vars) {
  return template.replace(/\$\{([A-Z_]+)\}/g, (whole, name) => (name in vars ? vars[name] : whole));
}
async function nginx(name, templateDir, vars) {
  const prefix = path.join(tmp, `nginx-${name}`);
  const conf = path.join(prefix, "conf");
  mkdirSync(path.join(conf, "conf.d"), { recursive: true });
  cpSync(path.join(root, "docker/nginx/todoapi"), path.join(conf, "todoapi"), { recursive: true });
  for (const file of readdirSync(path.join(root, "docker/nginx", templateDir))) {
    const text = readFileSync(path.join(root, "docker/nginx", templateDir, file), "utf8");
    // The image's log folder (its access.log is the container's stdout) is the test's.
    const rendered = render(text, vars).replaceAll("/var/log/nginx/", `${prefix}/`);
    writeFileSync(path.join(conf, "conf.d", file.replace(/\.template$/, "")), rendered);
  }
  // The image's own nginx.conf, reduced to what a process of the test needs.
  writeFileSync(path.join(conf, "nginx.conf"), `
${process.getuid && process.getuid() === 0 ? "user root;" : ""}
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log ${prefix}/access.log;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  include conf.d/*.conf;
}
`);
  const args = ["-p", prefix, "-c", path.join(conf, "nginx.conf"), "-e", path.join(prefix, "error.log")];
  // nginx reads NGINX from its environment (inherited sockets): none of ours.
  execFileSync(nginxPath, [...args, "-t", "-q"], { stdio: "inherit", env: {} });
  const child = spawn(nginxPath, [...args, "-g", "daemon off;"], { stdio: ["ignore", "inherit", "inherit"], env: {} });
  children.add(child);
  nginxes.push(child);
  return child;
}

// The SPA's folder as a release would be: the project's SPA plus a file
// with a content hash in its name (an Angular build's main.<hash>.js).
const spaRoot = path.join(tmp, "spa");
cpSync(path.join(root, "docker/spa"), spaRoot, { recursive: true });
writeFileSync(path.join(spaRoot, "main.0123456789abcdef0123.js"), "console.log('hashed');\n");
// Production's SPA: the same files, its config.json naming the tenant (here
// the development issuer, as the development nginx serves it).
const productionSpa = path.join(tmp, "spa-production");
cpSync(spaRoot, productionSpa, { recursive: true });
writeFileSync(path.join(productionSpa, "config.json"),
  await (await fetch(`http://127.0.0.1:${portA}/config.json`)).text());
const upstream = `server 127.0.0.1:${portA} max_fails=1 fail_timeout=2s; server 127.0.0.1:${portB} max_fails=1 fail_timeout=2s;`;
const tls = makeCertificate(tmp, ["app.todo.localhost"]);
const productionTls = process.env.PRODUCTION_TLS_DIR;
await nginx("production", "production", {
  LISTEN: `127.0.0.1:${portWeb}`,
  TLS_LISTEN: `127.0.0.1:${portWebTls}`,
  TLS_PORT: String(portWebTls),
  TLS_CERT: path.join(productionTls, "cert.pem"),
  TLS_KEY: path.join(productionTls, "key.pem"),
  API_SERVERS: upstream,
  NGINX_LOCAL_RESOLVERS: "127.0.0.1",
  SPA_ROOT: productionSpa,
});
await nginx("development", "development", {
  LISTEN: `127.0.0.1:${portPlain}`,
  TLS_LISTEN: `127.0.0.1:${portTls}`,
  TLS_PORT: String(portTls),
  TLS_CERT: tls.cert,
  TLS_KEY: tls.key,
  API_SERVERS: upstream,
  NGINX_LOCAL_RESOLVERS: "127.0.0.1",
  ISSUER_SERVER: `server 127.0.0.1:${portA};`,
  SPA_ROOT: spaRoot,
});
for (let i = 0; i < 100; i++) {
  if (await fetch(`${web}/api/health/`).then((r) => r.ok).catch(() => false)) break;
  await sleep(50);
}
console.log(`replicas :${portA} :${portB}; nginx ${web} and ${siteOrigin}`);

// --- Chromium through the development nginx.
const browser = await launchBrowser(chromiumPath);
async function browserThroughNginx() {
  console.log("The SPA through nginx (TLS, the development issuer on replica A):");
  const plain = await new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port: portPlain, path: "/tasks?x=1", headers: { host: "app.todo.localhost" } }, (res) => {
      res.resume();
      resolve(res);
    }).on("error", reject);
  });
  check(plain.statusCode === 308 && plain.headers.location === `${siteOrigin}/tasks?x=1`, `plain http is sent to https (${plain.statusCode} ${plain.headers.location})`);
  await spaScenario(browser, siteOrigin, shots, "deploy-spa");
  console.log("The SPA through the production nginx (HTTPS; signing in at the development nginx as its tenant):");
  await spaScenario(browser, web, shots, "deploy-production-spa");
}

// --- Production's https: plain http is sent there, HSTS once there.
async function httpsOnly() {
  console.log("Production is HTTPS only:");
  for (const [method, pathname] of [["GET", "/api/task/?page=2"], ["POST", "/api/task/"], ["GET", "/api"]]) {
    const got = await answer(`${webPlain}${pathname}`, { method, headers: auth });
    check(got.status === 308 && got.headers.get("location") === `${web}${pathname}` &&
      (got.headers.get("content-type") || "").startsWith("application/json") &&
      got.body === '{"detail":"This API is served over HTTPS only."}',
    `${method} ${pathname} over http: ${got.status} to ${got.headers.get("location")}, ${got.body}`);
  }
  const page = await answer(`${webPlain}/tasks?x=1`);
  check(page.status === 308 && page.headers.get("location") === `${web}/tasks?x=1`, `a page over http: ${page.status} to ${page.headers.get("location")}`);
  for (const [pathname, headers] of [["/api/task/", auth], ["/api/task/", {}], ["/", {}], ["/app.js", {}], ["/missing.js", {}]]) {
    const got = await answer(`${web}${pathname}`, { headers });
    check(got.headers.get("strict-transport-security") === "max-age=31536000",
      `HSTS on ${pathname} (${got.status}): ${got.headers.get("strict-transport-security")}`);
  }
  const development = await new Promise((resolve, reject) => {
    https.get({ host: "127.0.0.1", port: portTls, path: "/", servername: "app.todo.localhost", rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res);
    }).on("error", reject);
  });
  check(development.statusCode === 200 && development.headers["strict-transport-security"] === undefined,
    "none in development (it would hold every port of localhost to https)");
}

// --- The API through the production nginx.
const token = JSON.parse(
  await (await fetch(`http://127.0.0.1:${portA}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ grant_type: "client_credentials", client_id: "todoapi-dev", client_secret: "todoapi-dev-secret" }),
  })).text(),
).access_token;
const auth = { authorization: `Bearer ${token}` };
const adminToken = execFileSync(binary, ["token", "--scope", "read:tasks write:tasks admin:tasks"], {
  env: { PATH: process.env.PATH, RUST_LOG: "warn", ...shared, APP__SERVER__PORT: String(portA) },
}).toString().trim();

async function answer(url, options = {}) {
  const response = await fetch(url, { redirect: "manual", ...options });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

async function apiThroughNginx() {
  console.log("The API through nginx (two replicas):");
  const made = await answer(`http://127.0.0.1:${portA}/api/task/`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ title: "Made on replica A", content: "Seen everywhere" }),
  });
  check(made.status === 201, `a task made through replica A (${made.status})`);
  const id = JSON.parse(made.body).id;
  const onB = await answer(`http://127.0.0.1:${portB}/api/task/${id}/`, { headers: auth });
  check(onB.status === 200 && JSON.parse(onB.body).title === "Made on replica A", "is read through replica B");
  // nginx's $request_id reaches the replica (proxy.conf), which answers with it;
  // a client's own is replaced by nginx's, so that nginx's log has the ID too.
  const ids = new Set();
  for (let i = 0; i < 4; i++) {
    const listed = await answer(`${web}/api/task/`, { headers: { ...auth, "x-request-id": "from-the-client" } });
    check(listed.status === 200 && JSON.parse(listed.body).some((t) => t.id === id), `and listed through nginx (request ${i + 1}, either replica)`);
    ids.add(listed.headers.get("x-request-id"));
  }
  check(ids.size === 4 && [...ids].every((v) => /^[0-9a-f]{32}$/.test(v || "")),
    `each answer through nginx carries nginx's own request ID (${[...ids].join(" ")})`);

  // The API's refusals, as the API sends them.
  for (const [what, path, headers] of [
    ["no token: 401", "/api/task/", {}],
    ["a bad token: 401", "/api/task/", { authorization: "Bearer not.a.token" }],
    ["a missing scope: 403", "/api/", auth],
  ]) {
    const direct = await answer(`http://127.0.0.1:${portB}${path}`, { headers });
    const proxied = await answer(`${web}${path}`, { headers });
    check(
      proxied.status === direct.status && proxied.body === direct.body &&
        proxied.headers.get("www-authenticate") === direct.headers.get("www-authenticate") &&
        proxied.headers.get("www-authenticate") && proxied.headers.get("allow") === direct.headers.get("allow"),
      `${what} passes untouched (${proxied.status} ${proxied.body} ${proxied.headers.get("www-authenticate")})`,
    );
  }
  const cors = await answer(`${web}/api/task/`, { headers: { ...auth, origin: "https://elsewhere.example" } });
  check(cors.headers.get("access-control-allow-origin") === null, "nginx adds no CORS headers of its own");

  // Links built from what the proxy reports (server.trusted_proxies).
  const rootLinks = await answer(`${web}/api/`, { headers: { authorization: `Bearer ${adminToken}` } });
  check(rootLinks.status === 200 && JSON.parse(rootLinks.body).task === `${web}/api/task/`, `the API root's links name the proxy (${rootLinks.body})`);
  const slash = await answer(`${web}/api`, { headers: auth });
  check(slash.status === 308 && slash.headers.get("location") === "/api/", "/api is sent to /api/ by the API");

  // Bodies: the server's limit, answered in the API's shape by either.
  const big = JSON.stringify({ title: "big", content: "x".repeat(70000) });
  const tooLarge = await answer(`${web}/api/task/`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: big });
  check(tooLarge.status === 413 && tooLarge.body.replace(/\s/g, "") === '{"detail":"Requestbodyistoolarge."}', `a 70 kB body: 413 (${tooLarge.body})`);
  for (let i = 0; i < 6; i++) {
    await answer(`${web}/api/task/`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ title: `Padding ${i}`, content: "So that the list is worth compressing." }) });
  }
  const zipped = await fetch(`${web}/api/task/`, { headers: { ...auth, "accept-encoding": "gzip" } });
  check(zipped.headers.get("content-encoding") === "gzip", `JSON is gzipped (${zipped.headers.get("content-encoding")})`);
  await zipped.text();

  // The SPA's files and their caching.
  for (const [pathname, status, cache, type] of [
    ["/", 200, "no-cache", "text/html"],
    ["/index.html", 200, "no-cache", "text/html"],
    ["/tasks/12", 200, "no-cache", "text/html"],
    ["/app.js", 200, "no-cache", "javascript"],
    ["/main.0123456789abcdef0123.js", 200, "public, max-age=31536000, immutable", "javascript"],
    ["/missing.js", 404, null, null],
  ]) {
    const got = await answer(`${web}${pathname}`);
    check(
      got.status === status && (cache === null || got.headers.get("cache-control") === cache) &&
        (type === null || (got.headers.get("content-type") || "").includes(type)),
      `${pathname}: ${got.status}, ${got.headers.get("cache-control")}, ${got.headers.get("content-type")}`,
    );
  }
}

// --- A rolling restart under load: SIGTERM to one replica while requests
// flow (through its drain, the listener closing, its exit), start it
// again, then the other. Every request must succeed.
async function load(minimum, concurrency, stopping) {
  const statuses = [];
  let created = 0;
  let next = 0;
  let stopped = false;
  stopping.then(() => { stopped = true; });
  async function worker() {
    while (next < minimum || !stopped) {
      const n = next++;
      const post = n % 3 === 0;
      const response = await fetch(`${web}/api/task/`, post
        ? { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ title: `Load ${n}`, content: "during a restart" }) }
        : { headers: auth }).catch((e) => ({ status: `error ${e.cause ? e.cause.code : e.message}`, text: async () => "" }));
      await response.text();
      statuses.push(response.status);
      if (post && response.status === 201) created++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { statuses, created };
}

async function rollingRestart() {
  console.log("A rolling restart under load (SIGTERM, through nginx):");
  const before = JSON.parse((await answer(`${web}/api/task/`, { headers: auth })).body).length;
  let createdTotal = 0;
  for (const name of ["B", "A"]) {
    const child = replicas[name];
    // SIGTERM once the load runs; the load lasts until the replica is gone.
    const stopping = sleep(300).then(() => {
      child.kill("SIGTERM");
      return exited(child);
    });
    const { statuses, created } = await load(300, 8, stopping);
    createdTotal += created;
    const failed = statuses.filter((s) => s !== 200 && s !== 201);
    check(failed.length === 0, `${statuses.length} requests while replica ${name} drained and stopped: ${failed.length} failed ${JSON.stringify(failed.slice(0, 5))}`);
    const code = await stopping;
    children.delete(child);
    check(code === 0, `replica ${name} exited 0 on SIGTERM (${code})`);
    check(loggedErrors.length === 0, `no ERROR in the replicas' logs, replica ${name}'s stop included ${JSON.stringify(loggedErrors.slice(0, 3))}`);
    replicas[name] = await replica(name);
    // As an operator does: the next replica only once nginx uses this one
    // again (it retries a failed server after fail_timeout, 2 s here).
    await sleep(2500);
  }
  const after = JSON.parse((await answer(`${web}/api/task/`, { headers: auth })).body).length;
  check(after - before === createdTotal, `every 201 is one task, none twice (${createdTotal} created)`);
}

try {
  await browserThroughNginx();
  await httpsOnly();
  await apiThroughNginx();
  await throttleAcrossReplicas(web, answer);
  await observability({ web, auth, prometheus, nginxAccessLog: path.join(tmp, "nginx-production", "access.log"), replicaLines });
  await rollingRestart();
  console.log("deploy: all passed");
  await browser.close();
  await stopNginx();
  process.exit(0);
} catch (error) {
  console.error(error.message);
  try {
    for (const name of ["production", "development"]) {
      console.error(`--- nginx ${name} error log:\n${readFileSync(path.join(tmp, `nginx-${name}`, "error.log"), "utf8").slice(-3000)}`);
    }
  } catch (_) {
    // The logs are a help, not the verdict.
  }
  await browser.close();
  await stopNginx();
  process.exit(1);
}
