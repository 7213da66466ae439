/**
 * Mermaid `xychart-beta` line charts for the Markdown summary: GitHub renders ```mermaid blocks in job summaries and
 * PR comments, and other readers see the numbers in the block (and the table below it). Text that Mermaid would
 * read as syntax (quotes, brackets) never reaches a title or label.
 */

export interface LineChart {
  title: string;
  xTitle: string;
  /** One label per point, e.g. `#12`. */
  labels: string[];
  yTitle: string;
  values: number[];
  /** Fixed axis range; default 0 to a round number above the largest value. */
  yMax?: number;
}

const quote = (text: string) =>
  `"${text
    .replace(/["\\[\]{}`\n]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()}"`;

/** A round number at least 10% above `max` (1, 2, 2.5 or 5 times a power of ten). */
export function roundUp(max: number): number {
  const target = Math.max(max * 1.1, 1);
  const power = 10 ** Math.floor(Math.log10(target));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= target) return step * power;
  return 10 * power;
}

const number = (n: number) => String(Math.round(n * 10) / 10);

/** The fenced block of one chart. */
export function mermaidLineChart(chart: LineChart): string {
  const yMax = chart.yMax ?? roundUp(Math.max(0, ...chart.values));
  return [
    '```mermaid',
    'xychart-beta',
    `  title ${quote(chart.title)}`,
    `  x-axis ${quote(chart.xTitle)} [${chart.labels.map(quote).join(', ')}]`,
    `  y-axis ${quote(chart.yTitle)} 0 --> ${number(yMax)}`,
    `  line [${chart.values.map(number).join(', ')}]`,
    '```',
  ].join('\n');
}
