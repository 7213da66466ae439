/**
 * Performance samples as series: each measure over all tests, and per agent type or REST route. A series' summary
 * (count, p50, p95, max) is what the summary shows and what history.json keeps per iteration, so trends and changes
 * need no old files. Percentiles are nearest-rank: always a value that was measured.
 */
import { milliseconds } from './format';
import type { MetricSample, MetricSummary, ThresholdSetting } from './types';

export const MEASURES = {
  handshake: 'ws.handshake',
  firstEvent: 'run.first_event',
  runComplete: 'run.complete',
  rest: 'rest',
} as const;

/** The REST route held to HEALTH_P95_MS; every other route is held to LATENCY_P95_MS. */
const HEALTH_ROUTE = 'GET /health';

/**
 * The series a sample belongs to: `ws.handshake`; `run.first_event` and `run.first_event (supervisor)`;
 * `rest GET /api/threads/{id}` (REST routes have no all-routes series: their thresholds differ).
 */
export function seriesOf(sample: MetricSample): string[] {
  if (sample.measure === MEASURES.rest) return [sample.route ? `rest ${sample.route}` : 'rest (no route)'];
  return sample.agent ? [sample.measure, `${sample.measure} (${sample.agent})`] : [sample.measure];
}

/** Nearest-rank percentile of ascending `sorted` (non-empty). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Rounded to 0.1 ms: the JSON and the history keep what the summary can show. */
const tenth = (ms: number) => Math.round(ms * 10) / 10;

export function summarize(samples: Iterable<MetricSample>): Record<string, MetricSummary> {
  const bySeries = new Map<string, number[]>();
  for (const sample of samples) {
    for (const series of seriesOf(sample)) {
      const list = bySeries.get(series);
      if (list) list.push(sample.ms);
      else bySeries.set(series, [sample.ms]);
    }
  }
  const out: Record<string, MetricSummary> = {};
  for (const [series, values] of bySeries) {
    values.sort((a, b) => a - b);
    out[series] = {
      count: values.length,
      p50: tenth(percentile(values, 50)),
      p95: tenth(percentile(values, 95)),
      max: tenth(values[values.length - 1]),
    };
  }
  return out;
}

export interface Threshold {
  setting: ThresholdSetting;
  /** `max`: every sample is held to it (a wait in a test); `p95`: the 95th percentile is. */
  statistic: 'max' | 'p95';
}

/** The threshold a series is held to (contract §5), if any. */
export function thresholdOf(series: string): Threshold | undefined {
  const measure = series.split(' ')[0];
  if (measure === MEASURES.handshake) return { setting: 'WS_HANDSHAKE_MS', statistic: 'max' };
  if (measure === MEASURES.firstEvent) return { setting: 'FIRST_EVENT_MS', statistic: 'max' };
  if (measure === MEASURES.runComplete) return { setting: 'RUN_COMPLETE_MS', statistic: 'max' };
  if (measure === MEASURES.rest)
    return { setting: series === `rest ${HEALTH_ROUTE}` ? 'HEALTH_P95_MS' : 'LATENCY_P95_MS', statistic: 'p95' };
  return undefined;
}

const MEASURE_ORDER: string[] = [MEASURES.handshake, MEASURES.firstEvent, MEASURES.runComplete, MEASURES.rest];

/** Table order: by measure (known ones first), the all-agents series before its agents, REST routes by path. */
export function compareSeries(a: string, b: string): number {
  const parts = (s: string) => {
    const [measure, ...rest] = s.split(' ');
    const i = MEASURE_ORDER.indexOf(measure);
    const detail = measure === MEASURES.rest && rest.length === 2 ? `${rest[1]} ${rest[0]}` : rest.join(' ');
    return { rank: i < 0 ? MEASURE_ORDER.length : i, measure, detail };
  };
  const x = parts(a);
  const y = parts(b);
  return x.rank - y.rank || x.measure.localeCompare(y.measure) || x.detail.localeCompare(y.detail);
}

export interface Breach {
  series: string;
  statistic: Threshold['statistic'];
  value: number;
  setting: ThresholdSetting;
  limit: number;
}

/** The series whose statistic is above the threshold they are held to, in table order. */
export function breaches(summary: Record<string, MetricSummary>, thresholds: Record<ThresholdSetting, number>): Breach[] {
  const out: Breach[] = [];
  for (const series of Object.keys(summary).sort(compareSeries)) {
    const threshold = thresholdOf(series);
    if (!threshold) continue;
    const value = threshold.statistic === 'max' ? summary[series].max : summary[series].p95;
    const limit = thresholds[threshold.setting];
    if (value > limit) out.push({ series, statistic: threshold.statistic, value, setting: threshold.setting, limit });
  }
  return out;
}

/** `run.complete (supervisor) max 130000 ms is over RUN_COMPLETE_MS 120000 ms` */
export function breachText(b: Breach): string {
  return `${b.series} ${b.statistic} ${milliseconds(b.value)} is over ${b.setting} ${milliseconds(b.limit)}`;
}
