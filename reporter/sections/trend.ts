/**
 * The trend over the last HISTORY_WINDOW iterations of the target: pass rate and p95 time to the first agent event
 * as Mermaid charts, and the same numbers in a table for readers whose viewer does not draw them.
 */
import { mermaidLineChart } from '../charts';
import type { RunFacts } from '../facts';
import { formatRate, isoDate, milliseconds, rate } from '../format';
import { MEASURES } from '../metrics';
import { targetLabel } from '../target';
import type { TrendRow, ViewModel } from '../view';
import { STATUS_LABELS } from './shared';

interface Point {
  iteration: number;
  startTime: string;
  status: string;
  passing: number;
  ran: number;
  rate: number | null;
  firstEventP95: number | null;
  current: boolean;
}

export function trendSection(f: RunFacts): Pick<ViewModel, 'trend'> {
  const window = f.settings.historyWindow;
  const past = f.history.slice(Math.max(0, f.history.length - (window - 1)));
  const now = f.metrics[MEASURES.firstEvent];
  const points: Point[] = [
    ...past.map((e) => ({
      iteration: e.iteration,
      startTime: e.startTime,
      status: STATUS_LABELS[e.status],
      passing: e.counts.passing,
      ran: e.counts.ran,
      rate: e.successRate,
      firstEventP95: e.metrics?.[MEASURES.firstEvent]?.p95 ?? null,
      current: false,
    })),
    {
      iteration: f.iteration,
      startTime: f.run.startTime,
      status: STATUS_LABELS[f.run.status],
      passing: f.counts.passing,
      ran: f.counts.ran,
      rate: rate(f.counts.passing, f.counts.ran),
      firstEventP95: now?.p95 ?? null,
      current: true,
    },
  ];

  let previousRate: number | null = null;
  const rows: TrendRow[] = points.map((p) => {
    const delta =
      p.rate !== null && previousRate !== null
        ? `${p.rate >= previousRate ? '+' : ''}${((p.rate - previousRate) * 100).toFixed(1)} pp`
        : '—';
    previousRate = p.rate ?? previousRate;
    return {
      iteration: p.iteration,
      date: isoDate(new Date(p.startTime)),
      status: p.status,
      passing: `${p.passing}/${p.ran}`,
      rate: formatRate(p.rate),
      delta,
      firstEventP95: p.firstEventP95 === null ? '—' : milliseconds(p.firstEventP95),
      current: p.current,
    };
  });

  const rated = points.filter((p) => p.rate !== null);
  const timed = points.filter((p) => p.firstEventP95 !== null);
  const charts: string[] = [];
  const missing: string[] = [];
  if (rated.length >= 2)
    charts.push(
      mermaidLineChart({
        title: `Pass rate (%), iterations ${rated[0].iteration}–${rated[rated.length - 1].iteration}`,
        xTitle: 'Iteration',
        labels: rated.map((p) => `#${p.iteration}`),
        yTitle: 'Pass rate (%)',
        values: rated.map((p) => p.rate! * 100),
        yMax: 100,
      }),
    );
  else missing.push('pass rate');
  if (timed.length >= 2)
    charts.push(
      mermaidLineChart({
        title: `p95 time to first agent event (ms), iterations ${timed[0].iteration}–${timed[timed.length - 1].iteration}`,
        xTitle: 'Iteration',
        labels: timed.map((p) => `#${p.iteration}`),
        yTitle: 'p95 run.first_event (ms)',
        values: timed.map((p) => p.firstEventP95!),
      }),
    );
  else missing.push('p95 time to first agent event');
  return {
    trend: {
      line: rows.map((r) => `#${r.iteration} ${r.rate}`).join(' → '),
      rows,
      intro:
        `${points.length === 1 ? 'Only this iteration' : `The last ${points.length} iterations`} of this target, ` +
        `${f.run.target.environment} — ${targetLabel(f.run.target)} (HISTORY_WINDOW ${window}).`,
      charts,
      chartsNote: missing.length ? `No chart of ${missing.join(' or ')} yet: it needs two iterations of this target with a value.` : null,
    },
  };
}
