/**
 * Fault coverage: runs the suites against the embedded server once per fault switch and checks that the switch is
 * caught — at least one test fails, and every test whose catalog `catches` (tests/catalog.ts) is one of the
 * fault's `caughtBy` regressions (server/faults.ts) fails.
 *
 *   npx tsx scripts/fault-coverage.ts [--faults a,b] [--targeted] [--write] [--concurrency N]
 *
 * --targeted   run only the tests expected to catch each fault (fast; what `npm test` does)
 * --write      write the fault → failing tests table to docs/fault-coverage.md (a full run, not --targeted)
 * Exit 1 when a fault is not caught as expected.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { FAULTS, serverOptionsFromEnv, startServer } from '../server/index';
import { childEnvironment } from './child-env';
import { listTests, type ListedTest } from './list-tests';

const REPO = path.resolve(__dirname, '..');
const PLAYWRIGHT_CLI = require.resolve('@playwright/test/cli', { paths: [REPO] });

/** Harness settings that shorten waits without weakening a check against a local server (no network latency). */
const FAST_ENV = { QUIET_MS: '1000', RUN_DELAY_MS: '400', THROUGHPUT_WINDOW_S: '2' };

/** The tests expected to catch `fault`: those whose `catches` (or a comma-separated part of it) the fault names. */
export function expectedCatchers(fault: string, tests: readonly ListedTest[]): ListedTest[] {
  const names = FAULTS.find((f) => f.name === fault)?.caughtBy ?? [];
  const named = (catches: string | undefined) => !!catches && [catches, ...catches.split(/,\s*/)].some((part) => names.includes(part));
  return tests.filter((t) => named(t.catches));
}

export interface FaultResult {
  fault: string;
  expected: string[];
  failing: string[];
  missed: string[];
  /** Targeted runs: failing tests the iteration summary does not name (empty when it names them all). */
  unnamed: string[];
  ran: number;
  ms: number;
  caught: boolean;
}

const key = (t: { project: string; title: string }) => `${t.project} › ${t.title}`;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Runs the suites (or only `only`) with `fault` switched on; returns failing tests as "project › title". */
async function runWithFault(
  fault: string,
  latitudes: readonly string[],
  only?: ListedTest[],
): Promise<{ failing: string[]; ran: number; ms: number; summary: string }> {
  const root = mkdtempSync(path.join(os.tmpdir(), `fault-${fault}-`));
  const reporter = only ? 'json,./reporter/iteration-reporter.ts' : 'json';
  const args = [PLAYWRIGHT_CLI, 'test', `--reporter=${reporter}`, `--output=${path.join(root, 'results')}`, '--retries=0'];
  if (only) {
    args.push(...[...new Set(only.map((t) => t.project))].map((p) => `--project=${p}`));
    args.push('--grep', only.map((t) => `${escape(t.title)}$`).join('|'));
  }
  // The setup project checks a target this script started itself: a targeted run skips it to save its seconds.
  if (only) args.push(`--workers=${Math.min(4, only.length)}`, '--no-deps');
  // The embedded server, started here with the fault instead of by playwright.config.ts: one process less per run.
  const secret = randomBytes(32).toString('base64url');
  const bypassKey = randomBytes(16).toString('base64url');
  const server = await startServer({
    port: 0,
    jwtSecret: secret,
    bypassKey,
    faults: [fault],
    latitudes: [...latitudes],
    agentStepDelayMs: 1,
    heartbeatIntervalS: 1,
  });
  const env = childEnvironment({
    ...FAST_ENV,
    STAGING_BASE_URL: server.url,
    JWT_SECRET_KEY: secret,
    E2E_OAUTH_SIMULATION_KEY: bypassKey,
    STAGING_CORS_ORIGIN: 'http://localhost:3000',
    ITERATION_REPORTER_OUTPUT_DIR: path.join(root, 'reports'),
  });
  const start = performance.now();
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', () =>
      out.trim().startsWith('{') ? resolve(out) : reject(new Error(`${fault}: no JSON report. ${err.slice(0, 500)}`)),
    );
  }).finally(() => server.close());
  const reports = path.join(root, 'reports');
  const markdown = existsSync(reports) ? readdirSync(reports).find((f) => f.endsWith('.md')) : undefined;
  const summary = markdown ? readFileSync(path.join(reports, markdown), 'utf8') : '';
  rmSync(root, { recursive: true, force: true });
  const report = JSON.parse(stdout) as { suites: Suite[] };
  const failing: string[] = [];
  let ran = 0;
  const visit = (suite: Suite) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests) {
        if (t.projectName === 'setup') continue;
        ran += 1;
        if (t.results.some((r) => r.status === 'failed' || r.status === 'timedOut')) failing.push(`${t.projectName} › ${spec.title}`);
      }
    }
    for (const child of suite.suites ?? []) visit(child);
  };
  for (const suite of report.suites) visit(suite);
  return { failing, ran, ms: performance.now() - start, summary };
}

