// make test-containers, in Chromium: the development variant of
// docker/compose.yaml (compose-dev.sh brings it up) through web's published
// https port, with the certificate compose.dev.yaml's tls service made.
//   node browser.mjs BASE OUT
// BASE: https://localhost:PORT (the development issuer's iss names it);
// OUT: a file for the id of the task made here, which compose-dev.sh then
// finds in each replica's log.
// 1. The project's SPA: sign in at the development issuer (nginx sends it
//    to one replica), a task added; the stack runs with TASKS_OWNERSHIP=creator.
// 2. That task read 20 times through web with the SPA's own token.
// 3. Another user's token (the client-credentials grant): 403, the body of
//    the original's IsCreator.
// 4. auth0-js v9 as the tutorial's Angular app, at http://localhost:4200
//    (where `ng serve` puts it, as compose.dev.yaml's callback and CORS
//    settings expect), with the tutorial's own settings: its tenant and
//    API both the published port.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { auth0jsSignIn, check, launchBrowser } from "../e2e/lib.mjs";

const [base, out] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));
const e2e = path.resolve(here, "../e2e");
const shots = path.resolve(here, "../../target/containers");
mkdirSync(shots, { recursive: true });
const browser = await launchBrowser(process.env.CHROMIUM || "/usr/bin/chromium");

/** The SPA's access token, from auth0-spa-js's cache in localStorage. */
const spaToken = (page) => page.evaluate(() => {
  for (const key of Object.keys(localStorage)) {
    const entry = JSON.parse(localStorage.getItem(key) || "null");
    if (entry && entry.body && entry.body.access_token) return entry.body.access_token;
  }
  return null;
});

async function spa() {
  console.log("The project's SPA through web (https, the development issuer):");
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.log(`  page error: ${e.message}`));
  await page.goto(`${base}/`);
  await page.click("#sign-in");
  await page.waitForSelector("form[action='/authorize'] #sub");
  check((await page.inputValue("#sub")) === "auth0|dev-user", "the development issuer's sign-in page, through web");
  await page.click("#sign-in");
  await page.waitForSelector("#signed-in:not([hidden])");
  await page.fill("#add input[name=title]", "Made in Chromium");
  await page.fill("#add input[name=content]", "through the compose stack");
  await page.fill("#add input[name=due_date]", "2031-03-01");
  await page.click("#add button[type=submit]");
  // TASKS_OWNERSHIP=creator: the list shows this user's tasks only (the
  // demo tasks belong to nobody who signs in).
  await page.waitForFunction(() => document.querySelectorAll("#tasks li.task").length === 1);
  const id = await page.locator("#tasks li.task").getAttribute("data-id");
  check(/^\d+$/.test(id), `the task added, the user's one task (id ${id})`);
  await page.screenshot({ path: path.join(shots, "compose-spa-added.png") });

  const token = await spaToken(page);
  check(token !== null, "the SPA holds its access token");
  const reads = await page.evaluate(async ({ id, token }) => {
    const seen = [];
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`/api/task/${id}/`, { headers: { Authorization: `Bearer ${token}` } });
      seen.push(`${r.status} ${await r.text()}`);
    }
    return seen;
  }, { id, token });
  const task = JSON.parse(reads[0].slice(4));
  check(reads.every((r) => r === reads[0]) && reads[0].startsWith("200 ")
    && task.title === "Made in Chromium" && task.due_date === "2031-03-01",
  `the task read 20 times through web, the same each time (${reads[0].slice(0, 80)})`);

  const other = await page.evaluate(async (id) => {
    const config = await (await fetch("/config.json")).json();
    const grant = await fetch("/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials", client_id: "todoapi-dev",
        client_secret: "todoapi-dev-secret", audience: config.audience,
      }),
    });
    const { access_token: token } = await grant.json();
    const r = await fetch(`/api/task/${id}/`, { headers: { Authorization: `Bearer ${token}` } });
    return `${r.status} ${await r.text()}`;
  }, id);
  check(other === '403 {"detail":"You must be the creator of this object."}',
    `another user's token on it: ${other}`);
  await context.close();
  return id;
}

async function tutorialApp() {
  console.log("auth0-js v9 as the tutorial's Angular app, at http://localhost:4200:");
  // A page served by context.route has no address of its own, so Chromium
  // counts it as public and asks before it reaches loopback; the app served
  // by `ng serve` is on loopback itself and is not asked.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, permissions: ["local-network-access"] });
  const tenant = await (await context.request.get(`${base}/config.json`)).json();
  // The tutorial's environment.ts, in this page's terms.
  const environment = {
    auth0Domain: new URL(base).host, clientId: tenant.clientId,
    audience: tenant.audience, apiUrl: `${base}/api`,
  };
  const page = readFileSync(path.join(e2e, "tutorial-app.html"));
  const auth0js = readFileSync(path.join(e2e, "node_modules/auth0-js/dist/auth0.min.js"));
  // The app's own origin is served from here (no port is opened for it).
  await context.route("http://localhost:4200/**", (route) => {
    const { pathname } = new URL(route.request().url());
    if (pathname === "/auth0.min.js") return route.fulfill({ contentType: "text/javascript", body: auth0js });
    if (pathname === "/config.json") return route.fulfill({ json: environment });
    return route.fulfill({ contentType: "text/html; charset=utf-8", body: page });
  });
  const tab = await context.newPage();
  const visited = new Set();
  tab.on("pageerror", (e) => console.log(`  page error: ${e.message}`));
  tab.on("console", (m) => { if (m.type() === "error") console.log(`  console: ${m.text().replace(/eyJ[\w.-]+/g, "<token>")}`); });
  await tab.goto("http://localhost:4200/");
  tab.on("framenavigated", (frame) => { if (frame === tab.mainFrame()) visited.add(new URL(frame.url()).origin); });
  const result = await auth0jsSignIn(tab, "auth0|tutorial-reader");
  check(visited.has(base), `auth0-js sent the browser to the tenant at ${base}`);
  check(result.error === undefined, `no error (${JSON.stringify(result.error || "")})`);
  check(result.userinfo && result.userinfo.sub === "auth0|tutorial-reader", "userInfo names the user");
  check(result.tasks === 0, `the API (cross-origin, CORS) answered the token: ${result.tasks} tasks of this user's`);
  await tab.screenshot({ path: path.join(shots, "compose-auth0-js.png") });
  await context.close();
}

try {
  const id = await spa();
  writeFileSync(out, `${id}\n`);
  await tutorialApp();
  await browser.close();
} catch (error) {
  console.error(error.message);
  for (const [i, page] of browser.contexts().flatMap((c) => c.pages()).entries()) {
    await page.screenshot({ path: path.join(shots, `compose-failure-${i}.png`) }).catch(() => {});
    // Not the whole address: a callback's fragment holds a token.
    console.error(`page ${i}: ${page.url().replace(/[?#].*/, "")}`);
  }
  await browser.close();
  process.exit(1);
}
