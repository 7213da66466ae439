/** The header (date, target, run status, configuration problems), the statistics and the footer line. */
import type { RunFacts } from '../facts';
import { duration, isoDate, isoTime, percent, plural } from '../format';
import { targetLabel } from '../target';
import type { ViewModel } from '../view';
import { STATUS_LABELS } from './shared';

type HeaderView = Pick<
  ViewModel,
  | 'iteration'
  | 'status'
  | 'statusLabel'
  | 'interrupted'
  | 'interruptedNote'
  | 'header'
  | 'configProblems'
  | 'counts'
  | 'stats'
  | 'footer'
  | 'runErrors'
  | 'duplicatesNote'
>;

export function headerSection(f: RunFacts): HeaderView {
  const { run, counts } = f;
  const start = new Date(run.startTime);
  const end = new Date(start.getTime() + run.durationMs);
  const interrupted = run.status === 'interrupted' || run.status === 'timedout';
  const noVerdict = counts.didNotRun + counts.interrupted;
  const interruptedNote = interrupted
    ? `${run.status === 'timedout' ? 'The global timeout stopped the run' : 'The run was interrupted (Ctrl-C or a signal)'} ` +
      'before it finished: ' +
      `counts are partial — ${plural(counts.interrupted, 'test')} stopped mid-run and ${plural(counts.didNotRun, 'test')} did not run.`
    : null;

  const footerExtras: string[] = [];
  if (counts.flaky) footerExtras.push(`${counts.flaky} flaky`);
  if (counts.skipped) footerExtras.push(`${counts.skipped} skipped`);
  if (noVerdict) footerExtras.push(`${noVerdict} without a verdict`);
  if (interrupted) footerExtras.push('run interrupted, counts partial');
  const footer =
    `${counts.passing} of ${counts.ran} tests passing (${percent(counts.passing, counts.ran)} success rate)` +
    (footerExtras.length ? ` — ${footerExtras.join(', ')}` : '');

  return {
    iteration: f.iteration,
    status: run.status,
    statusLabel: STATUS_LABELS[run.status],
    interrupted,
    interruptedNote,
    header: {
      date: isoDate(start),
      startTime: isoTime(start),
      endTime: isoTime(end),
      duration: duration(run.durationMs),
      environment: run.target.environment,
      target: targetLabel(run.target),
    },
    configProblems: run.configProblems,
    counts,
    stats: {
      passedPct: percent(counts.passed, counts.ran),
      failedPct: percent(counts.failed, counts.ran),
      flakyPct: percent(counts.flaky, counts.ran),
      successRate: percent(counts.passing, counts.ran),
    },
    footer,
    runErrors: run.errors,
    duplicatesNote: run.duplicates.length
      ? `${plural(run.duplicates.length, 'test')} appeared in more than one shard (setup projects run in every shard) and ` +
        `${run.duplicates.length === 1 ? 'is' : 'are'} counted once.`
      : null,
  };
}