interface Suite {
  specs?: { title: string; tests: { projectName: string; results: { status: string }[] }[] }[];
  suites?: Suite[];
}

export async function faultCoverage(options: {
  faults?: string[];
  /** Latitude switches on in every fault's server: the fault must be caught over those conforming choices too. */
  latitudes?: readonly string[];
  targeted?: boolean;
  concurrency?: number;
  log?: (line: string) => void;
}): Promise<FaultResult[]> {
  const catalog = listTests();
  const faults = options.faults ?? FAULTS.map((f) => f.name);
  const queue = [...faults];
  const results: FaultResult[] = [];
  const worker = async () => {
    for (let fault = queue.shift(); fault; fault = queue.shift()) {
      const expected = expectedCatchers(fault, catalog);
      const run = await runWithFault(fault, options.latitudes ?? [], options.targeted ? expected : undefined);
      const missed = expected.map(key).filter((k) => !run.failing.includes(k));
      const unnamed = options.targeted ? run.failing.filter((k) => !run.summary.includes(k.split(' › ')[1])) : [];
      const result = {
        fault,
        expected: expected.map(key),
        failing: run.failing,
        missed,
        unnamed,
        ran: run.ran,
        ms: run.ms,
        caught: run.failing.length > 0 && missed.length === 0 && expected.length > 0,
      };
      results.push(result);
      const passedInstead = missed.length ? `; expected but passed: ${missed.join(', ')}` : '';
      options.log?.(
        `${result.caught ? 'caught ' : 'MISSED '} ${fault}: ${run.failing.length}/${run.ran} failing${passedInstead} ` +
          `(${Math.round(run.ms / 1000)} s)`,
      );
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 2 }, worker));
  return faults.map((f) => results.find((r) => r.fault === f)!);
}

export function renderCoverage(results: FaultResult[], meta: { date: string; totalMs: number }): string {
  const clause = (name: string) => FAULTS.find((f) => f.name === name)?.clause ?? '';
  const lines = [
    '# Fault coverage',
    '',
    `Generated by \`npx tsx scripts/fault-coverage.ts --write\` on ${meta.date} (${Math.round(meta.totalMs / 60000)} min): the whole suite`,
    'against the embedded server once per fault switch (docs/faults.md). **expected** = the tests whose catalog',
    "`catches` is one of the fault's `caughtBy` regressions (server/faults.ts); all of them must fail.",
    '**also failing** = other tests the fault breaks as a consequence.',
    '',
    `${results.filter((r) => r.caught).length} of ${results.length} switches caught.`,
    '',
    '| fault | clause | expected (all fail) | also failing | caught |',
    '|---|---|---|---|---|',
  ];
  for (const r of results) {
    const also = r.failing.filter((f) => !r.expected.includes(f));
    const expected = r.expected.map((e) => (r.missed.includes(e) ? `~~${e}~~` : e)).join('<br>');
    const clauseCell = clause(r.fault).replace(/\|/g, '\\|');
    lines.push(`| \`${r.fault}\` | ${clauseCell} | ${expected} | ${also.join('<br>') || '–'} | ${r.caught ? 'yes' : '**no**'} |`);
  }
  return `${lines.join('\n')}\n`;
}

if (require.main === module) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const write = process.argv.includes('--write');
  const start = performance.now();
  void faultCoverage({
    faults: arg('--faults')?.split(','),
    // STAGING_LATITUDES as for `npm run server`: each fault is switched on over those other conforming choices.
    latitudes: serverOptionsFromEnv({ STAGING_LATITUDES: process.env.STAGING_LATITUDES }).latitudes,
    targeted: process.argv.includes('--targeted') && !write,
    concurrency: Number(arg('--concurrency') ?? 2),
    log: (line) => process.stdout.write(`${line}\n`),
  }).then((results) => {
    if (write)
      writeFileSync(
        path.join(REPO, 'docs', 'fault-coverage.md'),
        renderCoverage(results, { date: new Date().toISOString().slice(0, 10), totalMs: performance.now() - start }),
      );
    const missed = results.filter((r) => !r.caught);
    process.stdout.write(`${results.length - missed.length} of ${results.length} fault switches caught\n`);
    process.exit(missed.length ? 1 : 0);
  });
}
