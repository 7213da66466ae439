import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import type { IterationFile } from '../../reporter/write';
import { scanArtifacts, scanText } from '../../scripts/scan-secrets';
import { launchChromium } from '../support/chromium';
import { mergeReports, runHarness, type HarnessRun } from '../support/harness-run';
import { expectFailingTestShown, expectFramesAndTraceShown } from '../support/report-page';
import { serveDirectory } from '../support/static-server';

/**
 * The CI matrix, locally: P1 with a broken subprotocol handshake (test_002 fails with a diagnosis), run once
 * unsharded and as 3 shards with `--reporter=blob` and traces on (what each matrix job of
 * .github/workflows/staging-e2e.yml runs), the blob reports merged with merge.config.ts (what the merge job runs).
 * The merged iteration summary must tell the same story as the unsharded one, the merged HTML report must show
 * what a test run's report shows, and no artifact of any of these runs may hold the run's JWT secret, bypass key
 * or a token.
 */
test.describe.configure({ mode: 'default', timeout: 240_000 });

const SHARDS = 3;
const env = {
  JWT_SECRET_KEY: randomBytes(48).toString('base64url'),
  E2E_OAUTH_SIMULATION_KEY: randomBytes(24).toString('base64url'),
  STAGING_FAULTS: 'ws-subprotocol-auth-broken',
  TRACE_MODE: 'on',
};
const P1 = ['--project=priority', '--grep', '@p1'];
let unsharded: HarnessRun;
let shards: HarnessRun[];
let merged: HarnessRun;
let blobDir: string;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  blobDir = mkdtempSync(path.join(os.tmpdir(), 'all-blob-reports-'));
  mkdirSync(blobDir, { recursive: true });
  unsharded = await runHarness(P1, env);
  shards = [];
  for (let n = 1; n <= SHARDS; n++) {
    // One blob file per matrix job, downloaded side by side by the merge job.
    const file = path.join(blobDir, `report-priority-${n}-of-${SHARDS}.zip`);
    shards.push(await runHarness([...P1, `--shard=${n}/${SHARDS}`, '--reporter=blob'], { ...env, PLAYWRIGHT_BLOB_OUTPUT_FILE: file }));
  }
  merged = await mergeReports(blobDir);
});

let kept = false;

test.afterEach(() => {
  // A failure keeps the runs' directories for a look; a green run leaves nothing behind.
  kept ||= test.info().status !== test.info().expectedStatus;
});

test.afterAll(() => {
  if (kept) return;
  for (const run of [unsharded, ...(shards ?? []), merged]) if (run) rmSync(run.dirs.root, { recursive: true, force: true });
  if (blobDir) rmSync(blobDir, { recursive: true, force: true });
});

function iteration(run: HarnessRun): IterationFile {
  const files = existsSync(run.dirs.reports) ? readdirSync(run.dirs.reports).filter((f) => /^iteration-\d+-.*\.json$/.test(f)) : [];
  expect(files, `one iteration summary in ${run.dirs.reports}`).toHaveLength(1);
  return JSON.parse(readFileSync(path.join(run.dirs.reports, files[0]), 'utf8')) as IterationFile;
}

const statuses = (file: IterationFile) => Object.fromEntries(file.run.tests.map((t) => [t.key, t.status]));
/** Failing tests with their error's first line (the user id in it differs between runs) and diagnosis. */
const failing = (file: IterationFile) =>
  file.run.tests
    .filter((t) => t.status === 'failed')
    .map((t) => ({
      key: t.key,
      error: t.error?.message.split('\n')[0].replace(/\be2e-[\w-]+/g, 'e2e-<user>'),
      diagnosis: t.diagnosis?.title,
    }));

test('each shard runs a part of P1, and together they run all of it', () => {
  for (const shard of shards) expect(shard.code === 0 || shard.code === 1, shard.output.slice(-2000)).toBe(true);
  expect(
    readdirSync(blobDir)
      .filter((f) => f.endsWith('.zip'))
      .sort(),
  ).toEqual(['report-priority-1-of-3.zip', 'report-priority-2-of-3.zip', 'report-priority-3-of-3.zip']);
  const ran = shards.map((s) => Number(/(\d+) passed/.exec(s.output)?.[1] ?? 0) + Number(/(\d+) failed/.exec(s.output)?.[1] ?? 0));
  for (const count of ran) expect(count, 'every shard ran tests').toBeGreaterThan(0);
  expect(
    shards.filter((s) => s.code === 1),
    'exactly one shard holds the failing test_002',
  ).toHaveLength(1);
});

test('the merged iteration summary has the counts and failing tests of one unsharded run', () => {
  expect(unsharded.code, unsharded.output.slice(-2000)).toBe(1);
  expect(merged.code, merged.output.slice(-2000)).toBe(0);
  const direct = iteration(unsharded);
  const fromShards = iteration(merged);
  expect(direct.counts).toMatchObject({ total: 27, passed: 26, failed: 1, skipped: 0, didNotRun: 0 });
  expect(fromShards.counts).toEqual(direct.counts);
  expect(failing(fromShards)).toEqual(failing(direct));
  expect(failing(direct)).toEqual([
    {
      key: 'priority › tests/priority/p1-critical.spec.ts › P1 Critical › test_002_websocket_authentication_real',
      error: expect.stringContaining('WebSocket authentication rejected (HTTP 403)'),
      diagnosis: 'WebSocket authentication rejected (HTTP 403)',
    },
  ]);
  expect(statuses(fromShards), 'every test has the same status').toEqual(statuses(direct));
  expect(existsSync(path.join(merged.dirs.report, 'index.html')), 'the merge wrote the HTML report').toBe(true);
});

test('no artifact or output of the unsharded run, the shards or the merge holds a secret or token', () => {
  const runs = [unsharded, ...shards, merged];
  const dirs = [blobDir, ...runs.flatMap((r) => [r.dirs.results, r.dirs.report, r.dirs.reports, r.dirs.blob])];
  expect(scanArtifacts(dirs, [], env), 'hits by file and kind').toEqual([]);
  expect(runs.flatMap((r, i) => scanText(`output of run ${i}`, r.output, [], env))).toEqual([]);
  const traces = shards.flatMap((s) =>
    (existsSync(s.dirs.results) ? readdirSync(s.dirs.results, { recursive: true }) : []).filter((f) => String(f).endsWith('trace.zip')),
  );
  expect(traces.length, 'the shards kept traces (TRACE_MODE=on), so the scan looked at them').toBeGreaterThanOrEqual(25);
});

test('the merged HTML report (the CI artifact) shows the frames, attachments, diagnosis and traces in Chromium', async () => {
  const browser = await launchChromium();
  const site = await serveDirectory(merged.dirs.report);
  try {
    const page = await browser.newPage();
    await page.goto(`${site.url}/index.html`);
    await expectFailingTestShown(page);
    await page.goto(`${site.url}/index.html`);
    await expectFramesAndTraceShown(page);
  } finally {
    await browser.close();
    await site.close();
  }
});
