/**
 * Keeps the trace redactor in every run of playwright.config.ts, whatever `--reporter` says.
 */
import path from 'node:path';

/** The redacting reporter: it rewrites each test's trace.zip and redacts steps, errors and output in place. */
export const TRACE_REDACTOR = path.join(__dirname, 'trace-redactor.ts');

/**
 * `--reporter=...` on the command line replaces the configured reporters (CI runs `--reporter=blob`). Playwright
 * adds the reporter named in PW_TEST_REPORTER to whatever list is in effect, so the redactor stays in the run; the
 * config's globalTeardown sweeps traces too. selftest/ci proves a `--reporter=blob` run leaves nothing readable.
 */
export function keepRedactorBesideCliReporter(argv: readonly string[], env: NodeJS.ProcessEnv): void {
  const at = argv.findIndex((a) => a === '--reporter' || a.startsWith('--reporter='));
  if (at < 0) return;
  const named = argv[at].includes('=') ? argv[at] : (argv[at + 1] ?? '');
  if (!named.includes('trace-redactor')) env.PW_TEST_REPORTER = TRACE_REDACTOR;
}
