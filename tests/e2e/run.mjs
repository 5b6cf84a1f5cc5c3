// Browser tests, as a newcomer and the tutorial's Angular app meet the server:
//
// 1. The project's SPA at the server's own origin: sign in through /authorize
//    (code + PKCE, auth0-spa-js), the seeded tasks, add one, a field error for
//    a 51-character title, edit the due date, delete, sign out; then on a
//    second server whose list is paginated, its pages one "More" at a time.
// 2. auth0-js v9 as the tutorial's app uses it (responseType 'token', scope
//    'openid profile'), behind a loopback TLS proxy (auth0-js only builds
//    https:// URLs): sign in, userInfo, the API with the token, checkSession.
//
// Headless Debian Chromium via playwright-core. A fresh server (development
// profile, a throw-away database and key) on a free port. Screenshots go to
// target/e2e/. Exits non-zero on the first failed check.
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { auth0jsSignIn, buildTodoapi, check, launchBrowser, makeCertificate, pagedScenario, spaScenario, startTodoapi } from "./lib.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const shots = path.join(root, "target/e2e");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const tmp = mkdtempSync(path.join(tmpdir(), "todoapi-e2e-"));
mkdirSync(shots, { recursive: true });

let server = null;
let paged = null;
let proxy = null;
let browser = null;
const cleanup = () => {
  if (server) server.kill();
  if (paged) paged.kill();
  if (proxy) proxy.close();
  rmSync(tmp, { recursive: true, force: true });
};
process.on("exit", cleanup);


// --- The TLS proxy for auth0-js: its test page, and the tenant's and API's
// paths forwarded to the server. A self-signed certificate made by openssl.
const tls = makeCertificate(tmp, ["app.todo.localhost", "auth.todo.localhost"]);
let target = null; // the server's port, once it listens
const forwarded = ["/authorize", "/oauth/token", "/userinfo", "/v2/logout", "/.well-known/", "/api/", "/config.json"];
const auth0js = readFileSync(path.join(here, "node_modules/auth0-js/dist/auth0.min.js"));
const tutorialPage = readFileSync(path.join(here, "tutorial-app.html"));
proxy = https.createServer(
  { key: readFileSync(tls.key), cert: readFileSync(tls.cert) },
  (req, res) => {
    const url = new URL(req.url, "https://localhost");
    if (forwarded.some((p) => url.pathname.startsWith(p))) {
      const upstream = http.request(
        { host: "127.0.0.1", port: target, path: req.url, method: req.method,
          headers: { ...req.headers, host: `127.0.0.1:${target}`, "x-forwarded-proto": "https" } },
        (answer) => {
          res.writeHead(answer.statusCode, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => { res.writeHead(502); res.end(); });
      req.pipe(upstream);
    } else if (url.pathname === "/auth0.min.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(auth0js);
    } else {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(tutorialPage);
    }
  },
);
await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
// The app and the tenant on two hosts of one site (Chromium resolves
// *.localhost to loopback), as an app and its tenant's custom domain are.
const proxyOrigin = `https://app.todo.localhost:${proxy.address().port}`;

// --- The server, as `make run` starts it, on a free port.
const started = await startTodoapi(buildTodoapi(root), root, {
  APP_ENV: "development",
  APP__SERVER__PORT: "0",
  APP__DATABASE__URL: path.join(tmp, "todoapi.sqlite3"),
  APP__AUTH__DEV_ISSUER__KEY_PATH: path.join(tmp, "dev_issuer_key.pem"),
  APP__AUTH__DEV_ISSUER__CALLBACK_URLS: `${proxyOrigin}/callback`,
  APP__AUTH__DEV_ISSUER__LOGOUT_URLS: proxyOrigin,
  APP__CORS__ALLOWED_ORIGINS: proxyOrigin,
  // The TLS proxy below is on loopback: its X-Forwarded-* headers count.
  APP__SERVER__TRUSTED_PROXIES: "127.0.0.1",
});
server = started.child;
const base = started.base;
target = new URL(base).port;
console.log(`server ${base}, TLS proxy ${proxyOrigin}`);

browser = await launchBrowser(chromiumPath);

async function tutorialApp() {
  console.log("auth0-js v9 as the tutorial's Angular app uses it (behind TLS):");
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.log(`  page error: ${e.message}`));
  await page.goto(`${proxyOrigin}/?base=${encodeURIComponent(base)}`);
  const result = await auth0jsSignIn(page, "auth0|e2e-alice", "Alice");
  check(result.error === undefined, `no error (${JSON.stringify(result.error || "")})`);
  check(result.userinfo && result.userinfo.sub === "auth0|e2e-alice", "userInfo names the user");
  check(result.userinfo.name === "Alice", "with the profile asked for");
  check(result.tasks === 3, `the API answered the token with the ${result.tasks} tasks`);
  await page.screenshot({ path: path.join(shots, "auth0-js.png") });
  // checkSession: prompt=none in an iframe (web_message), the session kept.
  await page.click("#check-session");
  await page.waitForSelector("#session:not(:empty)");
  const session = JSON.parse(await page.textContent("#session"));
  check(session.accessToken === true, `checkSession gave a new token (${session.error || "ok"})`);
  await context.close();
}

try {
  console.log("The project's SPA (auth0-spa-js, code + PKCE):");
  await spaScenario(browser, base, shots);
  console.log("The SPA on a paginated list (CursorPagination, two a page):");
  const second = await startTodoapi(path.join(root, "target/debug/todoapi"), root, {
    APP_ENV: "development",
    APP__SERVER__PORT: "0",
    APP__DATABASE__URL: path.join(tmp, "paged.sqlite3"),
    APP__AUTH__DEV_ISSUER__KEY_PATH: path.join(tmp, "dev_issuer_key.pem"),
    APP__REST_FRAMEWORK__DEFAULT_PAGINATION_CLASS: "CursorPagination",
    APP__REST_FRAMEWORK__PAGE_SIZE: "2",
  });
  paged = second.child;
  await pagedScenario(browser, second.base, shots);
  await tutorialApp();
  console.log("e2e: all passed");
  await browser.close();
  process.exit(0);
} catch (error) {
  console.error(error.message);
  try {
    const pages = browser.contexts().flatMap((c) => c.pages());
    for (const [i, page] of pages.entries()) {
      await page.screenshot({ path: path.join(shots, `failure-${i}.png`) });
      // Not the whole address: a callback's fragment holds a token.
      console.error(`page ${i}: ${page.url().replace(/[?#].*/, "")}`);
    }
  } catch (_) {
    // The screenshots are a help, not the verdict.
  }
  await browser.close();
  process.exit(1);
}
