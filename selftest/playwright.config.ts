import { defineConfig } from '@playwright/test';

/**
 * The harness's own tests: the reference server, the fixtures, the reporter, fault coverage. They start what they
 * need themselves (servers on free ports, Playwright child runs) and never use a browser unless a spec says so.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  fullyParallel: true,
  workers: 2,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  reporter: [['list']],
  outputDir: '../test-results/selftest',
});
