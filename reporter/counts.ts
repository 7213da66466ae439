import type { Counts, TestRecord } from './types';

/** Counts over test records; each record is one test (retries and shard duplicates already folded in). */
export function computeCounts(tests: readonly Pick<TestRecord, 'status'>[]): Counts {
  const c: Counts = { total: 0, ran: 0, passed: 0, failed: 0, flaky: 0, skipped: 0, interrupted: 0, didNotRun: 0, passing: 0 };
  for (const t of tests) {
    c.total++;
    switch (t.status) {
      case 'passed':
        c.passed++;
        break;
      case 'failed':
        c.failed++;
        break;
      case 'flaky':
        c.flaky++;
        break;
      case 'skipped':
        c.skipped++;
        break;
      case 'interrupted':
        c.interrupted++;
        break;
      case 'did-not-run':
        c.didNotRun++;
        break;
    }
  }
  c.ran = c.passed + c.failed + c.flaky;
  c.passing = c.passed + c.flaky;
  return c;
}
