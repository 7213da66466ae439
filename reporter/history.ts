/**
 * History and change tracking: reports/history.json (one entry per iteration), what changed since the previous
 * iteration, and how the re-runs of `npm run iterate` fold into one iteration. The diff and merge functions are pure;
 * only readHistory/writeHistory touch the disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { computeCounts } from './counts';
import { rate } from './format';
import type { Counts, History, HistoryEntry, LoopAttempt, RunData, TestRecord, TestStatus } from './types';

export const HISTORY_FILE = 'history.json';
/** Iterations that keep their per-test statuses (older ones keep counts only, so the file stays small). */
export const DETAILED_ITERATIONS = 20;

export function emptyHistory(): History {
  return { version: 1, iterations: [] };
}

/** Reads history.json; a missing file is an empty history, a corrupt one is kept aside and replaced. */
export function readHistory(dir: string, warn: (msg: string) => void = () => {}): History {
  const file = path.join(dir, HISTORY_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return emptyHistory();
  }
  try {
    const data = JSON.parse(text) as History;
    if (data && data.version === 1 && Array.isArray(data.iterations)) return data;
    throw new Error('unexpected shape');
  } catch (e) {
    const aside = `${file}.corrupt-${Date.now()}`;
    fs.renameSync(file, aside);
    warn(`${file} was unreadable (${(e as Error).message}); moved to ${aside} and starting a new history.`);
    return emptyHistory();
  }
}

export function writeHistory(dir: string, history: History): void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, HISTORY_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(history, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

export function nextIteration(history: History): number {
  return history.iterations.reduce((max, e) => Math.max(max, e.iteration), 0) + 1;
}

export function historyEntry(run: RunData, iteration: number, counts: Counts, files: { markdown: string; json: string }): HistoryEntry {
  const tests: Record<string, TestStatus> = {};
  for (const t of run.tests) tests[t.key] = t.status;
  const entry: HistoryEntry = {
    iteration,
    startTime: run.startTime,
    status: run.status,
    counts,
    successRate: rate(counts.passing, counts.ran),
    markdown: files.markdown,
    json: files.json,
    tests,
  };
  if (run.loop) entry.loopId = run.loop.id;
  return entry;
}

/** Adds or replaces (same iteration) an entry, keeping per-test detail for the last DETAILED_ITERATIONS only. */
export function upsertEntry(history: History, entry: HistoryEntry): History {
  const iterations = history.iterations.filter((e) => e.iteration !== entry.iteration);
  iterations.push(entry);
  iterations.sort((a, b) => a.iteration - b.iteration);
  const cut = iterations.length - DETAILED_ITERATIONS;
  iterations.forEach((e, i) => {
    if (i < cut) delete e.tests;
  });
  return { version: 1, iterations };
}

export interface TestChange {
  key: string;
  /** The current record, when the test is in this run. */
  test?: TestRecord;
  previous?: TestStatus;
  /** For still-failing tests: the first iteration of the current failing streak. */
  failingSince?: number;
}

export interface Changes {
  previousIteration: number | null;
  newlyFailing: TestChange[];
  fixed: TestChange[];
  stillFailing: TestChange[];
  flaky: TestChange[];
  /** Failed last time and not re-verified now (skipped, did not run, interrupted or absent). */
  notReverified: TestChange[];
}

const isFail = (s: TestStatus | undefined) => s === 'failed';

/** What changed between the previous iteration (last entry of `previous`) and this run. */
export function diffRuns(previous: readonly HistoryEntry[], tests: readonly TestRecord[]): Changes {
  const prev = previous.length ? previous[previous.length - 1] : undefined;
  const changes: Changes = {
    previousIteration: prev?.iteration ?? null,
    newlyFailing: [],
    fixed: [],
    stillFailing: [],
    flaky: [],
    notReverified: [],
  };
  const before = prev?.tests;
  const seen = new Set<string>();
  for (const test of tests) {
    seen.add(test.key);
    const was = before?.[test.key];
    if (test.status === 'flaky') changes.flaky.push({ key: test.key, test, previous: was });
    if (!prev) continue;
    if (isFail(test.status)) {
      if (isFail(was)) {
        let since = prev.iteration;
        for (let i = previous.length - 1; i >= 0 && isFail(previous[i].tests?.[test.key]); i--) since = previous[i].iteration;
        changes.stillFailing.push({ key: test.key, test, previous: was, failingSince: since });
      } else {
        changes.newlyFailing.push({ key: test.key, test, previous: was });
      }
    } else if (isFail(was)) {
      if (test.status === 'passed' || test.status === 'flaky') changes.fixed.push({ key: test.key, test, previous: was });
      else changes.notReverified.push({ key: test.key, test, previous: was });
    }
  }
  if (before) {
    for (const [key, was] of Object.entries(before)) {
      if (!seen.has(key) && isFail(was)) changes.notReverified.push({ key, previous: was });
    }
  }
  return changes;
}

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
    tests,
    errors: [...combined.errors, ...rerun.errors],
    duplicates: [...new Set([...combined.duplicates, ...rerun.duplicates])],
    ...(loop ? { loop } : {}),
  };
}
