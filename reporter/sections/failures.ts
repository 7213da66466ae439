/** Each failed test with its error, root cause and impact; each flaky test with how it passed. */
import { testsWith, weightOf, type RunFacts } from '../facts';
import { code, fenced, inline, plural } from '../format';
import type { TestRecord } from '../types';
import type { FailureView, FlakyView, ViewModel } from '../view';
import { causeView, STATUS_WORDS } from './shared';

function attemptsText(t: TestRecord): string {
  const statuses = t.attempts.map((a) => (a.status === 'timedOut' ? 'timed out' : a.status));
  return `${plural(statuses.length, 'attempt')}: ${statuses.join(', ') || 'none'}`;
}

export function failuresSection(f: RunFacts): Pick<ViewModel, 'failures' | 'flaky'> {
  const failures: FailureView[] = testsWith(f, 'failed').map((t, i) => {
    const g = f.groupOf.get(t)!;
    const error = t.error?.message ?? '(no error message)';
    const reruns = t.reruns?.length
      ? `failed again in ${plural(t.reruns.length, 're-run')} ` +
        `(${t.reruns.map((r) => `attempt ${r.attempt}: ${STATUS_WORDS[r.status]}`).join(', ')})`
      : null;
    return {
      number: i + 1,
      title: inline(t.title),
      fullTitle: inline(t.titlePath.join(' › ')),
      project: t.project,
      location: code(`${t.file}:${t.line}`),
      errorLocation: t.error?.location ? code(t.error.location) : null,
      category: g.title,
      weight: weightOf(f, g.weightSetting),
      timedOut: t.timedOut,
      error,
      errorBlock: fenced(error),
      errorFirstLine: inline(error.split('\n')[0]),
      attempts: attemptsText(t),
      cause: causeView(f.causes.get(t)!),
      rerun: reruns,
      checks: t.checks ? inline(t.checks) : null,
      catches: t.catches ? inline(t.catches) : null,
    };
  });

  const flaky: FlakyView[] = testsWith(f, 'flaky').map((t) => {
    const passedRerun = t.reruns?.find((r) => r.status === 'passed' || r.status === 'flaky');
    const failedRetries = t.attempts.filter((a) => a.status !== 'passed' && a.status !== 'skipped').length;
    const note = passedRerun
      ? `failed in the full run, passed when re-run (attempt ${passedRerun.attempt})`
      : `failed ${plural(failedRetries, 'time')}, then passed on retry ${t.attempts.findIndex((a) => a.status === 'passed')}`;
    return {
      title: inline(t.title),
      location: code(`${t.file}:${t.line}`) + (f.multiProject ? ` [${inline(t.project)}]` : ''),
      category: f.groupOf.get(t)!.title,
      note,
      error: inline((t.error?.message ?? '').split('\n')[0] || '(no error message)'),
      cause: f.causes.get(t)?.title ?? 'not diagnosed',
    };
  });
  return { failures, flaky };
}
