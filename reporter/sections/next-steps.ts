/** Next steps, most urgent first: re-run an interrupted run, fix each root cause, re-verify, stabilise, unblock. */
import { testsWith, type RunFacts } from '../facts';
import { code, inline, plural } from '../format';
import { breaches, breachText } from '../metrics';
import type { ViewModel } from '../view';
import { causeGroups, didNotRunGroups, skippedGroups } from './shared';

export function nextStepsSection(f: RunFacts): Pick<ViewModel, 'nextSteps'> {
  const { run, counts } = f;
  const nextSteps: string[] = [];
  if (run.status === 'interrupted' || run.status === 'timedout') {
    nextSteps.push(
      `Re-run the suites: this run ${run.status === 'timedout' ? 'hit the global timeout' : 'was interrupted'} and ` +
        `${plural(counts.didNotRun + counts.interrupted, 'test')} got no verdict.`,
    );
  }
  for (const g of causeGroups(f)) {
    const step =
      g.cause.nextStep ??
      `Investigate ${g.tests
        .map((t) => code(`${t.file}:${t.line}`))
        .slice(0, 3)
        .join(', ')}: no diagnosis or known error shape explains it.`;
    nextSteps.push(`**${g.cause.title}** (${plural(g.tests.length, 'test')}): ${step}`);
  }
  if (counts.failed) {
    nextSteps.push(
      'Re-run only the failures after the fix: `npm run iterate -- --max 2` (tells persistent failures from flaky ones) or ' +
        '`npx playwright test --last-failed`.',
    );
  }
  const flaky = testsWith(f, 'flaky');
  if (flaky.length)
    nextSteps.push(
      `Stabilise ${plural(flaky.length, 'flaky test')}: ${flaky
        .slice(0, 5)
        .map((t) => inline(t.title))
        .join(', ')}${flaky.length > 5 ? ', …' : ''}.`,
    );
  const slow = breaches(f.metrics, f.settings.thresholds);
  if (slow.length)
    nextSteps.push(
      `**Performance** (${plural(slow.length, 'series', 'series')} over ${slow.length === 1 ? 'its threshold' : 'their thresholds'}): ` +
        `${slow.map(breachText).join('; ')}. Find what slows the target down there (see Performance).`,
    );
  for (const r of didNotRunGroups(f)) {
    if (r.reason.startsWith('dependency project'))
      nextSteps.push(`Fix the ${r.reason.replace(/ failed$/, '')}: ${plural(r.count, 'test')} depending on it did not run.`);
  }
  for (const r of skippedGroups(f)) {
    nextSteps.push(
      /no reason given/.test(r.reason)
        ? `${plural(r.count, 'test')} skipped without a reason (${r.tests}): give the skip a reason or fix and enable ` +
            `${r.count === 1 ? 'it' : 'them'}.`
        : `${plural(r.count, 'test')} skipped (“${r.reason}”): resolve that condition to verify ${r.count === 1 ? 'it' : 'them'}.`,
    );
  }
  if (!nextSteps.length) nextSteps.push(`None: all ${plural(counts.ran, 'test')} that ran passed.`);
  return { nextSteps };
}
