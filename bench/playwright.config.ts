import { defineConfig } from '@playwright/test';
import { ConfigError, loadSettings, type Settings } from '../fixtures/settings';

/**
 * Benchmark-only project (not part of the suites): `overhead.spec.ts` makes BENCH_RUNS supervisor runs through the
 * harness's fixtures. `npm run bench -- --only overhead` runs it against a reference server it starts itself and
 * compares it with `raw-client.ts`, the floor. The target must be given (STAGING_BASE_URL plus the server's
 * JWT_SECRET_KEY); there is no embedded server here, so harness and raw client share one server.
 */
let settings: Settings;
try {
  if (!process.env.STAGING_BASE_URL)
    throw new ConfigError(
      'Invalid configuration: the overhead benchmark needs STAGING_BASE_URL (run it with `npm run bench -- --only overhead`).',
    );
  settings = loadSettings(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

export default defineConfig({
  testDir: '.',
  testMatch: /(overhead|bare|one-test)\.spec\.ts/,
  fullyParallel: true,
  workers: 1,
  retries: 0,
  timeout: settings.runCompleteMs + 30_000,
  reporter: [['list']],
  // The same trace mode as the suites, so the per-test cost measured is the one they pay.
  use: { baseURL: settings.baseUrl, trace: settings.traceMode },
});
