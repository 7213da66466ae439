/**
 * What every benchmark job shares: the options of a run, the machine it ran on, child processes (a Playwright run
 * of the harness with its own output directories, a reference server process) and the numbers' formatting.
 * Child runs never write into the repo's test-results/, reports or HTML report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { IterationFile } from '../reporter/write';
import { sampleRss, type RssPeaks } from './process-tree';
import { childEnvironment } from '../scripts/child-env';

export const REPO = path.resolve(__dirname, '..');
const PLAYWRIGHT_CLI = require.resolve('@playwright/test/cli', { paths: [REPO] });

/** The jobs of `npm run bench`, in the order `--only` lists them by default. */
export const PARTS = ['suite', 'overhead', 'scaling', 'reporter'] as const;
export type Part = (typeof PARTS)[number];

export interface Options {
  only: Set<Part>;
  runs: number;
  overheadRuns: number;
  workers: number[];
  out: string;
  partial: boolean;
  /** Render the doc from the results a previous run saved, measuring nothing. */
  from?: string;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const fmt = (n: number, digits = 1) => n.toFixed(digits);
export const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const load = () => os.loadavg()[0];
export const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);

const active = new Set<ChildProcess>();

/** On SIGINT or SIGTERM, stops the child processes that are measuring and exits without writing anything. */
export function stopChildrenOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of active) child.kill('SIGINT');
      log(`${signal}: stopped the running measurement; nothing written`);
      setTimeout(() => process.exit(130), 3000).unref();
    });
  }
}

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  stdout: string;
  stderr: string;
  rss?: RssPeaks;
  loadBefore: number;
  loadAfter: number;
}

/** `command args` in the repo with `extra` on top of a clean copy of the parent's environment, killed at `timeoutMs`. */
export function run(
  command: string,
  args: string[],
  extra: Record<string, string>,
  options: { sample?: boolean; timeoutMs: number },
): Promise<ChildRun> {
  const loadBefore = load();
  const start = performance.now();
  const child = spawn(command, args, { cwd: REPO, env: childEnvironment(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  active.add(child);
  const sampler = options.sample && child.pid ? sampleRss(child.pid) : undefined;
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - start;
      clearTimeout(timer);
      active.delete(child);
      resolve({ code, signal, wallMs, stdout, stderr, rss: sampler?.stop(), loadBefore, loadAfter: load() });
    });
  });
}

export interface PlaywrightRun extends ChildRun {
  iteration?: IterationFile;
  /** Parsed `--reporter=json` output, when asked for. */
  json?: JsonReport;
}

export interface JsonReport {
  stats: { expected: number; unexpected: number; flaky: number; skipped: number; duration: number };
  suites: JsonSuite[];
}
export interface JsonSuite {
  specs?: { title: string; tests: { projectName: string; results: { startTime: string; duration: number; status: string }[] }[] }[];
  suites?: JsonSuite[];
}

/** `playwright test ...args` in the repo with its own output, report and summary directories (removed afterwards). */
export async function playwright(
  args: string[],
  env: Record<string, string>,
  options: { sample?: boolean; timeoutMs: number; json?: boolean },
): Promise<PlaywrightRun> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'harness-bench-'));
  try {
    const reports = path.join(root, 'reports');
    const result: PlaywrightRun = await run(
      process.execPath,
      [PLAYWRIGHT_CLI, 'test', `--output=${path.join(root, 'test-results')}`, ...(options.json ? ['--reporter=json'] : []), ...args],
      { PLAYWRIGHT_HTML_OUTPUT_DIR: path.join(root, 'playwright-report'), ITERATION_REPORTER_OUTPUT_DIR: reports, ...env },
      options,
    );
    const summary = fs.existsSync(reports) ? fs.readdirSync(reports).find((f) => /^iteration-\d+-.*\.json$/.test(f)) : undefined;
    if (summary) result.iteration = JSON.parse(fs.readFileSync(path.join(reports, summary), 'utf8')) as IterationFile;
    if (options.json) {
      try {
        result.json = JSON.parse(result.stdout) as JsonReport;
      } catch {
        /* reported by the caller as a failed run */
      }
    }
    return result;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/**
 * `npm run server` as its own process, so the load a benchmark puts on it does not share the benchmark's event loop.
 * `env` holds its settings on top of a clean copy of the parent's environment; resolves once it is ready.
 */
export async function startReferenceServer(env: Record<string, string>): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: REPO,
    env: childEnvironment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  active.add(child);
  const exited = new Promise<void>((resolve) => child.on('exit', () => (active.delete(child), resolve())));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const found = /ready at (\S+)/.exec(out)?.[1];
      if (found) resolve(found);
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`reference server exited with ${code} before it was ready: ${out}`)));
  });
  return { url, stop: () => (child.kill('SIGTERM'), exited) };
}

export function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

export interface Machine {
  date: string;
  commit: string;
  cpus: number;
  cpuModel: string;
  memGiB: number;
  node: string;
  os: string;
  loadAtStart: number[];
  loadAtEnd?: number[];
  timeTool: string;
}

export function machine(): Machine {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  let commit = 'unknown';
  try {
    const head = fs.readFileSync(path.join(REPO, '.git', 'HEAD'), 'utf8').trim();
    commit = head.startsWith('ref: ') ? fs.readFileSync(path.join(REPO, '.git', head.slice(5)), 'utf8').trim() : head;
  } catch {
    /* not a git checkout */
  }
  return {
    date: new Date().toISOString(),
    commit: commit.slice(0, 12),
    cpus: os.availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown',
    memGiB: os.totalmem() / 1024 ** 3,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAtStart: os.loadavg(),
    timeTool: 'RSS sampled from /proc every 100 ms',
  };
}
