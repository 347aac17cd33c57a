// End-to-end test of the duijie web console in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core). Run by tests/web_console.rs
// against a running `duijie serve`; by hand:
//
//   DUIJIE_URL=http://127.0.0.1:7700 DUIJIE_SME_KEY=dj_… DUIJIE_OPERATOR_KEY=dj_… \
//     node tests/e2e/console.spec.mjs
//
// Screenshots go to DUIJIE_SCREENSHOTS (default target/e2e-screenshots).
// Exits 0 when every step passed, 1 otherwise.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const env = (name, fallback) => {
  const v = process.env[name] || fallback;
  if (!v) { console.error(`missing environment variable ${name}`); process.exit(2); }
  return v;
};
const BASE = env('DUIJIE_URL').replace(/\/$/, '');
const SME_KEY = env('DUIJIE_SME_KEY');
const OPERATOR_KEY = env('DUIJIE_OPERATOR_KEY');
const QUERY = env('DUIJIE_E2E_QUERY', '电池');
const SHOTS = resolve(env('DUIJIE_SCREENSHOTS', join(here, '..', '..', 'target', 'e2e-screenshots')));
const CHROMIUM = env('DUIJIE_CHROMIUM', '/usr/bin/chromium');
const TIMEOUT = Number(process.env.DUIJIE_E2E_TIMEOUT_MS || 30000);

rmSync(SHOTS, { recursive: true, force: true });
mkdirSync(SHOTS, { recursive: true });

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
context.setDefaultTimeout(TIMEOUT);
const page = await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.on('console', (m) => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) pageErrors.push(m.text()); });
const requests = [];
page.on('request', (r) => requests.push(r.url()));

const shot = async (name, target = page) => {
  await target.screenshot({ path: join(SHOTS, name + '.png'), fullPage: true });
  console.log(`  screenshot ${name}.png`);
};
const steps = [];
async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    steps.push([name, 'ok']);
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    steps.push([name, 'FAILED']);
    console.log(`FAIL ${name}\n${e.stack || e}`);
    await shot('failed-' + steps.length).catch(() => {});
    throw e;
  }
}

async function signIn(key, role) {
  await page.locator('#role').selectOption(role);
  await page.locator('#api-key').fill(key);
  await page.locator('form.signin button[type=submit]').click();
  await page.locator('#signout').waitFor();
}

