/**
 * Helpers for the reporter's own tests: inline suites in temp dirs, Playwright child runs with a clean environment,
 * and golden-file comparison (UPDATE_GOLDEN=1 rewrites the goldens; review the diff before committing).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from '@playwright/test';
import { childEnvironment } from '../../scripts/child-env';

export const REPO = path.resolve(__dirname, '..', '..');
export const REPORTER = path.join(REPO, 'reporter', 'iteration-reporter.ts');
export const PLAYWRIGHT_CLI = require.resolve('@playwright/test/cli', { paths: [REPO] });
export const TSX_CLI = path.join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');
export const GOLDEN_DIR = path.join(__dirname, 'golden');

/** The pinned clock and target of every golden run. */
export const FIXED = {
  now: '2025-09-07T00:24:18.000Z',
  durationMs: '402000',
  /** A valid target; selftest/reporter/pipeline.spec.ts gives a broken one, with credentials in its URL. */
  baseUrl: 'https://staging.example.test/',
  /** Configured secret: any occurrence in an error must be redacted. */
  secret: 'selftest-jwt-secret-0123456789-abcdefghijklmnop',
} as const;

/** A temp dir holding `files`, with the repo's node_modules linked in so specs resolve @playwright/test. */
export function makeSuite(name: string, files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `iteration-reporter-${name}-`));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  for (const [file, text] of Object.entries(files)) {
    const full = path.join(dir, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
  }
  return dir;
}

export function removeSuite(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * The parent's environment minus everything that would change a child run: Playwright's worker variables, CI,
 * the harness's target and secrets, and the reporter's own switches. Then the pinned clock and target.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return childEnvironment({
    ITERATION_REPORTER_NOW: FIXED.now,
    ITERATION_REPORTER_DURATION_MS: FIXED.durationMs,
    STAGING_BASE_URL: FIXED.baseUrl,
    STAGING_ENVIRONMENT: 'staging',
    JWT_SECRET_KEY: FIXED.secret,
    ...extra,
  });
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runNode(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; onSpawn?: (child: ChildProcess) => void },
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    options.onSpawn?.(child);
  });
}

/** `playwright <args>` in `cwd`, by the repo's CLI (no npx: faster and the pid is Playwright's own). */
export function runPlaywright(cwd: string, args: string[], env: NodeJS.ProcessEnv = childEnv(), onSpawn?: (child: ChildProcess) => void) {
  return runNode([PLAYWRIGHT_CLI, ...args], { cwd, env, onSpawn });
}

export function readText(file: string): string {
  return fs.readFileSync(file, 'utf8');
}

/** The one file in `dir` matching `pattern`. */
export function onlyFile(dir: string, pattern: RegExp): string {
  const found = fs.readdirSync(dir).filter((f) => pattern.test(f));
  if (found.length !== 1) throw new Error(`expected one file matching ${pattern} in ${dir}, found: ${found.join(', ') || 'none'}`);
  return path.join(dir, found[0]);
}

/** Compares text with golden/<name>; with UPDATE_GOLDEN=1 writes it instead. */
export function expectGolden(name: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(GOLDEN_DIR, { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  expect(fs.existsSync(file), `golden ${name} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(actual, `differs from golden ${name} (UPDATE_GOLDEN=1 rewrites it; review the diff)`).toBe(readText(file));
}

/** Counts from Playwright's JSON reporter, in the reporter's terms. */
export function jsonReporterStats(file: string): { expected: number; unexpected: number; flaky: number; skipped: number } {
  const stats = (JSON.parse(readText(file)) as { stats: { expected: number; unexpected: number; flaky: number; skipped: number } }).stats;
  return { expected: stats.expected, unexpected: stats.unexpected, flaky: stats.flaky, skipped: stats.skipped };
}

/** What must never appear in any file the reporter writes. */
export function leakedSecrets(text: string): string[] {
  const leaks: string[] = [];
  if (text.includes(FIXED.secret)) leaks.push('JWT_SECRET_KEY value');
  if (text.includes('hunter2')) leaks.push('URL password');
  if (text.includes('e2e-user:')) leaks.push('URL username');
  if (/eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\./.test(text)) leaks.push('JWT');
  return leaks;
}
