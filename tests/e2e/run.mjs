// Browser tests, as a newcomer and the tutorial's Angular app meet the server:
//
// 1. The project's SPA at the server's own origin: sign in through /authorize
//    (code + PKCE, auth0-spa-js), the seeded tasks, add one, a field error for
//    a 51-character title, edit the due date, delete, sign out.
// 2. auth0-js v9 as the tutorial's app uses it (responseType 'token', scope
//    'openid profile'), behind a loopback TLS proxy (auth0-js only builds
//    https:// URLs): sign in, userInfo, the API with the token, checkSession.
//
// Headless Debian Chromium via playwright-core. A fresh server (development
// profile, a throw-away database and key) on a free port. Screenshots go to
// target/e2e/. Exits non-zero on the first failed check.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const shots = path.join(root, "target/e2e");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const tmp = mkdtempSync(path.join(tmpdir(), "todoapi-e2e-"));
mkdirSync(shots, { recursive: true });

let server = null;
let proxy = null;
let browser = null;
const cleanup = () => {
  if (server) server.kill();
  if (proxy) proxy.close();
  rmSync(tmp, { recursive: true, force: true });
};
process.on("exit", cleanup);

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`  ok  ${message}`);
}

// --- The TLS proxy for auth0-js: its test page, and the tenant's and API's
// paths forwarded to the server. A self-signed certificate made by openssl.
execFileSync("openssl", [
  "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
  "-keyout", path.join(tmp, "key.pem"), "-out", path.join(tmp, "cert.pem"),
  "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:app.todo.localhost,DNS:auth.todo.localhost",
], { stdio: "ignore" });
let target = null; // the server's port, once it listens
const forwarded = ["/authorize", "/oauth/token", "/userinfo", "/v2/logout", "/.well-known/", "/api/", "/config.json"];
const auth0js = readFileSync(path.join(here, "node_modules/auth0-js/dist/auth0.min.js"));
const tutorialPage = readFileSync(path.join(here, "tutorial-app.html"));
proxy = https.createServer(
  { key: readFileSync(path.join(tmp, "key.pem")), cert: readFileSync(path.join(tmp, "cert.pem")) },
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
execFileSync("cargo", ["build", "--quiet", "--bin", "todoapi"], { cwd: root, stdio: "inherit" });
server = spawn(path.join(root, "target/debug/todoapi"), ["serve"], {
  cwd: root,
  env: {
    PATH: process.env.PATH,
    APP_ENV: "development",
    APP__SERVER__PORT: "0",
    APP__DATABASE__URL: path.join(tmp, "todoapi.sqlite3"),
    APP__AUTH__DEV_ISSUER__KEY_PATH: path.join(tmp, "dev_issuer_key.pem"),
    APP__AUTH__DEV_ISSUER__CALLBACK_URLS: `${proxyOrigin}/callback`,
    APP__AUTH__DEV_ISSUER__LOGOUT_URLS: proxyOrigin,
    APP__CORS__ALLOWED_ORIGINS: proxyOrigin,
    // The TLS proxy below is on loopback: its X-Forwarded-* headers count.
    APP__SERVER__TRUSTED_PROXIES: "127.0.0.1",
    RUST_LOG: "warn",
  },
  stdio: ["ignore", "pipe", "inherit"],
});
const base = await new Promise((resolve, reject) => {
  let out = "";
  server.stdout.on("data", (chunk) => {
    out += chunk;
    const found = out.match(/todoapi is listening on (http:\/\/\S+)/);
    if (found) resolve(found[1]);
  });
  server.on("exit", (code) => reject(new Error(`the server exited (${code})`)));
  setTimeout(() => reject(new Error("the server did not start")), 60000);
});
target = new URL(base).port;
console.log(`server ${base}, TLS proxy ${proxyOrigin}`);

browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--ignore-certificate-errors",
  ],
});

