// What the browser tests share: checks, the browser, a certificate, a
// started server, and the SPA's scenario (run.mjs at the server's own
// origin, deploy.mjs through nginx).
import { spawn, execFileSync } from "node:child_process";
import path from "node:path";
import { chromium } from "playwright-core";

export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`  ok  ${message}`);
}

/** Headless Debian Chromium; *.localhost resolves to loopback in it. */
export function launchBrowser(executablePath) {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--ignore-certificate-errors",
    ],
  });
}

/** A self-signed certificate for these DNS names: { cert, key } file paths. */
export function makeCertificate(dir, names) {
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
    "-keyout", key, "-out", cert, "-subj", `/CN=${names[0]}`,
    "-addext", `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}`,
  ], { stdio: "ignore" });
  return { cert, key };
}

/** `cargo build` of the binary; its path. */
export function buildTodoapi(root) {
  execFileSync("cargo", ["build", "--quiet", "--bin", "todoapi"], { cwd: root, stdio: "inherit" });
  return path.join(root, "target/debug/todoapi");
}

/** `todoapi serve` with this environment; resolves to { child, base } once it listens. */
export function startTodoapi(binary, root, env, { onLog } = {}) {
  const child = spawn(binary, ["serve"], {
    cwd: root,
    env: { PATH: process.env.PATH, RUST_LOG: "warn", ...env },
    stdio: ["ignore", "pipe", onLog ? "pipe" : "inherit"],
  });
  if (onLog) {
    // Still shown, and handed to the caller a whole line at a time (the log
    // is on stderr; a chunk may end mid-line).
    let partial = "";
    child.stderr.on("data", (chunk) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop();
      for (const line of lines) {
        // Access lines are for the caller; a test's output shows the rest.
        if (!line.includes("todoapi::access")) process.stderr.write(`${line}\n`);
        onLog(line);
      }
    });
    child.stderr.on("end", () => { if (partial) onLog(partial); });
  }
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (chunk) => {
      out += chunk;
      const found = out.match(/todoapi is listening on (http:\/\/\S+)/);
      if (found) {
        child.stdout.off("data", onData);
        child.stdout.resume();
        resolve({ child, base: found[1] });
      }
    };
    child.stdout.on("data", onData);
    child.on("exit", (code) => reject(new Error(`the server exited (${code})`)));
    setTimeout(() => reject(new Error("the server did not start")), 60000);
  });
}

/**
 * auth0-js v9 as the tutorial's AuthService uses it (tutorial-app.html, open
 * in `page`): log in, sign in at the issuer as `sub` (and `name`), and what the page
 * found: { userinfo, tasks } or { error }.
 */
export async function auth0jsSignIn(page, sub, name) {
  await page.click("#login");
  await page.waitForSelector("form[action='/authorize'] #sub");
  await page.fill("#sub", sub);
  if (name) await page.fill("#name", name);
  await page.click("#sign-in");
  await page.waitForSelector("#result:not(:empty)");
  return JSON.parse(await page.textContent("#result"));
}

/** A new browser context signed in to the SPA at `base` as the suggested user, its tasks shown. */
async function signIn(browser, base, shots, prefix) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.log(`  page error: ${e.message}`));
  await page.goto(`${base}/`);
  await page.waitForSelector("#sign-in:not([hidden])");
  await page.screenshot({ path: path.join(shots, `${prefix}-1-signed-out.png`) });
  await page.click("#sign-in");
  await page.waitForSelector("form[action='/authorize'] #sub");
  check((await page.inputValue("#sub")) === "auth0|dev-user", "the sign-in page suggests auth0|dev-user");
  await page.screenshot({ path: path.join(shots, `${prefix}-2-sign-in.png`) });
  await page.click("#sign-in");
  await page.waitForSelector("#tasks li.task");
  return { context, page };
}

/**
 * The SPA on a server whose list is paginated two a page: the first page
 * and "More", which appends the next until there is none; a task added
 * shows after a refresh, at the end of the pages.
 */
export async function pagedScenario(browser, base, shots, prefix = "spa-paged") {
  const { context, page } = await signIn(browser, base, shots, prefix);
  const titles = () => page.$$eval("#tasks .title", (els) => els.map((e) => e.textContent));
  check(JSON.stringify(await titles()) === JSON.stringify(["Workout", "Shopping"]), "the first page of two");
  check(await page.isVisible("#more"), "More is offered");
  await page.click("#more");
  await page.waitForFunction(() => document.querySelectorAll("#tasks li.task").length === 3);
  check(JSON.stringify(await titles()) === JSON.stringify(["Workout", "Shopping", "Counting"]), "More appends the next page");
  check(await page.isHidden("#more"), "no More after the last page");
  await page.fill("#add input[name=title]", "Paged");
  await page.fill("#add input[name=content]", "fourth");
  await page.click("#add button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#tasks li.task").length === 2);
  check(await page.isVisible("#more"), "after adding, the list starts again at its first page");
  await page.click("#more");
  await page.waitForFunction(() => document.querySelectorAll("#tasks li.task").length === 4);
  check((await titles())[3] === "Paged", "the new task on the second page");
  await page.screenshot({ path: path.join(shots, `${prefix}.png`) });
  await context.close();
}

/**
 * The SPA as a newcomer uses it, at `base`: sign in through /authorize
 * (code + PKCE), the seeded tasks, add one, the field error of a
 * 51-character title, edit its due date, delete it, the API's 401 detail,
 * sign out. Screenshots `${prefix}-*.png` in `shots`.
 */
export async function spaScenario(browser, base, shots, prefix = "spa") {
  const { context, page } = await signIn(browser, base, shots, prefix);
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
  await page.screenshot({ path: path.join(shots, `${prefix}-3-added.png`) });

  await page.fill("#add input[name=title]", "x".repeat(51));
  await page.fill("#add input[name=content]", "too long");
  await page.click("#add button[type=submit]");
  const error = page.locator('#add .error[data-field="title"]');
  await error.waitFor({ state: "visible" });
  check((await error.textContent()) === "Ensure this field has no more than 50 characters.", "the API's field error, next to the field");
  await page.screenshot({ path: path.join(shots, `${prefix}-4-field-error.png`) });

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
  await page.screenshot({ path: path.join(shots, `${prefix}.png`) });

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