let needId;
let exitCode = 0;
try {
  await step('page and assets load with Chinese UI', async () => {
    const res = await page.goto(BASE + '/');
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'], /text\/html/);
    await page.locator('#nav a[data-page=search]').waitFor();
    assert.equal(await page.locator('#nav a[data-page=search]').textContent(), '搜索');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  });

  await step('search: results with highlighted snippets, facets, kind tab, pagination', async () => {
    await page.locator('#q').fill(QUERY);
    await page.locator('.searchbar button').click();
    await page.waitForFunction(() => location.hash.includes('q='));
    // Snippets of the query's hits carry the matched terms in <b>.
    await page.locator('.hit .snippet b').first().waitFor();
    assert.ok((await page.locator('.hit').count()) > 0, 'no hits');
    assert.ok((await page.locator('.facet [data-facet=region]').count()) > 0, 'no region facet');
    assert.match(await page.locator('.summary').textContent(), /共 \d+ 条结果/);
    // A facet narrows the results and is marked active.
    const facet = page.locator('.facet [data-facet=region]').first();
    const value = await facet.getAttribute('data-value');
    await facet.click();
    await page.waitForFunction((v) => location.hash.includes('region=' + v), value);
    await page.locator('.facet [data-facet=region].active').waitFor();
    await page.locator('.hit').first().waitFor();
    await page.locator('.facet .clear').first().click();
    await page.waitForFunction(() => !location.hash.includes('region='));
    // Kind tab.
    await page.locator('.tab[data-kind=achievement]').click();
    await page.waitForFunction(() => location.hash.includes('kind=achievement'));
    await page.waitForFunction(() => {
      const badges = Array.from(document.querySelectorAll('.hit .badge'));
      return badges.length > 0 && badges.every((b) => b.textContent === '科技成果');
    });
    if (await page.locator('.pager .next').count()) {
      await page.locator('.pager .next').click();
      await page.waitForFunction(() => location.hash.includes('page=2'));
      await page.locator('.pager span').filter({ hasText: '第 2 /' }).waitFor();
      await page.locator('.tab[data-kind=""]').click();
      await page.locator('.hit').first().waitFor();
    }
    await shot('search');
  });

  await step('phone width: search page fits the screen', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${BASE}/#/search?q=${encodeURIComponent(QUERY)}`);
    await phone.locator('.hit').first().waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page is ${overflow}px wider than the phone screen`);
    await shot('search-phone', phone);
    await phone.close();
  });

  await step('post: sign in as SME, field errors inline (client and API 422), then post a need', async () => {
    await page.goto(BASE + '/#/post');
    await signIn(SME_KEY, 'sme');
    const stored = await page.evaluate(() => sessionStorage.getItem('duijie.session'));
    assert.ok(stored && stored.includes(SME_KEY), 'key not in sessionStorage');
    assert.ok(!page.url().includes(SME_KEY), 'key in the URL');
    await page.locator('form.post-form[data-kind=need]').waitFor();
    // Empty submit: required fields are flagged without a request.
    await page.locator('form.post-form button[type=submit]').click();
    await page.locator('.field[data-field=title].invalid .err').filter({ hasText: '必填' }).waitFor();
    // A malformed region code is refused in the browser.
    await page.locator('#f-title').fill('锂电池正极材料回收与再生利用技术需求');
    await page.locator('#f-body').fill('我公司从事动力电池回收，希望引进废旧锂电池正极材料回收再利用技术，提高镍钴锰回收率，降低酸耗，实现中试放大。');
    await page.locator('#f-region').fill('52a1');
    await page.locator('#f-industry').fill('C42');
    await page.locator('#f-tags').fill('锂电池，正极材料、回收');
    await page.locator('#f-budget').fill('80');
    await page.locator('#f-maturity').selectOption('pilot');
    await page.locator('input[name=cooperation_modes][value=joint_development]').check();
    await page.locator('form.post-form button[type=submit]').click();
    await page.locator('.field[data-field=region].invalid .err').filter({ hasText: '位数字' }).waitFor();
    // A well-formed but unknown code passes the browser and is refused by the API (422, field region).
    await page.locator('#f-region').fill('990000');
    const refused = page.waitForResponse((r) => r.url().endsWith('/v1/needs') && r.request().method() === 'POST');
    await page.locator('form.post-form button[type=submit]').click();
    const res = await refused;
    assert.equal(res.status(), 422);
    assert.equal((await res.json()).field, 'region');
    await page.locator('.field[data-field=region].invalid .err').filter({ hasText: '服务端校验' }).waitFor();
    assert.equal(await page.locator('.field.invalid').count(), 1, 'only the region field should be flagged');
    await shot('post-error');
    // Fix it and post.
    await page.locator('#f-region').fill('520102');
    await page.locator('form.post-form button[type=submit]').click();
    await page.locator('#see-matches').waitFor();
    needId = (await page.locator('#post-status code').textContent()).trim();
    assert.ok(needId, 'no id shown');
  });

  await step('matches: the new need, its matches with score bars, explanation and highlighted terms', async () => {
    await page.locator('#see-matches').click();
    await page.waitForFunction((id) => decodeURIComponent(location.hash) === '#/doc/need/' + id, needId);
    await page.locator('.doc-title').filter({ hasText: '锂电池正极材料' }).waitFor();
    await page.locator('.match').first().waitFor();
    const n = await page.locator('.match').count();
    assert.ok(n > 0, 'no matches');
    assert.equal(await page.locator('.match .score .bar .fill').count(), n, 'a result without a score bar');
    const widths = await page.locator('.match .score .bar .fill').evaluateAll((els) => els.map((e) => parseFloat(e.style.width)));
    assert.ok(widths[0] > 0 && widths.every((w, i) => i === 0 || w <= widths[i - 1] + 1e-6), 'score bars not in descending order: ' + widths);
    assert.ok((await page.locator('.match mark').count()) > 0, 'no matched term highlighted');
    await page.locator('.match .why').first().click();
    const table = page.locator('.match .explain table').first();
    await table.waitFor();
    const rows = await table.locator('tbody tr').count();
    assert.ok(rows >= 2, 'explanation has too few parts');
    const features = await table.locator('tbody tr').evaluateAll((trs) => trs.map((t) => t.dataset.feature));
    assert.ok(features.includes('bm25') || features.includes('cosine'), 'no relevance feature in ' + features);
    // The matched document's opening lines, with the matched terms marked.
    await page.locator('.match .detail .snippet mark').first().waitFor();
    await shot('matches');
  });

  await step('free-text match: a need in plain words, what it named read back, explained results', async () => {
    await page.locator('#nav a[data-page="match"]').click();
    await page.locator('#match-text').fill('我们在贵阳做锂电池，想提高正极材料的循环寿命，预算30万');
    await page.locator('#match-kind').selectOption('achievement');
    await page.locator('.match-form button[type="submit"]').click();
    await page.locator('.match').first().waitFor();
    const read = await page.locator('#understood .chip').allTextContents();
    assert.ok(read.some((t) => t.includes('贵阳')), 'the place was not read back: ' + read);
    assert.ok(read.some((t) => t.includes('30')), 'the budget was not read back: ' + read);
    assert.ok((await page.locator('.match mark').count()) > 0, 'no matched term highlighted');
    assert.equal(decodeURIComponent(await page.evaluate(() => location.hash)).startsWith('#/match?'), true);
    await page.locator('.match .why').first().click();
    const features = await page.locator('.match .explain table').first().locator('tbody tr').evaluateAll((trs) => trs.map((t) => t.dataset.feature));
    assert.ok(features.includes('region_fit') && features.includes('budget_fit'), 'no two-sided fit in ' + features);
    await shot('free-text-match');
  });

  await step('edit and delete: the SME edits its need in the form it posted with, then deletes it', async () => {
    await page.goto(`${BASE}/#/doc/need/${encodeURIComponent(needId)}`);
    await page.locator('#edit-doc').click();
    await page.locator(`form.post-form[data-edit="${needId}"]`).waitFor();
    // The form holds the stored values.
    assert.equal(await page.locator('#f-title').inputValue(), '锂电池正极材料回收与再生利用技术需求');
    assert.equal(await page.locator('#f-budget').inputValue(), '80');
    assert.equal(await page.locator('#f-maturity').inputValue(), 'pilot');
    assert.ok(await page.locator('input[name=cooperation_modes][value=joint_development]').isChecked());
    await page.locator('#f-title').fill('锂电池正极材料回收与再生利用技术需求（修订）');
    await page.locator('#f-budget').fill('120');
    const saved = page.waitForResponse((r) => r.url().includes('/v1/needs/') && r.request().method() === 'PUT');
    await page.locator('form.post-form button[type=submit]').click();
    assert.equal((await saved).status(), 200);
    await page.locator('#see-matches').waitFor();
    const stored = await page.evaluate(async (id) => (await fetch('/v1/needs/' + encodeURIComponent(id))).json(), needId);
    assert.equal(stored.title, '锂电池正极材料回收与再生利用技术需求（修订）');
    assert.equal(stored.budget, 120);
    // What the form does not show is kept.
    assert.equal(stored.status, 'open');
    assert.equal(stored.region, '520102');
    assert.deepEqual(stored.tags, ['锂电池', '正极材料', '回收']);
    await shot('edited');
    await page.goto(`${BASE}/#/doc/need/${encodeURIComponent(needId)}`);
    await page.locator('.doc-title').filter({ hasText: '（修订）' }).waitFor();
    page.once('dialog', (d) => d.accept());
    await page.locator('#delete-doc').click();
    await page.locator('#doc-status .notice.ok').filter({ hasText: '已删除' }).waitFor();
    const gone = await page.evaluate(async (id) => (await fetch('/v1/needs/' + encodeURIComponent(id))).status, needId);
    assert.equal(gone, 404);
  });

  await step('operator: sign in, change a weight, run eval side by side, save', async () => {
    await page.locator('#signout').click();
    await page.goto(BASE + '/#/ops');
    await page.locator('form.signin').waitFor();
    await signIn(OPERATOR_KEY, 'operator');
    // The market's default profile is selected first.
    await page.waitForFunction(() => document.querySelector('#profile')?.value === 'default-tech');
    await page.locator('input[type=range][data-side=demand_side][data-feature=bm25]').waitFor();
    const before = await (await fetch(BASE + '/v1/profiles/default-tech')).json();
    const slider = page.locator('input[type=range][data-side=demand_side][data-feature=bm25]');
    await slider.evaluate((el) => { el.value = '0.9'; el.dispatchEvent(new Event('input', { bubbles: true })); });
    assert.equal((await slider.locator('xpath=..').locator('output').textContent()).trim(), '0.90');
    assert.ok((await page.locator('#judgments option').count()) > 0, 'no judgments on offer');
    await page.locator('#run-eval').click();
    const table = page.locator('#eval-results table.compare');
    await table.waitFor({ timeout: Math.max(TIMEOUT, 120000) });
    const cells = await table.locator('tbody tr').first().locator('td').allTextContents();
    assert.equal(cells.length, 3);
    assert.ok(cells.slice(0, 2).every((c) => /^\d\.\d{3}$/.test(c.trim())), 'nDCG cells: ' + cells);
    assert.match(await table.locator('thead').textContent(), /已保存 v\d+.*调整后/);
    assert.deepEqual(await table.locator('tbody th').allTextContents(), ['nDCG@10', 'recall@50', 'MRR']);
    await shot('operator');
    await page.locator('#save-profile').click();
    await page.locator('#ops-status .notice.ok').filter({ hasText: '已保存' }).waitFor();
    const after = await (await fetch(BASE + '/v1/profiles/default-tech')).json();
    assert.equal(after.version, before.version + 1, 'profile version did not advance');
    assert.ok(Math.abs(after.demand_side.bm25 - 0.9) < 1e-6, 'weight not saved: ' + after.demand_side.bm25);
  });

  await step('gaps: 补链 report with charts by industry and region', async () => {
    await page.goto(BASE + '/#/gaps?market=tech&threshold=0.6');
    await page.locator('#gaps .summary').waitFor({ timeout: Math.max(TIMEOUT, 120000) });
    assert.match(await page.locator('#gaps .summary').textContent(), /扫描 \d+ 条/);
    assert.ok((await page.locator('#gaps .chart').count()) === 2, 'expected two charts');
    assert.ok((await page.locator('#gaps .chart-row .bar .fill').count()) > 0, 'empty chart');
    assert.ok((await page.locator('#gaps .gap-table tbody tr').count()) > 0, 'no gap rows');
    await shot('gaps');
  });

  await step('the key never appears in a requested URL, and the page logged no errors', async () => {
    const leaked = requests.filter((u) => u.includes(SME_KEY) || u.includes(OPERATOR_KEY));
    assert.deepEqual(leaked, []);
    assert.deepEqual(pageErrors, []);
  });
} catch {
  exitCode = 1;
} finally {
  await browser.close();
}
console.log(`\n${steps.filter(([, s]) => s === 'ok').length}/${steps.length} steps passed; screenshots in ${SHOTS}`);
process.exit(exitCode);
