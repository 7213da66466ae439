/**
 * globalTeardown of playwright.config.ts: redacts every trace archive the run left in its output directories.
 * It runs after the last test and before any reporter's onEnd (where the HTML and blob reporters copy traces),
 * whatever `--reporter` says — `--reporter=blob` replaces the configured reporters, this teardown stays.
 * Traces the trace-redactor reporter already rewrote in this process are skipped. See reporter/trace-redactor.ts.
 */
import type { FullConfig } from '@playwright/test/reporter';
import { outputDirsOf, redactTracesUnder } from './trace-redactor';

export default function redactTraces(config: FullConfig): void {
  const { failed } = redactTracesUnder(outputDirsOf(config));
  for (const problem of failed) process.stderr.write(`[trace-redactor] could not redact ${problem}\n`);
}
