import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { runHarness, type HarnessRun } from '../support/harness-run';

/**
 * Contract drift said once: the setup project compares the OpenAPI document the target publishes with the contract's,
 * and the iteration summary shows the differences in their own section and names the drift as the root cause of a
 * test failing on a drifted field. The embedded server publishes a drifted document under health-uptime-dropped.
 */
function summaryOf(run: HarnessRun): string {
  const file = readdirSync(run.dirs.reports).find((name) => name.endsWith('.md'));
  if (!file) throw new Error(`no iteration summary in ${run.dirs.reports}: ${run.output.slice(-2000)}`);
  return readFileSync(path.join(run.dirs.reports, file), 'utf8');
}

test('a drifted document is named in the Contract Drift section and as the failing test’s root cause', async () => {
  const run = await runHarness(['-g', 'test_086'], { STAGING_FAULTS: 'health-uptime-dropped' });
  expect(run.code, 'the /health test fails on the missing field').toBe(1);
  const summary = summaryOf(run);
  const section = summary.slice(summary.indexOf('## Contract Drift'), summary.indexOf('\n## ', summary.indexOf('## Contract Drift') + 1));
  expect(section).toContain('| `GET /health 200` | required field uptime_seconds missing |');
  expect(summary).toMatch(/\*\*Root Cause\*\* \(contract drift\): \*\*Contract drift: uptime_seconds\*\*/);
});

test('a target whose published document matches the contract has no drift to report', async () => {
  const run = await runHarness(['-g', 'test_086']);
  expect(run.code).toBe(0);
  expect(summaryOf(run)).toContain('no drift found');
});
