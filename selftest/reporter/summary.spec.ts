/**
 * One inline suite with every kind of result, run three ways: unsharded (both templates + Playwright's JSON
 * reporter), and as two shards whose blob reports are merged with `merge-reports`. The runs are shared by the
 * assertions below (one worker, in order), because each child Playwright run costs seconds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import type { IterationFile } from '../../reporter/write';
import type { History } from '../../reporter/types';
import {
  childEnv,
  expectGolden,
  jsonReporterStats,
  leakedSecrets,
  makeSuite,
  readText,
  removeSuite,
  runNode,
  runPlaywright,
  PLAYWRIGHT_CLI,
  type ChildResult,
} from './harness';
import { MERGE_CONFIG, MIXED_CONFIG, MIXED_FILES, SEEDED_HISTORY, SHARD_CONFIG } from './suites';

const STAGING_KEY = 'staging https://staging.example.test';

test.describe.configure({ mode: 'default' });

let dir = '';
let direct: ChildResult;
let merge: ChildResult;
const REPORT_DIRS = ['reports/complete', 'reports/status', 'reports/merged'];

test.beforeAll(async () => {
  test.setTimeout(400_000);
  dir = makeSuite('mixed', {
    ...MIXED_FILES,
    'playwright.config.ts': MIXED_CONFIG,
    'shard.config.ts': SHARD_CONFIG,
    'merge.config.ts': MERGE_CONFIG,
  });
  for (const d of REPORT_DIRS) {
    fs.mkdirSync(path.join(dir, d), { recursive: true });
    fs.writeFileSync(path.join(dir, d, 'history.json'), JSON.stringify(SEEDED_HISTORY, null, 2));
  }
  const shard = (n: number) =>
    runPlaywright(
      dir,
      ['test', '-c', 'shard.config.ts', `--shard=${n}/2`, `--output=test-results-shard${n}`],
      childEnv({ BLOB_DIR: `blob-${n}` }),
    );
  let shards: ChildResult[];
  [direct, ...shards] = await Promise.all([
    runPlaywright(dir, ['test'], childEnv({ GITHUB_STEP_SUMMARY: path.join(dir, 'step-summary.md') })),
    shard(1),
    shard(2),
  ]);
  fs.mkdirSync(path.join(dir, 'all-blobs'));
  for (const n of [1, 2]) {
    for (const f of fs.readdirSync(path.join(dir, `blob-${n}`)))
      fs.copyFileSync(path.join(dir, `blob-${n}`, f), path.join(dir, 'all-blobs', f));
  }
  merge = await runNode([PLAYWRIGHT_CLI, 'merge-reports', '-c', 'merge.config.ts', 'all-blobs'], { cwd: dir, env: childEnv() });
  for (const s of shards) expect(s.stderr, 'a shard run broke').not.toContain('Error: Cannot find module');
});

test.afterAll(() => {
  if (test.info().status === test.info().expectedStatus) removeSuite(dir);
});

/** Files of iteration 3 of the staging target the runs report on. */
const STEM = 'iteration-3-2025-09-07-staging-staging.example.test';
const iterationFile = (reports: string) => path.join(dir, reports, `${STEM}.json`);
const markdownOf = (reports: string) => readText(path.join(dir, reports, `${STEM}.md`));

test('the complete summary of a mixed run matches its golden file', () => {
  expect(direct.code, direct.stdout + direct.stderr).toBe(1);
  expectGolden('mixed-complete-summary.md', markdownOf('reports/complete'));
});

test('the status report of the same run matches its golden file', () => {
  expectGolden('mixed-status-report.md', markdownOf('reports/status'));
});

test('counts equal the JSON reporter’s: retries are one test, did-not-run and skipped are both its "skipped"', () => {
  const { counts } = JSON.parse(readText(iterationFile('reports/complete'))) as IterationFile;
  const stats = jsonReporterStats(path.join(dir, 'results.json'));
  expect({
    expected: counts.passed,
    unexpected: counts.failed,
    flaky: counts.flaky,
    skipped: counts.skipped + counts.didNotRun + counts.interrupted,
  }).toEqual(stats);
  expect(counts).toMatchObject({ total: 12, ran: 9, passed: 2, failed: 6, flaky: 1, skipped: 1, didNotRun: 2, interrupted: 0, passing: 3 });
});

