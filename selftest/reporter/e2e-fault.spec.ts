/**
 * The real P1 suite against the embedded reference server with the fault that breaks subprotocol auth: the summary
 * names the failing tests, explains them by the fixtures' 403 diagnosis, and counts exactly what Playwright's JSON
 * reporter counts for the same run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import type { IterationFile } from '../../reporter/write';
import { childEnv, jsonReporterStats, leakedSecrets, onlyFile, readText, REPO, REPORTER, runPlaywright } from './harness';

interface JsonSuite {
  specs: { title: string; tests: { status: string }[] }[];
  suites?: JsonSuite[];
}

function unexpectedTitles(suites: JsonSuite[]): string[] {
  return suites.flatMap((s) => [
    ...s.specs.filter((sp) => sp.tests.some((t) => t.status === 'unexpected')).map((sp) => sp.title),
    ...unexpectedTitles(s.suites ?? []),
  ]);
}

test('a broken subprotocol auth is reported as the 403 diagnosis, with the JSON reporter’s counts', async () => {
  test.setTimeout(400_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iteration-reporter-e2e-'));
  const reports = path.join(tmp, 'reports');
  const json = path.join(tmp, 'results.json');
  const run = await runPlaywright(
    REPO,
    ['test', '--project=priority', '--grep', '@p1', `--reporter=json,${REPORTER}`, `--output=${path.join(tmp, 'test-results')}`],
    childEnv({
      // Empty target URLs: the embedded server, whatever a developer's .env says.
      STAGING_BASE_URL: '',
      STAGING_AUTH_URL: '',
      STAGING_WS_URL: '',
      JWT_SECRET_KEY: '',
      STAGING_FAULTS: 'ws-subprotocol-auth-broken',
      PLAYWRIGHT_JSON_OUTPUT_FILE: json,
      ITERATION_REPORTER_OUTPUT_DIR: reports,
    }),
  );
  expect(run.code, run.stdout + run.stderr).toBe(1);

  const file = JSON.parse(readText(onlyFile(reports, /^iteration-1-.*-embedded\.json$/))) as IterationFile;
  const markdown = readText(onlyFile(reports, /^iteration-1-.*-embedded\.md$/));
  const stats = jsonReporterStats(json);
  expect({
    expected: file.counts.passed,
    unexpected: file.counts.failed,
    flaky: file.counts.flaky,
    skipped: file.counts.skipped + file.counts.didNotRun + file.counts.interrupted,
  }).toEqual(stats);
  expect(file.counts.failed).toBeGreaterThan(0);

  const failing = unexpectedTitles((JSON.parse(readText(json)) as { suites: JsonSuite[] }).suites).sort();
  expect(failing).toContain('test_002_websocket_authentication_real');
  expect(file.model!.failures.map((f) => f.title).sort()).toEqual(failing);
  for (const f of file.model!.failures) {
    expect(f.cause, f.title).toMatchObject({ source: 'diagnosis', title: 'WebSocket authentication rejected (HTTP 403)' });
    expect(markdown).toContain(`#### ${f.number}. ${f.title}\n`);
  }
  expect(markdown).toContain('- **Root Cause** (fixture diagnosis): **WebSocket authentication rejected (HTTP 403)** — ');
  expect(markdown).toMatch(/\*\*Environment\*\*: staging — embedded reference server \(http:\/\/127\.0\.0\.1:\d+\)/);
  expect(leakedSecrets(markdown + readText(onlyFile(reports, /^iteration-1-.*-embedded\.json$/)) + run.stdout)).toEqual([]);
  fs.rmSync(tmp, { recursive: true, force: true });
});
