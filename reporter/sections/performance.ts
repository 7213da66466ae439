/**
 * Performance: per series of the fixtures' `metrics.json` samples, count, p50, p95 and max, the threshold it is held
 * to (contract §5, settings) with a verdict, and the p95 at the last iteration of the target that measured it. A p95
 * that moved by more than PERF_CHANGE_RATIO since then is called out by name.
 */
import type { RunFacts } from '../facts';
import { code, milliseconds, plural } from '../format';
import { breaches, breachText, compareSeries, MEASURES, thresholdOf } from '../metrics';
import type { HistoryEntry, MetricSummary } from '../types';
import type { PerformanceRow, ViewModel } from '../view';

const LABELS: Record<string, string> = {
  [MEASURES.handshake]: 'WebSocket handshake',
  [MEASURES.firstEvent]: 'first agent event',
  [MEASURES.runComplete]: 'run complete',
};

const signedPercent = (ratio: number) => `${ratio >= 0 ? '+' : '-'}${Math.round(Math.abs(ratio) * 100)}%`;

/** The last earlier iteration of the target that measured `series`. */
function previousOf(history: readonly HistoryEntry[], series: string): { iteration: number; summary: MetricSummary } | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const summary = history[i].metrics?.[series];
    if (summary) return { iteration: history[i].iteration, summary };
  }
  return undefined;
}

export function performanceSection(f: RunFacts): Pick<ViewModel, 'performance'> {
  const series = Object.keys(f.metrics).sort(compareSeries);
  const tests = f.run.tests.filter((t) => t.metrics?.length).length;
  const samples = f.run.tests.reduce((n, t) => n + (t.metrics?.length ?? 0), 0);
  const rejected = f.run.tests.reduce((n, t) => n + (t.metricsRejected ?? 0), 0);
  const lastIteration = f.history.length ? f.history[f.history.length - 1].iteration : null;
  const ratio = f.settings.perfChangeRatio;
  const rows: PerformanceRow[] = [];
  const changes: { text: string; ratio: number }[] = [];
  let compared = 0;

  for (const name of series) {
    const s = f.metrics[name];
    const threshold = thresholdOf(name);
    let heldTo = '—';
    let verdict = '— no threshold';
    if (threshold) {
      const limit = f.settings.thresholds[threshold.setting];
      const value = threshold.statistic === 'max' ? s.max : s.p95;
      heldTo = `${threshold.statistic === 'max' ? 'each' : 'p95'} ≤ ${milliseconds(limit)} (${threshold.setting})`;
      verdict = value <= limit ? '✅ within' : '❌ over';
    }
    const previous = previousOf(f.history, name);
    if (previous) {
      compared++;
      const before = previous.summary.p95;
      const moved = before > 0 ? (s.p95 - before) / before : s.p95 > 0 ? Infinity : 0;
      if (Math.abs(moved) > ratio && Math.abs(s.p95 - before) >= f.settings.perfChangeMinMs) {
        const since = previous.iteration === lastIteration ? '' : ` (since iteration ${previous.iteration})`;
        const change = Number.isFinite(moved) ? signedPercent(moved) : 'from 0';
        changes.push({ text: `${name} p95 ${milliseconds(before)} → ${milliseconds(s.p95)}, ${change}${since}`, ratio: moved });
      }
    }
    const label = LABELS[name.split(' ')[0]];
    rows.push({
      series: `${code(name)}${label && !name.includes(' ') ? ` (${label})` : ''}`,
      count: s.count,
      p50: milliseconds(s.p50),
      p95: milliseconds(s.p95),
      max: milliseconds(s.max),
      heldTo,
      verdict,
      previous: previous ? `${milliseconds(previous.summary.p95)} (#${previous.iteration})` : '—',
    });
  }

  const summary = series.length
    ? `${plural(tests, 'test')} attached \`metrics.json\`: ${plural(samples, 'sample')} in ${plural(series.length, 'series', 'series')}. ` +
      'p50 and p95 are nearest-rank percentiles; thresholds are settings (contract §5).'
    : 'No test attached `metrics.json`: nothing was measured.';
  const threshold = `${Math.round(ratio * 100)}% (PERF_CHANGE_RATIO)`;
  const changesNote = !series.length
    ? ''
    : !compared
      ? 'No earlier iteration of this target measured these series: nothing to compare with.'
      : changes.length
        ? `p95 moved by more than ${threshold} since the last iteration of this target that measured it:`
        : `No p95 moved by more than ${threshold} since the last iteration of this target that measured it.`;
  changes.sort((a, b) => Math.abs(b.ratio) - Math.abs(a.ratio));
  return {
    performance: {
      summary: rejected ? `${summary} ${plural(rejected, 'malformed sample')} left out.` : summary,
      rows,
      changesNote,
      changes: changes.map((c) => c.text),
      over: breaches(f.metrics, f.settings.thresholds).map(breachText),
    },
  };
}
