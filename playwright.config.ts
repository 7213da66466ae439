import path from 'node:path';
import { defineConfig } from '@playwright/test';
import dotenv from 'dotenv';
import { loadSettingsOrExit } from './fixtures/settings';
import { keepRedactorBesideCliReporter, TRACE_REDACTOR } from './reporter/always-redact';
import { embeddedWebServer, prepareEmbeddedTarget } from './server/embedded';
import { PROJECTS } from './tests/catalog';

dotenv.config({ path: path.join(__dirname, '.env'), quiet: true });
prepareEmbeddedTarget(process.env);
keepRedactorBesideCliReporter(process.argv, process.env);
const settings = loadSettingsOrExit(process.env);

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
  // The trace redactor first: it redacts in place before any other reporter writes a step, an error or a trace.
  reporter: [[TRACE_REDACTOR], ['list'], ['html', { open: 'never' }], ['./reporter/iteration-reporter.ts']],
  // Runs before any reporter's onEnd, whatever --reporter says (`--reporter=blob` in CI drops the list above).
  globalTeardown: './reporter/redact-traces.teardown.ts',
  use: {
    baseURL: settings.baseUrl,
    trace: settings.traceMode,
  },
  webServer: embeddedWebServer(settings),
  projects: [
    { name: 'setup', testDir: 'tests/setup', testMatch: /.*\.setup\.ts/ },
    ...PROJECTS.map((name) => ({ name, testDir: `tests/${name}`, dependencies: ['setup'] })),
  ],
});
