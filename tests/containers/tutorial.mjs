// make test-containers, docs/tutorial.md's recipe in Chromium (tutorial.sh
// brings it up): the tutorial's app at http://localhost:8080/ (its ng
// service; here a stand-in signing in with auth0-js v9 as its AuthService
// does) signs in at the development issuer behind https://localhost:8443/,
// and the API at http://localhost/api answers the token with the tasks the
// original stored in db.
//   node tutorial.mjs TASKS   (TASKS: how many the original's database holds)
import path from "node:path";
import { fileURLToPath } from "node:url";
import { auth0jsSignIn, check, launchBrowser } from "../e2e/lib.mjs";

const tasks = Number(process.argv[2]);
const shots = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../target/containers");
const browser = await launchBrowser(process.env.CHROMIUM || "/usr/bin/chromium");
const context = await browser.newContext({ ignoreHTTPSErrors: true });
const page = await context.newPage();
page.on("pageerror", (e) => console.log(`  page error: ${e.message}`));
try {
  await page.goto("http://localhost:8080/");
  const result = await auth0jsSignIn(page, "auth0|tutorial-reader");
  check(result.error === undefined, `signed in through https://localhost:8443 (${JSON.stringify(result.error || "no error")})`);
  check(result.userinfo && result.userinfo.sub === "auth0|tutorial-reader", "userInfo names the user");
  check(result.tasks === tasks, `http://localhost/api answered the token with the original's ${result.tasks} tasks`);
  await page.screenshot({ path: path.join(shots, "tutorial.png") });
  await browser.close();
} catch (error) {
  console.error(error.message);
  await page.screenshot({ path: path.join(shots, "tutorial-failure.png") }).catch(() => {});
  // Not the whole address: a callback's fragment holds a token.
  console.error(`page: ${page.url().replace(/[?#].*/, "")}`);
  await browser.close();
  process.exit(1);
}
