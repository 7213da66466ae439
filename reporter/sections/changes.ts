/**
 * What changed since the previous iteration of the same target: newly failing, fixed, still failing (since when),
 * flaky, and failures of last time that this run did not re-verify.
 */
import type { RunFacts } from '../facts';
import { testLabel } from '../facts';
import { code } from '../format';
import type { HistoryEntry, TestRecord, TestStatus } from '../types';
import type { ChangeView, ViewModel } from '../view';
import { STATUS_WORDS } from './shared';

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

export function changesSection(f: RunFacts): Pick<ViewModel, 'changes'> {
  const diff = diffRuns(f.history, f.run.tests);
  const order = (a: TestChange, b: TestChange) =>
    a.test && b.test ? f.byPlace(a.test, b.test) : a.test ? -1 : b.test ? 1 : a.key.localeCompare(b.key);
  const view = (list: TestChange[], note: (c: TestChange) => string): ChangeView[] =>
    [...list].sort(order).map((c) => ({ label: c.test ? testLabel(f, c.test) : code(c.key), note: note(c) }));
  const changes: ViewModel['changes'] = {
    previousIteration: diff.previousIteration,
    summary: '',
    newlyFailing: view(diff.newlyFailing, (c) => (c.previous ? `was ${STATUS_WORDS[c.previous]}` : 'new test')),
    fixed: view(diff.fixed, (c) => (c.test?.status === 'flaky' ? 'passes now, but flaky' : 'passes now')),
    stillFailing: view(
      diff.stillFailing,
      (c) => `failing since iteration ${c.failingSince}${c.test ? ` — ${f.causes.get(c.test)?.title ?? ''}` : ''}`,
    ),
    flaky: view(diff.flaky, (c) =>
      c.previous === 'flaky' ? 'flaky last time too' : c.previous ? `was ${STATUS_WORDS[c.previous]}` : 'new test',
    ),
    notReverified: view(diff.notReverified, (c) =>
      c.test ? `failed last time, ${STATUS_WORDS[c.test.status]} now` : 'failed last time, not in this run',
    ),
  };
  changes.summary =
    diff.previousIteration === null
      ? 'First recorded iteration: nothing to compare with.'
      : `Since iteration ${diff.previousIteration}: ${changes.newlyFailing.length} newly failing, ${changes.fixed.length} fixed, ` +
        `${changes.stillFailing.length} still failing, ${changes.flaky.length} flaky` +
        `${changes.notReverified.length ? `, ${changes.notReverified.length} not re-verified` : ''}.`;
  return { changes };
}
