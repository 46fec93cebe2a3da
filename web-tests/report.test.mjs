// Browser test of the audit reports: `orient eval fairness` writes report.html for a few base
// questions; headless Chromium opens it without errors, shows the plots (one SVG per
// attribute), passes an axe-core scan and leaves a screenshot.
//
// Usage: node report.test.mjs   (env ORIENT_BIN, ORIENT_HOME as for widget.test.mjs)
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const bin = process.env.ORIENT_BIN || join(root, "target/release/orient");
const out = process.env.OUT || join(root, "target/browser");
mkdirSync(out, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), "orient-report-"));

execFileSync(bin, ["-q", "eval", "fairness", "--probes", join(root, "../shared/data/eval/fairness-probes-dev.jsonl"),
  "--bases", "FB02,FB44,FB59", "--out", dir], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto("file://" + join(dir, "report.html"));
  const svgs = await page.locator("figure svg").count();
  const title = await page.locator("h1").textContent();
  await page.screenshot({ path: join(out, "fairness-report.png"), fullPage: true });
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const axe = await page.evaluate(async () => await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }));
  const bad = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  console.log(`report: "${title}", ${svgs} plots, axe: ${axe.violations.length} violations (${bad.length} serious or critical)`);
  for (const v of axe.violations) console.log(`  ${v.impact} ${v.id}: ${v.help}`);
  if (errors.length) throw new Error("page errors: " + errors.join(" | "));
  if (svgs < 5) throw new Error(`expected one plot per attribute (5), found ${svgs}`);
  if (bad.length) throw new Error("accessibility: " + bad.map((v) => v.id).join(", "));
  console.log("report browser test: OK");
} finally {
  await browser.close();
}
