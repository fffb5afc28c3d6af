// Lighthouse (npm, .node-tools/) on a running `tuidang serve`, for tests/test_lighthouse.py.
//
//   node tests/lighthouse.mjs TOOLS BASE OUT PATH...
//
// TOOLS: the folder holding node_modules/ (lighthouse, puppeteer-core); BASE: the server's
// origin; OUT: a JSON file written with one entry per page: {name, url, scores {category:
// 0..100}, failing [[audit id, title, display value]]}. Each PATH is audited by a plain
// navigation; "receipt" instead fills the form, previews it and audits the navigation that
// sends it (the receipt is only ever the answer to that POST: it has no URL).
//
// The mobile profile is Lighthouse's default (a Moto G Power's screen and user agent,
// simulated slow 4G), with one change: the CPU slowdown. Lighthouse's fixed 4x turns a
// high-end desktop (benchmark index 1500-2000) into a mid-tier phone, and anything slower,
// such as a loaded CI machine of two shared cores (index 350-800), into a phone slower than
// any it models. Its documentation (docs/throttling.md, "calibrating multipliers") says to
// scale the multiplier to the host instead: here host index / 264, the index Chromium's
// DevTools calibrates its "low-tier mobile" to (a Moto G Power 2022, the phone Lighthouse's
// mobile profile names), measured with Lighthouse's own benchmark just before each page. On a
// fast host this is stricter than 4x; it is never below 1.
import {createRequire} from 'node:module';
import {writeFileSync} from 'node:fs';
import {pathToFileURL} from 'node:url';

const [tools, base, out, ...paths] = process.argv.slice(2);
const require = createRequire(tools + '/node_modules/');
const load = (name) => import(pathToFileURL(require.resolve(name)).href);
const {default: lighthouse, startFlow} = await load('lighthouse');
const {default: puppeteer} = await load('puppeteer-core');

const root = pathToFileURL(require.resolve('lighthouse')).href.replace(/core\/index\.js$/, '');
const {pageFunctions} = await import(root + 'core/lib/page-functions.js');
const {throttling: presets} = await import(root + 'core/config/constants.js');

// Chromium's DevTools, CalibrationController.ts: "the benchmark score of a low-tier device
// (like a Moto G4 Power 2022)".
const LOW_TIER_PHONE_INDEX = 264;

const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];

function summary(name, lhr) {
  const scores = {};
  const failing = [];
  for (const id of CATEGORIES) {
    const category = lhr.categories[id];
    scores[id] = category.score === null ? null : Math.round(category.score * 100);
    for (const ref of category.auditRefs) {
      const audit = lhr.audits[ref.id];
      // Only audits that weigh in the score, or are binary failures, tell what to fix.
      if (audit.score !== null && audit.score < 1 && (ref.weight > 0 || audit.scoreDisplayMode === 'binary')) {
        failing.push([id, ref.id, audit.title, audit.displayValue || '']);
      }
    }
  }
  return {name, url: lhr.finalDisplayedUrl, scores, failing,
          benchmarkIndex: lhr.environment.benchmarkIndex,
          // What blocked the main thread, for a failure's message.
          longTasks: (lhr.audits['long-tasks'].details?.items || []).slice(0, 8)
              .map((t) => [t.url, Math.round(t.startTime), Math.round(t.duration)]),
          cpuSlowdownMultiplier: lhr.configSettings.throttling.cpuSlowdownMultiplier,
          runWarnings: lhr.runWarnings || [], error: lhr.runtimeError || null};
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--no-proxy-server', '--lang=zh-CN'],
});
// Lighthouse's benchmark, three times on a blank page (the median: one run can fall on a
// moment the host's other work takes its core), then the settings of the mobile profile
// with the multiplier that brings this host to the low-tier phone.
async function mobileFlags(page) {
  await page.goto('about:blank');
  const runs = [];
  for (let i = 0; i < 3; i++) {
    runs.push(await page.evaluate(`(${pageFunctions.computeBenchmarkIndex})()`));
  }
  const index = runs.sort((a, b) => a - b)[1];
  const cpuSlowdownMultiplier = Math.max(1, index / LOW_TIER_PHONE_INDEX);
  return {logLevel: 'error', output: 'json',
          throttling: {...presets.mobileSlow4G, cpuSlowdownMultiplier}};
}

const results = [];
try {
  for (const path of paths) {
    const page = await browser.newPage();
    const flags = await mobileFlags(page);
    if (path === 'receipt') {
      await page.goto(base + '/submit');
      await page.type('#name', '灯塔');
      await page.click('#org-party');
      await Promise.all([page.waitForNavigation(), page.click('button[name=step]')]);
      await page.waitForSelector('#send');
      // What is measured is the send with script on, so it waits until pow.js has put its
      // solution in the preview (its nonce replaces the no-script token's "0"). Pressed
      // sooner, before the deferred script ran (CI under load), the no-script token is sent
      // within its delay (safety::Guard::kFormTokenDelaySeconds) and the preview comes back
      // saying how long to wait: right for a person, not the page to be scored.
      await page.waitForFunction(
          () => document.querySelector('form[data-pow] input[name=pow_nonce]')?.value !== '0',
          {timeout: 120000, polling: 100});
      const flow = await startFlow(page, {name: 'receipt', flags});
      await flow.navigate(async () => {
        await Promise.all([page.waitForNavigation(), page.click('#send')]);
      }, {name: 'receipt'});
      const [step] = (await flow.createFlowResult()).steps;
      if (!(await page.$('#receipt-code'))) {
        const said = await page.evaluate(
            () => (document.querySelector('main') || document.body).innerText);
        throw new Error('the send gave no receipt; the page says: ' + said.slice(0, 2000));
      }
      results.push(summary('receipt', step.lhr));
    } else {
      const result = await lighthouse(base + path, flags, undefined, page);
      results.push(summary(path, result.lhr));
    }
    await page.close();
  }
} finally {
  await browser.close();
}
writeFileSync(out, JSON.stringify(results, null, 1));
