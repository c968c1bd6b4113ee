/**
 * The demo's HTML report in a real browser: Debian's chromium, headless, driven by playwright-core.
 * The report is built by the demo's own code (writeDemoReport, and the demo's figure functions for
 * Figures 2-4) from a recorded demo run (fixtures/demo-run.json: a real run's results, trimmed), so
 * the test takes seconds where running the demo takes a minute or more; test/cli runs the demo
 * itself. It checks that the page renders without console errors, page errors or failed requests,
 * that every figure is drawn (inline SVG with a box on the page and marks inside, and each linked
 * SVG file opens on its own), and that the key numbers of the run (T0, E0, the plan's accuracy, the
 * cut) are visible. It leaves a full-page screenshot in out/test-report/report.png.
 *
 * Without /usr/bin/chromium (or CHROMIUM_PATH) the test is reported as skipped with the reason in
 * its name, except under CI (CI set), where a missing browser fails it: .ci/run installs chromium.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { profilePlots } from '../../src/app/demo/profile-plots.ts';
import { writeDemoReport } from '../../src/app/demo/report-html.ts';
import type { DemoResult } from '../../src/app/demo/run-demo.ts';
import { figure3Spec } from '../../src/distortion/plot.ts';
import { renderVegaLiteSvg } from '../../src/report/render-svg.ts';
import { fig4Spec } from '../../src/theory/bounds-plot.ts';
import { writeFileAtomic } from '../../src/util/atomic-write.ts';

const root = join(import.meta.dirname, '..', '..');
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(executablePath);
const inCi = !!process.env.CI;
const outDir = join(root, 'out', 'test-report');
const demoDir = join(outDir, 'demo');

/** The report of the recorded run, written the way `coquant demo` writes it. */
async function buildReport(): Promise<DemoResult> {
  const fx = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'demo-run.json'), 'utf8'));
  const r = { ...fx.result, out: demoDir, report: join(demoDir, 'report.html'), profile: fx.profile, distortion: fx.distortion, bounds: fx.bounds } as DemoResult;
  r.figures = { ...(await profilePlots(r.profile, demoDir)) };
  r.figures.fig3 = 'fig3-output-distortion.svg';
  await writeFileAtomic(join(demoDir, r.figures.fig3), await renderVegaLiteSvg(figure3Spec(r.distortion.configs, 'PP-OCRv4 rec: measured D_o and α·D_p (simulation formats)')));
  r.figures.fig4 = 'fig4-rd-bounds.svg';
  await writeFileAtomic(join(demoDir, r.figures.fig4), await renderVegaLiteSvg(fig4Spec(r.bounds)));
  await writeDemoReport(r);
  return r;
}

let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
});

describe('the demo report in a real browser', () => {
  it.runIf(!haveBrowser && inCi)('CI has chromium at ' + executablePath, () => {
    expect.fail(`${executablePath} is missing: .ci/run installs Debian's chromium (apt-get install -y chromium)`);
  });

  it.skipIf(!haveBrowser)(
    haveBrowser ? 'renders without errors, draws every figure and shows the key numbers' : `SKIPPED: no browser at ${executablePath} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
    async () => {
      rmSync(outDir, { recursive: true, force: true });
      mkdirSync(demoDir, { recursive: true });
      const demo = await buildReport();

      browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('requestfailed', (q) => problems.push(`request failed: ${q.url()} ${q.failure()?.errorText ?? ''}`));
      const resp = await page.goto(pathToFileURL(join(demoDir, 'report.html')).href, { waitUntil: 'load' });
      expect(resp?.ok() ?? true).toBe(true);

      // Every figure is drawn: an inline SVG with a box on the page and marks inside it.
      const figures = await page.$$eval('figure', (fs) =>
        fs.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return { caption: f.querySelector('figcaption')?.textContent ?? '', width: box?.width ?? 0, height: box?.height ?? 0, marks: svg ? svg.querySelectorAll('path, rect, line, circle, text').length : 0, link: f.querySelector('figcaption a')?.getAttribute('href') ?? null };
        }),
      );
      expect(figures.length).toBe(4);
      expect(figures.map((f) => f.link).sort()).toEqual(Object.values(demo.figures).sort());
      for (const f of figures) {
        expect(f.width, f.caption).toBeGreaterThan(100);
        expect(f.height, f.caption).toBeGreaterThan(50);
        expect(f.marks, f.caption).toBeGreaterThan(10);
      }
      // Images, if any, decoded.
      const images = await page.$$eval('img', (is) => is.map((i) => ({ src: i.src, w: (i as unknown as { naturalWidth: number }).naturalWidth })));
      for (const i of images) expect(i.w, i.src).toBeGreaterThan(0);

      // The key numbers of the run are on the page, where a reader sees them.
      const text = await page.innerText('body');
      const num = (re: RegExp) => {
        const m = re.exec(text);
        expect(m, String(re)).not.toBeNull();
        return Number(m![1]);
      };
      // The report prints two decimals below 10 and one above: agreement to half a unit of the last digit.
      const T0 = demo.constraints.T0 * 1000;
      const E0 = demo.constraints.E0 * 1000;
      expect(Math.abs(num(/T0 = ([\d.]+) ms/) - T0)).toBeLessThanOrEqual(T0 < 10 ? 0.005 : 0.05);
      expect(Math.abs(num(/E0 = ([\d.]+) mJ/) - E0)).toBeLessThanOrEqual(E0 < 10 ? 0.005 : 0.05);
      const headline = page.locator('table').first();
      await expect.poll(() => headline.isVisible()).toBe(true);
      const planRow = headline.locator('tr', { hasText: demo.plan.name }).first();
      expect(await planRow.isVisible()).toBe(true);
      expect(await planRow.innerText()).toContain(`${(100 * demo.plan.accuracy).toFixed(1)}%`);
      expect(text).toContain(`Cut after ${demo.plan.plan.cut}`);
      expect(text).toContain(`α = ${demo.distortion.fit.alpha.toFixed(3)}`);

      await page.screenshot({ path: join(outDir, 'report.png'), fullPage: true });
      expect(existsSync(join(outDir, 'report.png'))).toBe(true);

      // Each figure's linked SVG file opens on its own.
      for (const f of figures) {
        if (!f.link) continue;
        const p = await browser.newPage();
        p.on('pageerror', (e) => problems.push(`${f.link}: page error ${e.message}`));
        const rr = await p.goto(pathToFileURL(join(demoDir, f.link)).href);
        expect(rr?.ok() ?? true, f.link).toBe(true);
        const box = await p.locator('svg').first().boundingBox();
        expect(box?.width ?? 0, f.link).toBeGreaterThan(100);
        await p.close();
      }
      expect(problems).toEqual([]);
    },
    120_000,
  );
});
