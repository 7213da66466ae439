/**
 * Runs that are stopped still get a summary, marked interrupted, with partial counts: the global timeout and
 * Ctrl-C (SIGINT to the Playwright process). A crashed worker is a failure, not an interruption: see the mixed suite.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import type { IterationFile } from '../../reporter/write';
import { childEnv, expectGolden, jsonReporterStats, makeSuite, onlyFile, readText, removeSuite, runPlaywright } from './harness';
import { STOPPED_FILES } from './suites';

const dirs: string[] = [];

test.afterAll(() => {
  if (test.info().status === test.info().expectedStatus) dirs.forEach(removeSuite);
});

function results(reports: string) {
  const file = JSON.parse(readText(onlyFile(reports, /^iteration-1-2025-09-07-staging-staging\.example\.test\.json$/))) as IterationFile;
  return {
    file,
    markdown: readText(onlyFile(reports, /^iteration-1-2025-09-07-staging-staging\.example\.test\.md$/)),
    stats: jsonReporterStats(path.join(reports, 'results.json')),
  };
}

test('a run stopped by the global timeout writes an interrupted summary with partial counts', async () => {
  test.setTimeout(200_000);
  const dir = makeSuite('timeout', STOPPED_FILES);
  dirs.push(dir);
  const run = await runPlaywright(
    dir,
    ['test'],
    childEnv({ GLOBAL_TIMEOUT_MS: '5000', REPORT_DIR: 'reports', STARTED_MARKER: path.join(dir, 'started.marker') }),
  );
  expect(run.code, run.stdout + run.stderr).toBe(1);
  const { file, markdown, stats } = results(path.join(dir, 'reports'));
  expect(file.run.status).toBe('timedout');
  expect(file.counts).toMatchObject({ total: 3, passed: 1, failed: 0, interrupted: 0, didNotRun: 2 });
  expect(stats).toEqual({ expected: 1, unexpected: 0, flaky: 0, skipped: 2 });
  expectGolden('global-timeout-complete-summary.md', markdown);
});

test('Ctrl-C (SIGINT) mid-test writes an interrupted summary with partial counts', async () => {
  test.setTimeout(200_000);
  const dir = makeSuite('sigint', STOPPED_FILES);
  dirs.push(dir);
  const marker = path.join(dir, 'started.marker');
  let poll: NodeJS.Timeout | undefined;
  const run = await runPlaywright(dir, ['test'], childEnv({ REPORT_DIR: 'reports', STARTED_MARKER: marker }), (child) => {
    poll = setInterval(() => {
      if (!fs.existsSync(marker)) return;
      clearInterval(poll);
      child.kill('SIGINT');
    }, 50);
  });
  clearInterval(poll);
  expect(run.code, run.stdout + run.stderr).toBe(130);
  const { file, markdown, stats } = results(path.join(dir, 'reports'));
  expect(file.run.status).toBe('interrupted');
  expect(file.counts).toMatchObject({ total: 3, passed: 1, interrupted: 1, didNotRun: 1 });
  expect(stats).toEqual({ expected: 1, unexpected: 0, flaky: 0, skipped: 2 });
  expectGolden('sigint-complete-summary.md', markdown);
});
