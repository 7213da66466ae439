/**
 * Runs the harness itself (`playwright test` with the repo's playwright.config.ts) as a child process, isolated
 * from the parent run: its own output, report and iteration directories, and an environment without the
 * parent's target, secrets or Playwright worker variables.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childEnvironment } from '../../scripts/child-env';

export const REPO = path.resolve(__dirname, '..', '..');
const PLAYWRIGHT_CLI = require.resolve('@playwright/test/cli', { paths: [REPO] });

export interface HarnessRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout + stderr */
  output: string;
  ms: number;
  /** The run's own directories (`blob` is where a blob reporter, if any, writes). */
  dirs: RunDirs;
}

export interface RunDirs {
  root: string;
  results: string;
  report: string;
  reports: string;
  blob: string;
}

/** Fresh directories for one child run under the system temp dir. */
export function runDirs(): RunDirs {
  const root = mkdtempSync(path.join(os.tmpdir(), 'harness-run-'));
  return {
    root,
    results: path.join(root, 'test-results'),
    report: path.join(root, 'playwright-report'),
    reports: path.join(root, 'reports'),
    blob: path.join(root, 'blob-report'),
  };
}

/** `npx playwright test ...args` in the repo, with `env` on top of a clean copy of the parent's environment. */
export function runHarness(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 240_000): Promise<HarnessRun> {
  const dirs = runDirs();
  return runPlaywright(['test', `--output=${dirs.results}`, ...args], dirs, env, timeoutMs);
}

/**
 * `npx playwright merge-reports --config merge.config.ts <blobDir>` in the repo, writing the HTML report and the
 * iteration summary into fresh directories of its own.
 */
export function mergeReports(blobDir: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<HarnessRun> {
  const dirs = runDirs();
  return runPlaywright(['merge-reports', '--config', 'merge.config.ts', blobDir], dirs, env, timeoutMs);
}

function runPlaywright(args: string[], dirs: RunDirs, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<HarnessRun> {
  const childEnv = childEnvironment({
    PLAYWRIGHT_HTML_OUTPUT_DIR: dirs.report,
    PLAYWRIGHT_BLOB_OUTPUT_DIR: dirs.blob,
    ITERATION_REPORTER_OUTPUT_DIR: dirs.reports,
    ...env,
  });
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PLAYWRIGHT_CLI, ...args], { cwd: REPO, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output: stdout + stderr, ms: performance.now() - start, dirs });
    });
  });
}

/** A port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
