/**
 * `npm run iterate -- --max N`: a full run, then re-runs of the failures only, folded into one iteration whose
 * summary tells persistent failures from tests that passed only when re-run.
 */
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import type { History } from '../../reporter/types';
import type { IterationFile } from '../../reporter/write';
import { childEnv, expectGolden, makeSuite, onlyFile, readText, removeSuite, runNode, REPO, TSX_CLI } from './harness';
import { LOOP_FILES } from './suites';

test('the loop re-runs failures, then separates the persistent failure from the flaky one', async () => {
  test.setTimeout(300_000);
  const dir = makeSuite('loop', LOOP_FILES);
  const run = await runNode([TSX_CLI, path.join(REPO, 'scripts', 'iterate.ts'), '--max', '2'], { cwd: dir, env: childEnv() });
  expect(run.code, run.stdout + run.stderr).toBe(1);
  expect(run.stdout).toContain('[iterate] attempt 3 of at most 3: re-running failures (--last-failed)');
  expect(run.stdout).toContain('[iterate] iteration 1 after 3 attempts: 1 failing, 1 flaky, 1 passed');

  const reports = path.join(dir, 'reports');
  const history = JSON.parse(readText(path.join(reports, 'history.json'))) as History;
  expect(Object.values(history.targets).map((t) => t.iterations.length)).toEqual([1]);
  const file = JSON.parse(readText(onlyFile(reports, /^iteration-1-2025-09-07-staging-staging\.example\.test\.json$/))) as IterationFile;
  expect(file.run.loop?.attempts.map((a) => [a.scope, a.ran, a.failed])).toEqual([
    ['full', 3, 2],
    ['last-failed', 2, 1],
    ['last-failed', 1, 1],
  ]);
  expect(file.counts).toMatchObject({ total: 3, ran: 3, passed: 1, flaky: 1, failed: 1 });
  expectGolden('loop-complete-summary.md', readText(onlyFile(reports, /^iteration-1-2025-09-07-staging-staging\.example\.test\.md$/)));
  removeSuite(dir);
});