async function spa() {
  console.log("The project's SPA (auth0-spa-js, code + PKCE):");
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on("pageerror", (e) => console.log(`  page error: ${e.message}`));
  await page.goto(`${base}/`);
  await page.waitForSelector("#sign-in:not([hidden])");
  await page.screenshot({ path: path.join(shots, "spa-1-signed-out.png") });
  await page.click("#sign-in");
  await page.waitForSelector("form[action='/authorize'] #sub");
  check((await page.inputValue("#sub")) === "auth0|dev-user", "the sign-in page suggests auth0|dev-user");
  await page.screenshot({ path: path.join(shots, "spa-2-sign-in.png") });
  await page.click("#sign-in");
  await page.waitForSelector("#tasks li.task");
  const titles = await page.$$eval("#tasks .title", (els) => els.map((e) => e.textContent));
  check(JSON.stringify(titles) === JSON.stringify(["Workout", "Shopping", "Counting"]), `the seeded tasks: ${titles}`);
  check(new URL(page.url()).search === "", "the code left the address bar");

  await page.fill("#add input[name=title]", "Buy oats");
  await page.fill("#add input[name=content]", "For breakfast");
  await page.fill("#add input[name=due_date]", "2030-01-31");
  await page.click("#add button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#tasks li.task").length === 4);
  const added = page.locator("#tasks li.task").last();
  check((await added.locator(".due").textContent()) === "2030-01-31", "the new task's due date");
  await page.screenshot({ path: path.join(shots, "spa-3-added.png") });

  await page.fill("#add input[name=title]", "x".repeat(51));
  await page.fill("#add input[name=content]", "too long");
  await page.click("#add button[type=submit]");
  const error = page.locator('#add .error[data-field="title"]');
  await error.waitFor({ state: "visible" });
  check((await error.textContent()) === "Ensure this field has no more than 50 characters.", "the API's field error, next to the field");
  await page.screenshot({ path: path.join(shots, "spa-4-field-error.png") });

  await added.locator(".edit").click();
  await added.locator(".editor input[name=due_date]").fill("2030-02-01");
  await added.locator(".editor button[type=submit]").click();
  await page.waitForFunction(() => {
    const last = [...document.querySelectorAll("#tasks li.task")].pop();
    return last && last.querySelector(".due").textContent === "2030-02-01";
  }).catch(() => {});
  const dues = await page.locator("#tasks li.task .due").allTextContents();
  check(dues[dues.length - 1] === "2030-02-01", `the due date edited (${dues})`);

  await page.locator("#tasks li.task").last().locator(".delete").click();
  await page.waitForFunction(() => document.querySelectorAll("#tasks li.task").length === 3).catch(() => {});
  const left = await page.locator("#tasks li.task .title").allTextContents();
  check(JSON.stringify(left) === JSON.stringify(["Workout", "Shopping", "Counting"]), `the task deleted (${left})`);
  await page.screenshot({ path: path.join(shots, "spa.png") });

  // The API's 401 detail in the notice: spoil the cached access token, reload.
  await page.evaluate(() => {
    for (const key of Object.keys(localStorage)) {
      const entry = JSON.parse(localStorage.getItem(key) || "null");
      if (entry && entry.body && entry.body.access_token) {
        entry.body.access_token = "not.a.token";
        localStorage.setItem(key, JSON.stringify(entry));
      }
    }
  });
  await page.reload();
  const notice = page.locator("#notice");
  await notice.waitFor({ state: "visible" }).catch(() => {});
  const said = await notice.textContent();
  check(said === "Error decoding signature.", `the API's 401 detail shown (${said})`);

  await page.click("#sign-out");
  await page.waitForSelector("#sign-in:not([hidden])");
  await page.reload();
  await page.waitForSelector("#sign-in:not([hidden])");
  check(await page.isHidden("#signed-in"), "signed out, and still after a reload");
  await context.close();
}

async function tutorialApp() {
  console.log("auth0-js v9 as the tutorial's Angular app uses it (behind TLS):");
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.log(`  page error: ${e.message}`));
  await page.goto(`${proxyOrigin}/?base=${encodeURIComponent(base)}`);
  await page.click("#login");
  await page.waitForSelector("form[action='/authorize'] #sub");
  await page.fill("#sub", "auth0|e2e-alice");
  await page.fill("#name", "Alice");
  await page.click("#sign-in");
  await page.waitForSelector("#result:not(:empty)");
  const result = JSON.parse(await page.textContent("#result"));
  check(result.error === undefined, `no error (${result.error || ""})`);
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
  await spa();
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
      console.error(`page ${i}: ${page.url()}`);
    }
  } catch (_) {
    // The screenshots are a help, not the verdict.
  }
  await browser.close();
  process.exit(1);
}
