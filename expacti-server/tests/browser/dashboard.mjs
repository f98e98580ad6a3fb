// The dashboard in a real headless Chromium (Debian's /usr/bin/chromium), driven by
// playwright-core. Started by expacti-server/tests/it/browser.rs, which runs the server and
// the waiting `expacti run`s; the two talk in lines: this script prints `STEP name` when it is
// ready for the next request, and reads `GO name` on stdin when that request is pending.
import { chromium } from "playwright-core";
import { createInterface } from "node:readline";
import assert from "node:assert/strict";

const BASE = process.env.EXPACTI_BASE_URL;
const SHOTS = process.env.EXPACTI_SCREENSHOTS;
const lines = createInterface({ input: process.stdin });
const queued = [];
const waiters = [];
lines.on("line", (l) => (waiters.length ? waiters.shift()(l) : queued.push(l)));
const next = () => new Promise((res) => (queued.length ? res(queued.shift()) : waiters.push(res)));
async function step(name) {
  console.log(`STEP ${name}`);
  const l = await next();
  assert.equal(l, `GO ${name}`);
}

let current = null;
const browser = await chromium.launch({
  executablePath: process.env.EXPACTI_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function login(name, password, width = 1280) {
  const ctx = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => { console.log(`PAGEERROR ${e.message}`); });
  await page.goto(`${BASE}/`);
  assert.match(page.url(), /\/login\?next=/, "signed-out visitors are sent to the login page");
  await page.fill("input[name=name]", name);
  await page.fill("input[name=password]", password);
  await page.click("button[type=submit]");
  await page.waitForURL(`${BASE}/`);
  return { ctx, page };
}

async function shots(page, name) {
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    await page.waitForTimeout(100);
    await page.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

try {
  // A wrong password is refused.
  {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${BASE}/login`);
    await page.fill("input[name=name]", "alice");
    await page.fill("input[name=password]", "wrong-password");
    await page.click("button[type=submit]");
    await page.waitForURL(/failed=1/);
    await ctx.close();
  }
  const alice = await login("alice", process.env.EXPACTI_ALICE_PASSWORD);
  const page = alice.page;
  current = page;
  await page.waitForSelector("#live:text('live')");

  // 1. A request arrives live, is opened (click 1) and approved (click 2).
  await step("approve");
  const row = page.locator("#queue li").first();
  await row.waitFor({ timeout: 15000 });
  const cmd = await row.locator(".cmd").textContent();
  assert.match(cmd, /^mkdir .*approve-me && chmod 777 /);
  await shots(page, "queue");
  await row.locator("a").click();
  await page.waitForSelector("#approve");
  assert.match(await page.locator("#command").textContent(), /approve-me/);
  assert.match(await page.locator("#command mark").first().textContent(), /777/, "the risky span is marked");
  const ctxText = await page.locator("#context").textContent();
  assert.match(ctxText, /repositoryacme\/app/, ctxText);
  assert.match(await page.locator("#previous").textContent(), /echo allowed first-step/, "what ran before it in the run");
  assert.ok(await page.locator(".badge").first().isVisible());
  assert.match(await page.locator("#routing").textContent(), /Any reviewer may approve/, "the routing card");
  await shots(page, "request");
  await page.click("#approve");
  await page.waitForSelector("#state:text('approved by alice')");
  console.log("APPROVED");

  // 2. Deny with the keyboard shortcut.
  await page.goto(`${BASE}/`);
  await step("deny");
  const row2 = page.locator("#queue li").first();
  await row2.waitFor({ timeout: 15000 });
  await row2.locator("a").click();
  await page.waitForSelector("#deny");
  await page.keyboard.press("d");
  await page.waitForSelector("#state:text('denied by alice')");
  console.log("DENIED");

  // 3. A viewer sees the request but cannot approve it, not even by calling the API.
  await page.goto(`${BASE}/`);
  await step("viewer");
  const row3 = page.locator("#queue li").first();
  await row3.waitFor({ timeout: 15000 });
  const id = await row3.getAttribute("data-id");
  const vera = await login("vera", process.env.EXPACTI_VERA_PASSWORD);
  await vera.page.goto(`${BASE}/requests/${id}`);
  await vera.page.waitForSelector("#viewer");
  assert.equal(await vera.page.locator("#approve").count(), 0, "no approve button for a viewer");
  const viewerPost = await vera.page.evaluate(async (id) => {
    const csrf = document.querySelector('meta[name="csrf"]').content;
    const r = await fetch(`/api/requests/${id}/approve`, { method: "POST", headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json" }, body: "{}" });
    return r.status;
  }, id);
  assert.equal(viewerPost, 403, "a viewer's approve is refused");

  // 4. CSRF: a reviewer's cookie without the token, or with a wrong one, changes nothing.
  const csrfless = await page.evaluate(async (id) => {
    const a = await fetch(`/api/requests/${id}/approve`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    const b = await fetch(`/api/requests/${id}/approve`, { method: "POST", headers: { "X-CSRF-Token": "00", "Content-Type": "application/json" }, body: "{}" });
    return [a.status, b.status];
  }, id);
  assert.deepEqual(csrfless, [403, 403], "POSTs without the CSRF token are refused");
  console.log(`STILL-PENDING ${id}`);

  // 5. An admin accepts a suggestion mined from the approvals, in one click, and creates a
  //    shell token (shown once).
  await step("suggest");
  const admin = await login("admin", process.env.EXPACTI_ADMIN_PASSWORD);
  current = admin.page;
  await admin.page.goto(`${BASE}/rules`);
  const sug = admin.page.locator("#suggestions li[data-pattern*='cache-']").first();
  await sug.waitFor({ timeout: 15000 });
  await shots(admin.page, "suggestions");
  await sug.locator("button.accept").click();
  await admin.page.waitForSelector("#suggest-msg:text('accepted')");
  console.log("ACCEPTED");
  await admin.page.goto(`${BASE}/admin`);
  await admin.page.fill("#new-token input[name=name]", "from-the-dashboard");
  await admin.page.click("#new-token button[type=submit]");
  await admin.page.waitForSelector("#token-once:text('exs_')");
  const once = await admin.page.locator("#token-once").textContent();
  console.log(`TOKEN ${once.match(/exs_\S+/)[0]}`);
  await admin.page.waitForSelector("#failures :text('No failed notifications.')");
  await shots(admin.page, "admin");
  current = page;

  // 6. History, rules and the audit chain status.
  await page.goto(`${BASE}/history`);
  await page.waitForSelector("#rows tr");
  await page.waitForSelector("#chain:text('intact')");
  await shots(page, "history");
  await page.fill("input[name=q]", "approve-me");
  await page.click("#filters button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#rows tr").length === 1);
  await page.goto(`${BASE}/rules`);
  await page.waitForSelector("#rules tr");
  await shots(page, "rules");
  console.log("DONE");
} catch (e) {
  if (current) await current.screenshot({ path: `${SHOTS}/failure.png`, fullPage: true }).catch(() => {});
  console.log(`FAILED ${(e.stack || String(e)).replace(/\n/g, " | ")}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  lines.close();
}
