/**
 * The iteration loop: `npm run iterate -- [--max N] [playwright test args…]`.
 *
 * Runs the suites once, then re-runs only the failures (`--last-failed`) up to N times (default 2), stopping early
 * when nothing fails or a run is interrupted. All attempts are one iteration: the reporter folds each re-run into
 * it, so the final summary tells persistent failures (failed in every attempt) from flaky ones (passed when re-run,
 * counted as flaky, never as fixed). Exit code: 0 when no failure remains, else the last Playwright exit code (or 1).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOOP_ENV } from '../reporter/switches';
import type { LoopState } from '../reporter/write';

const REPORTER = path.resolve(__dirname, '..', 'reporter', 'iteration-reporter.ts');
const DEFAULT_MAX = 2;
const CONFIG_NAMES = [
  'playwright.config.ts',
  'playwright.config.js',
  'playwright.config.mts',
  'playwright.config.mjs',
  'playwright.config.cjs',
  'playwright.config.cts',
];

interface Args {
  max: number;
  passThrough: string[];
}

function usage(message: string): never {
  process.stderr.write(`${message}\nUsage: npm run iterate -- [--max N] [playwright test arguments]\n`);
  process.exit(2);
}

export function parseArgs(argv: string[]): Args {
  let max = DEFAULT_MAX;
  const passThrough: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const inline = /^--max=(.*)$/.exec(arg);
    if (arg === '--max' || inline) {
      const raw = inline ? inline[1] : argv[++i];
      if (raw === undefined || !/^\d+$/.test(raw)) usage(`--max needs a whole number of re-runs (got "${raw ?? ''}")`);
      max = Number(raw);
    } else if (arg === '--last-failed') {
      usage('--last-failed is added by the loop itself for the re-runs');
    } else {
      passThrough.push(arg);
    }
  }
  return { max, passThrough };
}

/** The config file Playwright will load: -c/--config, else playwright.config.* in cwd. */
function configFile(args: string[], cwd: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const m = /^(?:-c|--config)(?:=(.*))?$/.exec(args[i]);
    if (m) {
      const given = path.resolve(cwd, m[1] ?? args[i + 1] ?? '');
      if (fs.existsSync(given) && fs.statSync(given).isDirectory())
        return CONFIG_NAMES.map((n) => path.join(given, n)).find((f) => fs.existsSync(f));
      return given;
    }
  }
  return CONFIG_NAMES.map((n) => path.join(cwd, n)).find((f) => fs.existsSync(f));
}

/** Adds the iteration reporter (with `list` for progress) unless the config or the arguments already choose reporters with it. */
function reporterArgs(args: string[], cwd: string): string[] {
  if (args.some((a) => a === '--reporter' || a.startsWith('--reporter='))) return [];
  const file = configFile(args, cwd);
  const text = file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  return text.includes('iteration-reporter') ? [] : [`--reporter=list,${REPORTER}`];
}

function playwrightCli(cwd: string): string {
  return require.resolve('@playwright/test/cli', { paths: [cwd, path.resolve(__dirname, '..')] });
}

let stopping = false;

function runAttempt(cli: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'test', ...args], { stdio: 'inherit', env });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 130 : 1)));
    child.on('error', (e) => {
      process.stderr.write(`could not start Playwright: ${e.message}\n`);
      resolve(1);
    });
  });
}

function readState(file: string, attempt: number): LoopState | undefined {
  try {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as LoopState;
    return state.attempt === attempt ? state : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const { max, passThrough } = parseArgs(process.argv.slice(2));
  const cwd = process.cwd();
  const cli = playwrightCli(cwd);
  const loopId = `${Date.now().toString(36)}-${process.pid}`;
  const stateFile = path.join(os.tmpdir(), `iteration-loop-${loopId}.json`);
  const baseArgs = [...reporterArgs(passThrough, cwd), ...passThrough];
  // Ctrl-C reaches Playwright too (same process group); it writes an interrupted summary. We only stop looping.
  process.on('SIGINT', () => (stopping = true));
  process.on('SIGTERM', () => (stopping = true));

  let state: LoopState | undefined;
  let code = 0;
  try {
    for (let attempt = 1; attempt <= max + 1; attempt++) {
      const args = attempt === 1 ? baseArgs : ['--last-failed', ...baseArgs];
      process.stdout.write(
        `\n[iterate] attempt ${attempt} of at most ${max + 1}: ${attempt === 1 ? 'full run' : 're-running failures (--last-failed)'}\n`,
      );
      code = await runAttempt(cli, args, {
        ...process.env,
        [LOOP_ENV.id]: loopId,
        [LOOP_ENV.attempt]: String(attempt),
        [LOOP_ENV.maxReruns]: String(max),
        [LOOP_ENV.stateFile]: stateFile,
      });
      state = readState(stateFile, attempt);
      if (!state) {
        process.stderr.write(
          `[iterate] attempt ${attempt} left no iteration summary (exit code ${code}); ` +
            `is ${path.relative(cwd, REPORTER)} among the reporters? Stopping.\n`,
        );
        return code || 1;
      }
      if (state.status === 'interrupted' || state.status === 'timedout' || stopping) {
        process.stdout.write(
          `[iterate] attempt ${attempt} was ${state.status === 'timedout' ? 'stopped by the global timeout' : 'interrupted'}; ` +
            'not re-running.\n',
        );
        break;
      }
      if (state.counts.failed === 0) break;
    }
  } finally {
    fs.rmSync(stateFile, { force: true });
  }
  if (!state) return code || 1;
  const c = state.counts;
  process.stdout.write(
    `\n[iterate] iteration ${state.iteration} after ${state.attempt} attempt${state.attempt === 1 ? '' : 's'}: ` +
      `${c.failed} failing, ${c.flaky} flaky, ${c.passed} passed` +
      ` — ${path.relative(cwd, state.markdownPath)}\n`,
  );
  if (state.status === 'interrupted' || state.status === 'timedout') return code || 1;
  return c.failed === 0 ? 0 : code || 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`[iterate] ${(e as Error)?.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
