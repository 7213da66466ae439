/**
 * Flakiness over time: per test, in how many of the last HISTORY_WINDOW iterations of the target (this one included)
 * it failed or was flaky, among those it ran in. Tests above FLAKY_RATE are listed: `new` when only this iteration
 * failed, `failing` when it failed every time since it started, `unstable` when it fails on and off.
 */
import { testLabel, type RunFacts } from '../facts';
import { plural } from '../format';
import type { TestRecord, TestStatus } from '../types';
import type { FlakinessRow, ViewModel } from '../view';

const SHOWN = 50;
const RAN: ReadonlySet<TestStatus | undefined> = new Set(['passed', 'failed', 'flaky']);
const BAD: ReadonlySet<TestStatus | undefined> = new Set(['failed', 'flaky']);
const MARKS: Record<TestStatus, string> = {
  passed: '✓',
  failed: '✗',
  flaky: '~',
  skipped: '–',
  'did-not-run': '–',
  interrupted: '–',
};

const percent = (x: number) => `${Math.round(x * 100)}%`;

interface Candidate {
  test: TestRecord;
  row: FlakinessRow;
  rate: number;
}

export function flakinessSection(f: RunFacts): Pick<ViewModel, 'flakiness'> {
  const size = f.settings.historyWindow;
  const past = f.history.slice(Math.max(0, f.history.length - (size - 1)));
  const iterations = [...past.map((e) => e.iteration), f.iteration];
  const recorded = past.filter((e) => e.tests).length + 1;
  const candidates: Candidate[] = [];
  for (const test of f.run.tests) {
    const statuses = past.map((e) => e.tests?.[test.key]);
    statuses.push(test.status);
    let ran = 0;
    let bad = 0;
    for (const s of statuses) {
      if (RAN.has(s)) ran++;
      if (BAD.has(s)) bad++;
    }
    if (!ran || bad / ran <= f.settings.flakyRate) continue;
    const first = statuses.findIndex((s) => BAD.has(s));
    const failingSince = statuses.slice(first).every((s) => s === 'failed' || !RAN.has(s));
    const kind = bad === 1 && BAD.has(test.status) ? 'new' : test.status === 'failed' && failingSince ? 'failing' : 'unstable';
    candidates.push({
      test,
      rate: bad / ran,
      row: {
        label: testLabel(f, test),
        kind,
        share: `${bad} of ${ran} (${percent(bad / ran)})`,
        since: `#${iterations[first]}`,
        marks: statuses.map((s) => (s ? MARKS[s] : '·')).join(' '),
      },
    });
  }
  candidates.sort((a, b) => b.rate - a.rate || f.byPlace(a.test, b.test));
  const threshold = `${percent(f.settings.flakyRate)} (FLAKY_RATE)`;
  const span = `this target's last ${size} iterations (HISTORY_WINDOW; ${recorded} recorded)`;
  return {
    flakiness: {
      summary: candidates.length
        ? `${plural(candidates.length, 'test')} failed or ${candidates.length === 1 ? 'was' : 'were'} flaky in more than ${threshold} ` +
          `of the iterations ${candidates.length === 1 ? 'it' : 'they'} ran in, over ${span}.`
        : `No test failed or was flaky in more than ${threshold} of the iterations it ran in, over ${span}.`,
      legend: 'Iterations, oldest first: ✓ passed, ✗ failed, ~ flaky, – skipped or no verdict, · not run or not recorded.',
      rows: candidates.slice(0, SHOWN).map((c) => c.row),
      more: candidates.length > SHOWN ? `…and ${candidates.length - SHOWN} more, less often.` : null,
    },
  };
}
