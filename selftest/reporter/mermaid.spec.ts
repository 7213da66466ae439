/**
 * The summary's charts as GitHub draws them: every ```mermaid block of a freshly rendered summary and of the golden
 * files is parsed and rendered by the `mermaid` package in Debian's Chromium, offline. A block Mermaid cannot parse
 * fails the test (GitHub would show an error box instead of the chart).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { compileRules, loadRules } from '../../reporter/diagnosis';
import { buildViewModel } from '../../reporter/model';
import { renderMarkdown } from '../../reporter/render';
import { launchChromium } from '../support/chromium';
import { deployHistory, deployRun, STAGING_KEY } from './deploys';
import { GOLDEN_DIR } from './harness';

const MERMAID = require.resolve('mermaid/dist/mermaid.min.js');

function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)\n```$/gm)].map((m) => m[1]);
}

/** The part of mermaid's API the page uses. */
interface Mermaid {
  initialize(config: object): void;
  parse(definition: string): Promise<{ diagramType: string }>;
  render(id: string, definition: string): Promise<{ svg: string }>;
}

interface Rendered {
  ok: boolean;
  type?: string;
  /** Points of the drawn line, when it rendered. */
  lines?: number;
  error?: string;
}

/** Parses and renders each definition with the page's mermaid; never throws. */
function renderAll(page: Page, definitions: string[]): Promise<Rendered[]> {
  return page.evaluate(async (defs) => {
    const mermaid = (window as unknown as { mermaid: Mermaid }).mermaid;
    mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
    const out: Rendered[] = [];
    for (const [i, def] of defs.entries()) {
      try {
        const parsed = await mermaid.parse(def);
        const { svg } = await mermaid.render(`chart${i}`, def);
        const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
        out.push({ ok: true, type: parsed.diagramType, lines: doc.querySelectorAll('.line-plot-0 path').length });
      } catch (error) {
        out.push({ ok: false, error: String((error as Error)?.message ?? error) });
      }
    }
    return out;
  }, definitions);
}

test('every Mermaid block of the summary and of the golden files parses and renders in Chromium', async () => {
  const run = deployRun();
  const model = buildViewModel({
    run,
    iteration: 6,
    history: deployHistory().targets[STAGING_KEY].iterations,
    rules: compileRules(loadRules()),
  });
  const fresh = mermaidBlocks(renderMarkdown(model, 'complete-summary'));
  expect(fresh, 'the pass-rate and the p95 first-event charts').toHaveLength(2);
  const golden = fs.readdirSync(GOLDEN_DIR).flatMap((f) => mermaidBlocks(fs.readFileSync(path.join(GOLDEN_DIR, f), 'utf8')));
  expect(golden.length, 'the goldens hold charts too').toBeGreaterThanOrEqual(3);

  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    // Offline: mermaid comes from node_modules; nothing may be fetched.
    await page.route('**/*', (route) => {
      requests.push(route.request().url());
      return route.abort();
    });
    await page.setContent('<!doctype html><html><body></body></html>');
    await page.addScriptTag({ path: MERMAID });
    const results = await renderAll(page, [...fresh, ...golden]);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.map((r) => [r.type, r.lines])).toEqual([...fresh, ...golden].map(() => ['xychart', 1]));
    const [broken] = await renderAll(page, ['xychart-beta\n  x-axis ["#1", "#2"\n  line [1, 2]']);
    expect(broken, 'a block Mermaid cannot parse is caught').toMatchObject({ ok: false });
    expect(requests).toEqual([]);
  } finally {
    await browser.close();
  }
});
