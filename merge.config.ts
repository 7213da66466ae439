import { defineConfig } from '@playwright/test';

/**
 * Reporters for `npx playwright merge-reports --config merge.config.ts <dir with the shards' blob reports>`.
 * testDir is the main config's, so merged test paths (and the iteration summary) match an unsharded run; the
 * iteration reporter counts a setup project that ran in several shards once.
 */
export default defineConfig({
  testDir: 'tests',
  // The trace redactor first: blob reports of this harness hold redacted traces already; this also covers blobs
  // written without it (an older checkout, a run with a custom config) before the HTML report copies them.
  reporter: [['./reporter/trace-redactor.ts'], ['html', { open: 'never' }], ['./reporter/iteration-reporter.ts']],
});
