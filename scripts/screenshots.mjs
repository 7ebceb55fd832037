// Signs in as each demo role on a running server and saves a screenshot of each page it can
// open, so that a developer can look at what users see.
//   node scripts/screenshots.mjs --url http://127.0.0.1:3100 --data ./data --out ./screenshots
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "@playwright/test";

const { values } = parseArgs({
  options: { url: { type: "string", default: "http://127.0.0.1:3100" }, data: { type: "string", default: "data" }, out: { type: "string", default: "screenshots" }, pages: { type: "string" } },
});
const creds = fs
  .readFileSync(path.join(values.data, "initial-passwords.txt"), "utf8")
  .split("\n")
  .filter((l) => l && !l.startsWith("#"))
  .map((l) => l.split("\t"));
fs.mkdirSync(values.out, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const login = await (await browser.newPage({ viewport: { width: 1280, height: 800 } }));
await login.goto(values.url + "/login");
await login.waitForSelector("form");
await login.screenshot({ path: path.join(values.out, "login.png") });
await login.close();
for (const [username, role, password] of creds) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(values.url + "/login");
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForSelector("[data-testid=current-user]");
  await page.waitForTimeout(800);
  await page.screenshot({ path: path.join(values.out, `${role}-home.png`) });
  const links = await page.getByRole("navigation", { name: "Main" }).getByRole("link").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  for (const href of values.pages ? values.pages.split(",") : links) {
    await page.goto(values.url + href);
    await page.waitForTimeout(800);
    await page.screenshot({ path: path.join(values.out, `${role}${href.replaceAll("/", "-")}.png`), fullPage: true });
  }
  await page.close();
}
await browser.close();
console.log(`screenshots in ${values.out}`);
