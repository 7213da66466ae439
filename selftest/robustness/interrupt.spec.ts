import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, expect } from '@playwright/test';
import type { IterationFile } from '../../reporter/write';
import { closedPort, REPO } from '../support/harness-run';
import { portAccepts, waitForNoProcesses } from '../support/leftovers';
import { childEnvironment } from '../../scripts/child-env';

/**
 * Ctrl-C mid-run (issue: robustness): the P1–P6 suites against the embedded server, slowed down so runs are in
 * flight, are stopped by SIGINT once a few tests have passed. The iteration summary must still be written, marked
 * interrupted with partial counts, the exit code must be non-zero, and nothing of the run may be left: no process
 * that belongs to it (runner, workers, the embedded server and its npx/tsx wrappers), and the server's port closed.
 *
 * Two ways to send it: to the runner only (as `kill -INT <pid>` or a CI cancel does), and to the whole process
 * group, as a terminal's Ctrl-C does.
 */
const PLAYWRIGHT_CLI = require.resolve('@playwright/test/cli', { paths: [REPO] });
/** Passed tests to wait for before the signal: the run is then well under way, with agent runs in flight. */
const PASSED_BEFORE_SIGNAL = 4;

type Target = 'runner' | 'process group';

/** The runner alone, or (a terminal's Ctrl-C) every process of its group: it is started as a group leader. */
function sendSignal(child: ChildProcess, target: Target, name: NodeJS.Signals): void {
  if (target === 'runner') child.kill(name);
  else process.kill(-child.pid!, name);
}

/** After a failed check: kills whatever is left of the run's process group and removes its directory. */
async function cleanUp(child: ChildProcess, exited: Promise<unknown>, root: string): Promise<void> {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // the group is gone: nothing left to stop
  }
  if (child.exitCode === null && child.signalCode === null) await exited;
  fs.rmSync(root, { recursive: true, force: true, maxRetries: 5 });
}

for (const target of ['runner', 'process group'] as const) {
  test(`SIGINT to the ${target} mid-run writes an interrupted summary with partial counts and leaves nothing behind`, async () => {
    test.setTimeout(90_000);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'harness-sigint-'));
    const reports = path.join(root, 'reports');
    const port = await closedPort();
    const env = childEnvironment({
      PLAYWRIGHT_HTML_OUTPUT_DIR: path.join(root, 'playwright-report'),
      ITERATION_REPORTER_OUTPUT_DIR: reports,
      // The embedded server on a port this test knows, so it can check the port is closed afterwards.
      HARNESS_EMBEDDED_URL: `http://127.0.0.1:${port}`,
      JWT_SECRET_KEY: randomBytes(32).toString('hex'),
      E2E_OAUTH_SIMULATION_KEY: randomBytes(16).toString('hex'),
      // ~20 events x 300 ms: every agent run takes seconds, so the signal lands while runs are in flight.
      AGENT_STEP_DELAY_MS: '300',
    });
    const child = spawn(process.execPath, [PLAYWRIGHT_CLI, 'test', '--project=priority', `--output=${path.join(root, 'test-results')}`], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a terminal's Ctrl-C can be imitated and anything left can be killed at once.
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    try {
      await expect
        .poll(() => (stdout.match(/^\s+✓/gm) ?? []).length, {
          message: `${PASSED_BEFORE_SIGNAL} tests passed before the signal`,
          timeout: 60_000,
          intervals: [200],
        })
        .toBeGreaterThanOrEqual(PASSED_BEFORE_SIGNAL);
      const signalledAt = Date.now();
      sendSignal(child, target, 'SIGINT');
      const { code, signal } = await exited;
      const stoppedMs = Date.now() - signalledAt;

      expect(code, `exit code (signal ${signal})\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`).not.toBe(0);
      expect(code, 'an exit code, not death by the signal').not.toBeNull();
      expect(stoppedMs, 'the run stops promptly').toBeLessThan(20_000);

      const json = fs.readdirSync(reports).find((f) => /^iteration-\d+-.*\.json$/.test(f));
      const markdown = fs.readdirSync(reports).find((f) => /^iteration-\d+-.*\.md$/.test(f));
      expect(markdown, 'the iteration summary Markdown exists').toBeDefined();
      const file = JSON.parse(fs.readFileSync(path.join(reports, json!), 'utf8')) as IterationFile;
      const text = fs.readFileSync(path.join(reports, markdown!), 'utf8');
      expect(file.run.status).toBe('interrupted');
      expect(text).toContain('**Run status**: ⚠️ INTERRUPTED');
      expect(text).toMatch(/INTERRUPTED RUN\*\* — The run was interrupted \(Ctrl-C or a signal\) before it finished: counts are partial/);
      // Partial counts: some passed, the rest stopped mid-run or never started, and together they are every test.
      const c = file.counts;
      expect(c.passed, 'tests that passed before the signal').toBeGreaterThanOrEqual(PASSED_BEFORE_SIGNAL);
      expect(c.interrupted, 'tests stopped mid-run (4 workers, every run seconds long)').toBeGreaterThanOrEqual(1);
      expect(c.didNotRun, 'tests never started').toBeGreaterThanOrEqual(1);
      expect(c.passed + c.failed + c.flaky + c.skipped + c.interrupted + c.didNotRun).toBe(c.total);
      expect(text).toContain(`- **Total Tests**: ${c.total}`);

      expect(await waitForNoProcesses(root), 'processes of the run still alive').toEqual([]);
      expect(await portAccepts(port), `the embedded server's port ${port} still accepts connections`).toBe(false);
    } finally {
      await cleanUp(child, exited, root);
    }
  });
}
