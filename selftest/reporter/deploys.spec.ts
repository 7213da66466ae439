/**
 * Deploy over deploy, without Playwright: the sixth run against a staging target, with five earlier staging
 * iterations and three of the embedded server in history.json. The summary compares it with its own target only,
 * calls out the p95 that moved, lists flakiness over time and names the parts behind each failure.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import type { TemplateName } from '../../reporter/render';
import type { History } from '../../reporter/types';
import { writeIteration, type WriteOutcome } from '../../reporter/write';
import { deployHistory, deployRun, STAGING_KEY } from './deploys';
import { expectGolden, leakedSecrets, readText } from './harness';

const dirs: string[] = [];

test.afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function writeDeploy(template: TemplateName): { outcome: WriteOutcome; history: History; warnings: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iteration-reporter-deploys-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'history.json'), JSON.stringify(deployHistory(), null, 2));
  const warnings: string[] = [];
  const outcome = writeIteration(deployRun(), { outputDir: dir, template, env: {}, warn: (m) => warnings.push(m) });
  return { outcome, history: JSON.parse(readText(path.join(dir, 'history.json'))) as History, warnings };
}

test('the sixth run of a target is its iteration 6, compared with that target’s iterations only', () => {
  const { outcome, history, warnings } = writeDeploy('complete-summary');
  expect(warnings).toEqual([]);
  expect(outcome.iteration).toBe(6);
  expect(path.basename(outcome.markdownPath)).toBe('iteration-6-2025-09-11-staging-staging.example.test.md');
  expect(
    history.targets.embedded.iterations.map((e) => e.iteration),
    'the other target is left alone',
  ).toEqual([1, 2, 3]);
  expect(history.targets[STAGING_KEY].iterations.map((e) => e.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(history.targets[STAGING_KEY].iterations[5].metrics?.['run.first_event (supervisor)']).toEqual({
    count: 3,
    p50: 420,
    p95: 1180,
    max: 1180,
  });
  const changes = outcome.model!.changes;
  expect(changes.summary).toBe('Since iteration 5: 3 newly failing, 0 fixed, 1 still failing, 0 flaky.');
  // The embedded server failed test_001 in each of its iterations: that is no "fixed" or "since iteration N" here.
  expect(outcome.markdown).not.toContain('test_001_websocket_connection_real** — `tests/priority/p1-critical.spec.ts:20`: ');
  expect(changes.stillFailing.map((c) => c.note)).toEqual([
    'failing since iteration 4 — TLS certificate not trusted: the chain ends in a private CA',
  ]);
});

test('a p95 that moved by more than PERF_CHANGE_RATIO is called out by name; noise and small moves are not', () => {
  const { performance } = writeDeploy('complete-summary').outcome.model!;
  expect(performance.changes).toEqual([
    'run.first_event p95 412 ms → 1180 ms, +186%',
    'run.first_event (supervisor) p95 412 ms → 1180 ms, +186%',
    'rest GET /api/threads p95 100 ms → 60 ms, -40%',
  ]);
});

test('flakiness over time tells unstable, failing and new tests apart, each since the iteration it started', () => {
  const { flakiness } = writeDeploy('complete-summary').outcome.model!;
  expect(flakiness.rows.map((r) => [r.label.split('**')[1], r.kind, r.share, r.since, r.marks])).toEqual([
    ['test_004_websocket_event_flow_real', 'unstable', '3 of 6 (50%)', '#2', '✓ ✗ ✓ ~ ✓ ✗'],
    ['test_009_health_over_tls', 'failing', '3 of 6 (50%)', '#4', '✓ ✓ ✓ ✗ ✗ ✗'],
    ['test_012_thread_listing_paged', 'new', '1 of 2 (50%)', '#6', '· · · · ✓ ✗'],
    ['test_003_agent_request_pipeline', 'unstable', '2 of 6 (33%)', '#1', '✗ ~ ✓ ✓ ✓ ✓'],
  ]);
});

test('the complete summary of the sixth deploy matches its golden file', () => {
  const { outcome } = writeDeploy('complete-summary');
  expectGolden('deploys-complete-summary.md', outcome.markdown);
  expect(leakedSecrets(outcome.markdown)).toEqual([]);
});

test('the status report of the sixth deploy matches its golden file', () => {
  expectGolden('deploys-status-report.md', writeDeploy('status-report').outcome.markdown);
});
