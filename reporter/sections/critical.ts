/** Critical failures: the failed tests grouped by root cause, with their categories and business weights. */
import { weightOf, type RunFacts } from '../facts';
import { inline } from '../format';
import type { CauseGroupView, ViewModel } from '../view';
import { causeGroups, causeView } from './shared';

export function criticalSection(f: RunFacts): Pick<ViewModel, 'criticalFailures'> {
  const criticalFailures: CauseGroupView[] = causeGroups(f).map((g, i) => {
    const groups = [...new Set(g.tests.map((t) => f.groupOf.get(t)!))];
    const weights = [...new Set(groups.map((c) => weightOf(f, c.weightSetting)).filter((w): w is string => !!w))];
    const shown = g.tests.slice(0, 10).map((t) => inline(t.title));
    return {
      number: i + 1,
      title: g.cause.title,
      count: g.tests.length,
      tests: shown.join(', ') + (g.tests.length > shown.length ? `, and ${g.tests.length - shown.length} more` : ''),
      categories: groups.map((c) => c.title).join(', '),
      weights: weights.length ? weights.join(' + ') : 'no business weight',
      rootCause: g.cause.rootCause,
      impact: g.cause.impact,
      sourceLabel: causeView(g.cause).sourceLabel,
    };
  });
  return { criticalFailures };
}
