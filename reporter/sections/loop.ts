/** The re-runs of `npm run iterate`: each attempt, the persistent failures and the tests that passed only when re-run. */
import { testLabel, type RunFacts } from '../facts';
import { duration, plural } from '../format';
import type { ViewModel } from '../view';
import { STATUS_LABELS } from './shared';

export function loopSection(f: RunFacts): Pick<ViewModel, 'loop'> {
  const loop = f.run.loop;
  if (!loop) return { loop: null };
  const rerunTests = f.run.tests.filter((t) => t.reruns?.length).sort(f.byPlace);
  const persistent = rerunTests
    .filter((t) => t.status === 'failed')
    .map((t) => ({
      label: testLabel(f, t),
      note: `failed in all ${t.reruns!.length + 1} attempts — ${f.causes.get(t)?.title ?? ''}`,
    }));
  const flakyOnRerun = rerunTests
    .filter((t) => t.status === 'flaky')
    .map((t) => {
      const ok = t.reruns!.find((r) => r.status === 'passed' || r.status === 'flaky');
      return { label: testLabel(f, t), note: `failed in the full run, passed in attempt ${ok?.attempt ?? '?'}` };
    });
  return {
    loop: {
      maxReruns: loop.maxReruns,
      attempts: loop.attempts.map((a) => ({
        attempt: a.attempt,
        scope: a.scope === 'full' ? 'full run' : 're-run of failures (--last-failed)',
        status: STATUS_LABELS[a.status],
        ran: a.ran,
        passed: a.passed,
        failed: a.failed,
        duration: duration(a.durationMs),
      })),
      persistent,
      flakyOnRerun,
      summary:
        `${plural(loop.attempts.length, 'attempt')} (at most ${plural(loop.maxReruns, 're-run')}): ` +
        `${plural(persistent.length, 'persistent failure')}, ${plural(flakyOnRerun.length, 'test')} passed only when re-run.`,
    },
  };
}
