/**
 * Deploy over deploy against the embedded server: two iterations of the Agent Pipeline suite, the server's
 * AGENT_STEP_DELAY_MS raised between them (every event of a run after agent_started waits that long). The second
 * summary names the p95 change of the run measures, compared with the first iteration of the same target.
 * The measures are the `metrics.json` the fixtures attach to every test.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import type { IterationFile } from '../../reporter/write';
import { childEnv, onlyFile, readText, REPO, REPORTER, runPlaywright } from './harness';

test('raising AGENT_STEP_DELAY_MS between two iterations: the second summary names the p95 change of run.complete', async () => {
  test.setTimeout(400_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iteration-reporter-perf-'));
  const reports = path.join(tmp, 'reports');
  const iteration = (stepDelayMs: number) =>
    runPlaywright(
      REPO,
      [
        'test',
        '--project=core',
        '--grep',
        'Agent Pipeline',
        '--workers=2',
        `--reporter=${REPORTER}`,
        `--output=${path.join(tmp, `results-${stepDelayMs}`)}`,
      ],
      childEnv({
        // Empty target URLs: the embedded server, whatever a developer's .env says.
        STAGING_BASE_URL: '',
        STAGING_AUTH_URL: '',
        STAGING_WS_URL: '',
        JWT_SECRET_KEY: '',
        AGENT_STEP_DELAY_MS: String(stepDelayMs),
        ITERATION_REPORTER_OUTPUT_DIR: reports,
      }),
    );
  const first = await iteration(5);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  const second = await iteration(100);
  expect(second.code, second.stdout + second.stderr).toBe(0);

  const file = JSON.parse(readText(onlyFile(reports, /^iteration-2-.*-embedded\.json$/))) as IterationFile;
  const markdown = readText(onlyFile(reports, /^iteration-2-.*-embedded\.md$/));
  const { performance } = file.model!;
  const runComplete = performance.changes.filter((c) => c.startsWith('run.complete'));
  expect(runComplete.length, performance.changes.join('\n')).toBeGreaterThanOrEqual(2);
  for (const change of runComplete) {
    const [, before, after, percent] = /^run\.complete(?: \(\w+\))? p95 (\d+) ms → (\d+) ms, \+(\d+)%$/.exec(change) ?? [];
    expect(Number(after), change).toBeGreaterThan(Number(before) * 2);
    expect(Number(percent), change).toBeGreaterThan(100);
    expect(markdown).toContain(`- ${change}\n`);
  }
  expect(performance.rows.find((r) => r.series.startsWith('`run.complete`'))?.previous).toMatch(/ \(#1\)$/);
  expect(second.stdout).toContain('Performance: run.complete');
  fs.rmSync(tmp, { recursive: true, force: true });
});
