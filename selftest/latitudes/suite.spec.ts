import { expect, test } from '@playwright/test';
import { runHarness } from '../support/harness-run';

/**
 * The suites assert the contract, never the embedded server's own choices: against a server that takes every other
 * conforming choice it can (all latitude switches, docs/latitudes.md), the whole suite passes, with nothing
 * skipped: the embedded server has every key the tests need.
 */
test('the whole suite passes against the embedded server with every latitude on', async () => {
  test.setTimeout(10 * 60_000);
  const run = await runHarness(['--reporter=json'], { STAGING_LATITUDES: 'all' }, 9 * 60_000);
  const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as {
    stats: { expected: number; unexpected: number; flaky: number; skipped: number };
    suites: Suite[];
  };
  expect(report.suites.flatMap(failedSpecs), 'tests that fail against a conforming server making other choices').toEqual([]);
  expect(report.stats, run.stderr.slice(0, 2000)).toMatchObject({ unexpected: 0, flaky: 0, skipped: 0 });
  expect(report.stats.expected, 'every test ran').toBeGreaterThanOrEqual(195);
  expect(run.code).toBe(0);
});

interface Suite {
  specs?: { title: string; ok: boolean }[];
  suites?: Suite[];
}

function failedSpecs(suite: Suite): string[] {
  return [...(suite.specs ?? []).filter((spec) => !spec.ok).map((spec) => spec.title), ...(suite.suites ?? []).flatMap(failedSpecs)];
}

/**
 * With every latitude on, other latitudes fill what minimal-content empties; on its own, a conforming agent run
 * meets only the contract's floor, and the quality score must still reach QUALITY_SLA (0.7), as the catalog says.
 */
test("agent execution passes against a server whose agents give only the contract's minimum content", async () => {
  test.setTimeout(5 * 60_000);
  const run = await runHarness(['--project=agent-execution', '--reporter=json'], { STAGING_LATITUDES: 'minimal-content' }, 4 * 60_000);
  const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as {
    stats: { expected: number; unexpected: number };
    suites: Suite[];
  };
  expect(report.suites.flatMap(failedSpecs), 'agent tests failing on a minimal but conforming answer').toEqual([]);
  expect(report.stats.expected).toBeGreaterThanOrEqual(7);
  expect(run.code).toBe(0);
});
