/** Tests without a verdict: skipped (with their reasons), did not run (and why), interrupted mid-test. */
import { testLabel, testsWith, type RunFacts } from '../facts';
import type { ViewModel } from '../view';
import { didNotRunGroups, skippedGroups } from './shared';

export function notRunSection(f: RunFacts): Pick<ViewModel, 'skipped' | 'didNotRun' | 'interruptedTests'> {
  return {
    skipped: skippedGroups(f),
    didNotRun: didNotRunGroups(f),
    interruptedTests: testsWith(f, 'interrupted').map((t) => ({
      label: testLabel(f, t),
      note: 'was running when the run stopped; no verdict',
    })),
  };
}
