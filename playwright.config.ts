import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { defineConfig, type ReporterDescription } from '@playwright/test';
import dotenv from 'dotenv';
import { CATEGORIES } from './tests/catalog';
import { ConfigError, EMBEDDED_URL_VAR, loadSettings, type Settings } from './fixtures/settings';

dotenv.config({ path: path.join(__dirname, '.env'), quiet: true });

const noTarget = !process.env.STAGING_BASE_URL && !process.env.STAGING_AUTH_URL && !process.env.STAGING_WS_URL;

/**
 * With no target configured, the harness starts its embedded reference server. Its port and credentials are
 * chosen once, in the runner process, and passed to the workers through the environment they inherit.
 */
if (noTarget && !process.env[EMBEDDED_URL_VAR]) {
  const port = execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
  ]).toString();
  process.env[EMBEDDED_URL_VAR] = `http://127.0.0.1:${port}`;
  process.env.JWT_SECRET_KEY ||= randomBytes(48).toString('base64url');
  process.env.E2E_OAUTH_SIMULATION_KEY ||= randomBytes(24).toString('base64url');
}

/**
 * `--reporter=...` on the command line replaces the list below (CI runs `--reporter=blob`). Playwright adds the
 * reporter named in PW_TEST_REPORTER to whatever list is in effect, so the redactor stays in the run; the
 * globalTeardown below sweeps traces too. selftest/ci proves a `--reporter=blob` run leaves nothing readable.
 */
const TRACE_REDACTOR = path.join(__dirname, 'reporter', 'trace-redactor.ts');
const cliReporter = process.argv.findIndex((a) => a === '--reporter' || a.startsWith('--reporter='));
if (cliReporter >= 0) {
  const named = process.argv[cliReporter].includes('=') ? process.argv[cliReporter] : (process.argv[cliReporter + 1] ?? '');
  if (!named.includes('trace-redactor')) process.env.PW_TEST_REPORTER = TRACE_REDACTOR;
}

let settings: Settings;
try {
  settings = loadSettings(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // One plain line and a non-zero exit: nothing runs, no report claims success.
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

const embeddedUrl = process.env[EMBEDDED_URL_VAR]!;
const projectNames = [...new Set(CATEGORIES.map((c) => c.project))];

// The trace redactor comes first: it redacts step params, errors and output in place and rewrites each test's
// trace.zip (tokens and keys out of headers and bodies) before any other reporter writes them.
const reporters: ReporterDescription[] = [[TRACE_REDACTOR], ['list'], ['html', { open: 'never' }], ['./reporter/iteration-reporter.ts']];

export default defineConfig({
  testDir: 'tests',
  outputDir: 'test-results',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  // Retries only report flakiness; the iteration loop (`npm run iterate`) re-runs failures on purpose.
  retries: 0,
  // The work is waiting on the target, not CPU: more workers than cores pay off (docs/benchmarks.md).
  workers: 4,
  // A test waits at most RUN_COMPLETE_MS for a run, then needs time to fail with a clear message and clean up.
  timeout: settings.runCompleteMs + 30_000,
  expect: { timeout: 5_000 },
  reporter: reporters,
  // Runs before any reporter's onEnd, whatever --reporter says (`--reporter=blob` in CI drops the list above).
  globalTeardown: './reporter/redact-traces.teardown.ts',
  use: {
    baseURL: settings.baseUrl,
    trace: settings.traceMode,
  },
  webServer: settings.embedded
    ? {
        command: 'npx tsx server/main.ts',
        url: `${embeddedUrl}/health`,
        reuseExistingServer: false,
        timeout: 30_000,
        stdout: 'ignore',
        stderr: 'pipe',
        gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
        // JWT_SECRET_KEY and E2E_OAUTH_SIMULATION_KEY reach the server through the environment it inherits (set
        // above): anything in `env` here is part of the serialized config that blob and JSON reports write out.
        env: {
          PORT: new URL(embeddedUrl).port,
          STAGING_ENVIRONMENT: settings.environment,
        },
      }
    : undefined,
  projects: [
    { name: 'setup', testDir: 'tests/setup', testMatch: /.*\.setup\.ts/ },
    ...projectNames.map((name) => ({ name, testDir: `tests/${name}`, dependencies: ['setup'] })),
  ],
});
