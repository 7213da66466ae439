import { test, expect } from '@playwright/test';
import { rawRun } from './raw-client';

/**
 * Playwright's own per-test cost: BENCH_RUNS tests that each make raw-client.ts's run, with none of the harness's
 * fixtures. Between the raw client and the harness, it says how much is the runner and how much the fixtures.
 */
const RUNS = Number(process.env.BENCH_RUNS ?? '50');
const wsUrl = `${(process.env.STAGING_BASE_URL ?? '').replace(/^http/, 'ws').replace(/\/+$/, '')}/ws`;

for (let i = 0; i < RUNS; i++) {
  test(`bare run ${String(i).padStart(3, '0')}`, async () => {
    await expect(rawRun(wsUrl, process.env.JWT_SECRET_KEY ?? '', process.env.STAGING_ENVIRONMENT ?? 'staging', i)).resolves.toBeUndefined();
  });
}