test('the iteration continues the history and the JSON holds the results and the model', () => {
  const history = JSON.parse(readText(path.join(dir, 'reports/complete/history.json'))) as History;
  expect(Object.keys(history.targets), 'the version 1 history was migrated to the run’s target').toEqual([STAGING_KEY]);
  const iterations = history.targets[STAGING_KEY].iterations;
  expect(iterations.map((e) => e.iteration)).toEqual([1, 2, 3]);
  const latest = iterations[2];
  expect(latest).toMatchObject({ status: 'failed', markdown: `${STEM}.md`, json: `${STEM}.json` });
  expect(latest.tests?.['priority › tests/p1.spec.ts › P1 Critical › test_003_websocket_message_send_real']).toBe('flaky');
  const file = JSON.parse(readText(iterationFile('reports/complete'))) as IterationFile;
  expect(file.run.tests).toHaveLength(12);
  expect(file.model?.footer).toBe('3 of 9 tests passing (33.3% success rate) — 1 flaky, 1 skipped, 2 without a verdict');
  expect(file.renderError).toBeUndefined();
});

/** The reporter's own terminal lines (Playwright's list reporter prints raw errors itself). */
function terminalSummary(stdout: string): string {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => / Iteration 3: /.test(l));
  const end = lines.findIndex((l, i) => i > start && l.startsWith('  Summary: '));
  return lines.slice(start, end + 1).join('\n');
}

test('no credential or token reaches any file or the reporter’s terminal summary', () => {
  const texts = [terminalSummary(direct.stdout), terminalSummary(merge.stdout), readText(path.join(dir, 'step-summary.md'))];
  expect(texts[0]).toContain(`Summary: reports/complete/${STEM}.md`);
  for (const d of REPORT_DIRS) for (const f of fs.readdirSync(path.join(dir, d))) texts.push(readText(path.join(dir, d, f)));
  expect(texts.flatMap(leakedSecrets)).toEqual([]);
  expect(markdownOf('reports/complete')).toContain('**Environment**: staging — https://staging.example.test\n');
});

test('the Markdown is appended to $GITHUB_STEP_SUMMARY and a short summary printed', () => {
  // Both reporter instances of the run append (in the order Playwright calls them).
  expect(readText(path.join(dir, 'step-summary.md'))).toBe(`${markdownOf('reports/complete')}\n${markdownOf('reports/status')}\n`);
  expect(direct.stdout).toContain('❌ FAILED Iteration 3: 3 of 9 tests passing (33.3% success rate)');
  expect(direct.stdout).toContain(
    '✘ tests/p1.spec.ts:8 test_002_websocket_authentication_real — WebSocket authentication rejected (HTTP 403)',
  );
  expect(direct.stdout).not.toContain('Iteration 3: Staging Test Status Report');
});

test('merge-reports of two shards gives the same document, counts and attachments as the unsharded run', () => {
  expect(merge.code, merge.stdout + merge.stderr).toBe(0);
  const merged = JSON.parse(readText(iterationFile('reports/merged'))) as IterationFile;
  const unsharded = JSON.parse(readText(iterationFile('reports/complete'))) as IterationFile;
  expect(merged.counts).toEqual(unsharded.counts);
  const attached = (file: IterationFile) =>
    Object.fromEntries(
      file.run.tests.filter((t) => t.metrics || t.quality || t.contractDrift).map((t) => [t.key, [t.metrics, t.quality, t.contractDrift]]),
    );
  expect(Object.keys(attached(unsharded))).toHaveLength(5);
  expect(attached(merged), 'metrics, quality scores and contract drift survive the blob reports').toEqual(attached(unsharded));
  expect(markdownOf('reports/merged')).toBe(markdownOf('reports/complete'));
});
