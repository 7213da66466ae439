/**
 * reports/history.json: the iterations of each target, numbered per target, each with its counts, its per-series
 * metrics summary and (for the most recent ones) every test's status, so the trend, the changes, the charts and
 * the flakiness list need no old iteration files. Bounded: {@link KEPT_ITERATIONS} per target, test statuses for the
 * last max(HISTORY_WINDOW, {@link DETAILED_ITERATIONS}). A version 1 file (one list for every target) is migrated
 * on read. Only readHistory and writeHistory touch the disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { summarize } from './metrics';
import { rate } from './format';
import { targetKey } from './target';
import type { Counts, History, HistoryEntry, HistoryV1, RunData, TargetInfo, TestStatus } from './types';

export const HISTORY_FILE = 'history.json';
/** Iterations kept per target. */
export const KEPT_ITERATIONS = 100;
/** Iterations per target that keep their per-test statuses at least (more when HISTORY_WINDOW is larger). */
export const DETAILED_ITERATIONS = 20;

export function emptyHistory(): History {
  return { version: 2, targets: {} };
}

const isTargetInfo = (t: unknown): t is TargetInfo =>
  !!t &&
  typeof t === 'object' &&
  ['staging', 'embedded', 'unknown'].includes((t as TargetInfo).kind) &&
  typeof (t as TargetInfo).environment === 'string';

/**
 * A version 1 history, per target: an iteration's target comes from its iteration file when `targetOf` can read it,
 * else it is taken to be `fallback` (the target of the run that migrates: CI keeps history.json alone, per environment).
 */
export function migrateHistory(
  old: HistoryV1,
  targetOf: (entry: HistoryEntry) => TargetInfo | undefined,
  fallback: TargetInfo,
): { history: History; assumed: number } {
  const history = emptyHistory();
  let assumed = 0;
  for (const entry of [...old.iterations].sort((a, b) => a.iteration - b.iteration)) {
    const known = targetOf(entry);
    if (!known) assumed++;
    const target = known ?? fallback;
    const key = targetKey(target);
    (history.targets[key] ??= { target, iterations: [] }).iterations.push(entry);
  }
  return { history, assumed };
}

/** The target recorded in an iteration's JSON file in `dir`, when the file is there and readable. */
function targetInFile(dir: string, entry: HistoryEntry): TargetInfo | undefined {
  try {
    const file = JSON.parse(fs.readFileSync(path.join(dir, path.basename(entry.json)), 'utf8')) as { run?: { target?: unknown } };
    return isTargetInfo(file.run?.target) ? file.run.target : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads history.json: a missing file is an empty history, a version 1 file is migrated (see {@link migrateHistory}),
 * a corrupt one is kept aside and replaced.
 */
export function readHistory(dir: string, fallbackTarget: TargetInfo, warn: (msg: string) => void = () => {}): History {
  const file = path.join(dir, HISTORY_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return emptyHistory();
  }
  try {
    const data = JSON.parse(text) as History | HistoryV1;
    if (data?.version === 2 && data.targets && typeof data.targets === 'object') return data;
    if (data?.version === 1 && Array.isArray(data.iterations)) {
      const { history, assumed } = migrateHistory(data, (e) => targetInFile(dir, e), fallbackTarget);
      if (assumed)
        warn(
          `${file}: migrated to per-target history; ${assumed} of ${data.iterations.length} iterations had no iteration file ` +
            `to read their target from and were attributed to ${targetKey(fallbackTarget)}.`,
        );
      return history;
    }
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

/** The iterations of `target`, oldest first. */
export function iterationsOf(history: History, target: TargetInfo): HistoryEntry[] {
  return history.targets[targetKey(target)]?.iterations ?? [];
}

export function nextIteration(history: History, target: TargetInfo): number {
  return iterationsOf(history, target).reduce((max, e) => Math.max(max, e.iteration), 0) + 1;
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
  const metrics = summarize(run.tests.flatMap((t) => t.metrics ?? []));
  if (Object.keys(metrics).length) entry.metrics = metrics;
  if (run.loop) entry.loopId = run.loop.id;
  return entry;
}

/** Adds or replaces (same iteration) the entry of `target`, then bounds that target's iterations and their details. */
export function upsertEntry(history: History, target: TargetInfo, entry: HistoryEntry, historyWindow: number): History {
  const key = targetKey(target);
  const iterations = (history.targets[key]?.iterations ?? []).filter((e) => e.iteration !== entry.iteration);
  iterations.push(entry);
  iterations.sort((a, b) => a.iteration - b.iteration);
  const kept = iterations.slice(-KEPT_ITERATIONS);
  const detailed = kept.length - Math.max(historyWindow, DETAILED_ITERATIONS);
  const bounded = kept.map((e, i) => {
    if (i >= detailed || !e.tests) return e;
    const { tests: _dropped, ...rest } = e;
    return rest;
  });
  return { version: 2, targets: { ...history.targets, [key]: { target, iterations: bounded } } };
}
