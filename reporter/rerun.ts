/**
 * How the re-runs of `npm run iterate` fold into one iteration: each attempt's results merge into the loop's
 * combined run before anything is modelled, so the summary sees one run whatever the number of attempts.
 */
import { computeCounts } from './counts';
import type { LoopAttempt, RunData, TestRecord } from './types';

export function loopAttempt(run: RunData, attempt: number): LoopAttempt {
  const c = computeCounts(run.tests);
  return {
    attempt,
    scope: attempt === 1 ? 'full' : 'last-failed',
    status: run.status,
    ran: c.ran,
    passed: c.passing,
    failed: c.failed,
    startTime: run.startTime,
    durationMs: run.durationMs,
  };
}

/**
 * Folds a re-run (`--last-failed`, attempt >= 2) into the loop's combined run. A test that failed before and passes
 * now becomes flaky (it keeps the failure's error and diagnosis); one that fails again stays failed with the newest
 * error. Tests the re-run did not include keep their earlier result.
 */
export function mergeRerun(combined: RunData, rerun: RunData, attempt: number): RunData {
  const byKey = new Map(combined.tests.map((t) => [t.key, t]));
  const tests = combined.tests.map((t) => ({ ...t }));
  const index = new Map(tests.map((t, i) => [t.key, i]));
  for (const cur of rerun.tests) {
    const prev = byKey.get(cur.key);
    if (!prev) {
      index.set(cur.key, tests.length);
      tests.push({ ...cur, reruns: [{ attempt, status: cur.status }] });
      continue;
    }
    const merged: TestRecord = {
      ...prev,
      reruns: [...(prev.reruns ?? []), { attempt, status: cur.status, ...(cur.error ? { error: cur.error.message.split('\n')[0] } : {}) }],
    };
    merged.attempts = [...prev.attempts, ...cur.attempts];
    merged.durationMs = prev.durationMs + cur.durationMs;
    // Every attempt measured the target: its samples count, whatever its verdict.
    const metrics = [...(prev.metrics ?? []), ...(cur.metrics ?? [])];
    if (metrics.length) merged.metrics = metrics;
    if (cur.status === 'passed' || cur.status === 'flaky') {
      if (prev.status === 'failed' || prev.status === 'flaky') {
        merged.status = 'flaky';
        merged.outcome = 'flaky';
      } else {
        merged.status = cur.status;
        merged.outcome = cur.outcome;
      }
    } else if (cur.status === 'failed') {
      merged.status = 'failed';
      merged.outcome = 'unexpected';
      merged.timedOut = cur.timedOut;
      if (cur.error) merged.error = cur.error;
      if (cur.diagnosis) merged.diagnosis = cur.diagnosis;
      if (cur.quality) merged.quality = cur.quality;
    }
    tests[index.get(cur.key)!] = merged;
  }
  const interrupted = rerun.status === 'interrupted' || rerun.status === 'timedout';
  const status = interrupted ? rerun.status : tests.some((t) => t.status === 'failed') ? 'failed' : 'passed';
  const loop = combined.loop ? { ...combined.loop, attempts: [...combined.loop.attempts, loopAttempt(rerun, attempt)] } : undefined;
  return {
    ...combined,
    status,
    durationMs: combined.durationMs + rerun.durationMs,
    target: rerun.target,
    weights: rerun.weights,
    settings: rerun.settings,
    configProblems: rerun.configProblems,
    tests,
    errors: [...combined.errors, ...rerun.errors],
    duplicates: [...new Set([...combined.duplicates, ...rerun.duplicates])],
    ...(loop ? { loop } : {}),
  };
}
