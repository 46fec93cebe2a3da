// Browser test: the real `orient serve` (real models and index) and Debian's headless Chromium
// driven by Playwright. Loads the demo page, asks a question through the <orient-chat> widget,
// sees the text stream in and the sources appear, asks an open question and gets métier cards
// with an editable profile, then runs axe-core on the demo page, the
// charter page and the staff pages: no serious or critical violation may remain.
//
// Usage: node widget.test.mjs   (env ORIENT_BIN: the orient binary; ORIENT_HOME: a home with
// models and index, as the README's test command leaves it; OUT: where screenshots go)
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const require = createRequire(import.meta.url);
const axePath = require.resolve("axe-core/axe.min.js");
const bin = process.env.ORIENT_BIN || join(root, "target/release/orient");
const realHome = process.env.ORIENT_HOME || join(process.env.HOME, ".cache/orient");
const out = process.env.OUT || join(root, "target/browser");
mkdirSync(out, { recursive: true });

function fail(msg) {
  console.error("FAIL: " + msg);
  process.exitCode = 1;
  throw new Error(msg);
}

// A home of its own for the log; models and index are the real ones.
const home = mkdtempSync(join(tmpdir(), "orient-browser-"));
for (const sub of ["models", "downloads", "index"]) symlinkSync(join(realHome, sub), join(home, sub));
const counsellorToken = "browser-test-counsellor-7f3a";
const digest = createHash("sha256").update(counsellorToken).digest("hex");
// With the bridge sentence, so that the widget is seen rendering text as it streams in.
writeFileSync(join(home, "orient.toml"), `[server]\nrate_limit_per_minute = 0\n[assistant]\ngeneration = "bridge"\n[auth]\ncounsellor_tokens = ["${digest}"]\n`);

const server = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--config", join(home, "orient.toml")], {
  cwd: root, env: { ...process.env, ORIENT_HOME: home }, stdio: ["ignore", "pipe", "inherit"],
});
const base = await new Promise((resolve, reject) => {
  let buf = "";
  server.stdout.on("data", (d) => {
    buf += d;
    const m = buf.match(/orient listening on (http:\/\/\S+)/);
    if (m) resolve(m[1]);
  });
  server.on("exit", (code) => reject(new Error("orient serve exited with " + code)));
});
for (let i = 0; ; i++) {
  const r = await fetch(base + "/readyz").catch(() => null);
  if (r && r.ok) break;
  if (i > 600) fail("server not ready");
  await new Promise((r) => setTimeout(r, 500));
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
});
const errors = [];
async function axe(page, label) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(async () => await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  console.log(`axe ${label}: ${result.violations.length} violations (${bad.length} serious or critical), ${result.passes.length} rules passed`);
  for (const v of result.violations) console.log(`  ${v.impact} ${v.id}: ${v.help} (${v.nodes.length} nodes)`);
  if (bad.length) fail(`${label}: ${bad.map((v) => v.id).join(", ")}`);
}

