// Loads the wactor dashboard of a running host in headless Chromium (the system
// /usr/bin/chromium, driven by puppeteer-core over the DevTools protocol) and checks that
// every expected component has a row, the total rate is non-zero, the graph has an edge
// and the chart a line; then saves a screenshot.
//
//   node dashboard.test.mjs <base-url> <screenshot.png> <component-id>...
// or with WACTOR_URL, WACTOR_SCREENSHOT and WACTOR_IDS (comma-separated) in the environment.
// Optional: WACTOR_TOKEN (sent as ?token=), CHROMIUM (browser path), WACTOR_TIMEOUT_MS
// (default 20000), WACTOR_COLOR_SCHEME (dark or light, default dark), WACTOR_CHART_POINTS (the
// screenshot waits, at most the timeout, for this many seconds of the rate chart; default 8).
// Exit status 0 when every check passed, 1 otherwise (with the reason on stderr).
import puppeteer from 'puppeteer-core';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const [argUrl, argShot, ...argIds] = process.argv.slice(2);
const base = argUrl || process.env.WACTOR_URL;
const screenshot = argShot || process.env.WACTOR_SCREENSHOT || 'dashboard.png';
const ids = argIds.length ? argIds : (process.env.WACTOR_IDS || '').split(',').filter(Boolean);
const timeout = Number(process.env.WACTOR_TIMEOUT_MS || 20000);
const scheme = process.env.WACTOR_COLOR_SCHEME || 'dark';
if (!base) {
  console.error('usage: node dashboard.test.mjs <base-url> <screenshot.png> <component-id>... (or WACTOR_URL, WACTOR_SCREENSHOT, WACTOR_IDS)');
  process.exit(2);
}

function fail(why) {
  console.error('dashboard test: FAIL: ' + why);
  process.exitCode = 1;
}

const url = new URL(base);
if (process.env.WACTOR_TOKEN) url.searchParams.set('token', process.env.WACTOR_TOKEN);
const origin = url.origin;

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // CI runs as root, where Chromium's sandbox cannot start; /dev/shm is small in containers.
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--hide-scrollbars'],
  defaultViewport: { width: 1280, height: 800 },
});
try {
  const page = await browser.newPage();
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console error: ' + m.text()); });
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) problems.push('external fetch: ' + r.url());
  });

  const response = await page.goto(url.href, { waitUntil: 'domcontentloaded', timeout });
  if (!response || !response.ok()) throw new Error(`GET ${url.href}: ${response ? response.status() : 'no response'}`);
  const ctype = response.headers()['content-type'] || '';
  if (!ctype.startsWith('text/html')) throw new Error(`GET / answered Content-Type ${ctype}, not text/html`);

  const ready = (want) => {
    const rows = [...document.querySelectorAll('[data-testid="component-row"]')].map((r) => r.dataset.id);
    const total = Number(document.querySelector('[data-testid="total-rate"]')?.dataset.value || 0);
    const edges = document.querySelectorAll('[data-testid="graph"] .edge').length;
    const line = document.querySelector('[data-testid="chart"] polyline');
    const rowRate = [...document.querySelectorAll('[data-testid="rate"]')].some((c) => Number(c.dataset.value) > 0);
    return want.every((id) => rows.includes(id)) && total > 0 && rowRate && edges > 0 && !!line;
  };
  try {
    await page.waitForFunction(ready, { timeout, polling: 200 }, ids);
  } catch (e) {
    const seen = await page.evaluate(() => ({
      rows: [...document.querySelectorAll('[data-testid="component-row"]')].map((r) => r.dataset.id),
      total: document.querySelector('[data-testid="total-rate"]')?.textContent,
      edges: document.querySelectorAll('[data-testid="graph"] .edge').length,
      chartLines: document.querySelectorAll('[data-testid="chart"] polyline').length,
      status: document.getElementById('status')?.textContent,
    }));
    await page.screenshot({ path: screenshot }).catch(() => {});
    throw new Error(`not ready after ${timeout} ms: expected rows [${ids}], a non-zero total rate ` +
      `and row rate, an edge and a chart line; saw ${JSON.stringify(seen)} (screenshot: ${screenshot})`);
  }
  // For the screenshot: a few seconds of the rate chart (no more than the timeout).
  const points = Number(process.env.WACTOR_CHART_POINTS || 8);
  await page.waitForFunction((n) => {
    const line = document.querySelector('[data-testid="chart"] polyline.series-handled');
    return line && line.getAttribute('points').split(' ').length >= n && document.getElementById('status')?.textContent === 'live';
  }, { timeout, polling: 250 }, points).catch(() => {});
  mkdirSync(dirname(screenshot) || '.', { recursive: true });
  await page.screenshot({ path: screenshot });
  const total = await page.$eval('[data-testid="total-rate"]', (e) => e.textContent);
  if (problems.length) fail(problems.join('; '));
  else console.log(`dashboard test: ok: rows [${ids}], ${total} msgs/s, screenshot ${screenshot}`);
} catch (e) {
  fail(e.message);
} finally {
  await browser.close();
}