try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(base + "/");
  const input = page.getByLabel("Ta question sur un métier ou une formation");
  await input.focus();
  await page.keyboard.type("Comment devenir boulanger ?");
  // Count the pieces of text the widget appends to the answer as they arrive: an answer without
  // a model can come whole within one of Playwright's polls, so sampling its length alone
  // cannot tell streaming from a single write.
  await page.evaluate(() => {
    window.__textAppends = 0;
    const root = document.querySelector("orient-chat").shadowRoot;
    new MutationObserver((records) => {
      for (const r of records) {
        const t = r.target;
        if (t.nodeType === 1 && t.classList.contains("text") && t.closest(".msg.assistant") && r.addedNodes.length) window.__textAppends += 1;
      }
    }).observe(root, { subtree: true, childList: true });
  });
  await page.keyboard.press("Enter");
  // Streaming: text appears, then grows, before the sources arrive.
  const answer = page.locator("orient-chat .msg.assistant .text").last();
  await answer.filter({ hasText: "Onisep" }).waitFor({ timeout: 60_000 });
  const early = (await answer.textContent()).length;
  const links = page.locator("orient-chat .msg.assistant .sources a");
  await links.first().waitFor({ timeout: 180_000 });
  const late = (await answer.textContent()).length;
  const appends = await page.evaluate(() => window.__textAppends);
  if (!(late > early) && appends < 2) fail(`text did not stream (${early} then ${late} characters, ${appends} pieces)`);
  const hrefs = await links.evaluateAll((as) => as.map((a) => a.href));
  if (!hrefs.some((h) => h.startsWith("https://www.onisep.fr/"))) fail("no ONISEP source link: " + hrefs);
  const live = await page.locator("orient-chat [aria-live=polite]").textContent();
  if (!live.includes("boulang")) fail("the live region did not announce the answer");
  if (!(await page.getByRole("button", { name: "Parler à un conseiller" }).isVisible())) fail("no visible counsellor button");
  await page.screenshot({ path: join(out, "widget.png"), fullPage: true });
  console.log(`widget: streamed ${early} → ${late} characters in ${appends} pieces, ${hrefs.length} source links`);
  await axe(page, "demo page with an answer");

  // Handoff from the widget: the button asks for a counsellor, the conversation reaches the
  // copilot's queue, and the counsellor's reply appears in the widget.
  await page.getByRole("button", { name: "Parler à un conseiller" }).click();
  await page.locator("orient-chat .note").filter({ hasText: "va te répondre" }).waitFor({ timeout: 30_000 });
  const auth = { "Authorization": "Bearer " + counsellorToken, "Content-Type": "application/json" };
  const queue = await (await fetch(base + "/v1/counsellor/queue", { headers: auth })).json();
  if (queue.queue.length !== 1) fail("the handed-off conversation is not in the queue: " + JSON.stringify(queue));
  const reply = "Bonjour, je suis conseillère. Je peux t'aider à choisir une formation de boulanger.";
  const sent = await fetch(base + "/v1/counsellor/conversations/" + queue.queue[0].id + "/reply", { method: "POST", headers: auth, body: JSON.stringify({ text: reply }) });
  if (!sent.ok) fail("reply refused: " + sent.status);
  await page.locator("orient-chat .msg.counsellor").filter({ hasText: "je suis conseillère" }).waitFor({ timeout: 15_000 });
  await page.screenshot({ path: join(out, "widget-counsellor.png"), fullPage: true });
  console.log("widget: handoff reached the queue, the counsellor's reply reached the widget");
  await axe(page, "demo page after a counsellor's reply");

  // An open question: métiers proposed as cards with their sources, and the profile the
  // assistant read, each item removable, all of it erased in one click.
  {
    const p = await browser.newPage();
    p.on("pageerror", (e) => errors.push("open question: " + e.message));
    await p.goto(base + "/");
    const q = p.getByLabel("Ta question sur un métier ou une formation");
    await q.fill("j'adore les animaux et être dehors, mais pas travailler la nuit ni avec des chiffres, c'est quoi les métiers possibles ?");
    await q.press("Enter");
    const cards = p.locator("orient-chat .paths .card");
    await cards.first().waitFor({ timeout: 120_000 });
    const n = await cards.count();
    if (n < 3 || n > 5) fail(`${n} métiers proposed, 3 to 5 expected`);
    const cardLinks = await p.locator("orient-chat .paths .card h3 a").evaluateAll((as) => as.map((a) => a.href));
    if (!cardLinks.every((h) => h.startsWith("https://www.onisep.fr/"))) fail("a card without its ONISEP fiche: " + cardLinks);
    const chips = p.locator("orient-chat .profile .chip");
    await chips.first().waitFor({ timeout: 5_000 });
    const before = await chips.count();
    const profileText = await p.locator("orient-chat .profile").textContent();
    if (!profileText.includes("animaux")) fail("the profile does not show the interest read");
    if (!profileText.includes("Pas : travailler la nuit")) fail("the profile does not show the working condition ruled out: " + profileText);
    if (!profileText.includes("Pas : « j'aime jongler avec les chiffres »")) fail("the profile does not show the interest ruled out: " + profileText);
    await p.screenshot({ path: join(out, "widget-paths.png"), fullPage: true });
    await axe(p, "demo page with métiers to explore");
    await chips.first().getByRole("button").click();
    if ((await chips.count()) !== before - 1) fail("removing one item of the profile did not remove it");
    await p.getByRole("button", { name: "Tout effacer" }).click();
    if (await p.locator("orient-chat .profile").isVisible()) fail("the profile is still shown after erasing it");
    console.log(`widget: open question → ${n} métier cards, profile of ${before} items shown, corrected and erased`);
    await p.close();
  }

  for (const path of ["/charte", "/conseiller", "/audit"]) {
    const p = await browser.newPage();
    p.on("pageerror", (e) => errors.push(path + ": " + e.message));
    await p.goto(base + path);
    await axe(p, path);
    await p.close();
  }
  if (errors.length) fail("page errors: " + errors.join(" | "));
  console.log("browser test: OK");
} finally {
  await browser.close();
  server.kill("SIGTERM");
}
