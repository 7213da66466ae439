/**
 * Job `reporter`: the iteration summary (view model + each template) for 10,000 synthetic results with 20 iterations
 * of history (bench/synthetic-results.ts), in process. The first render of each template is the cold one (template
 * compile included). `npm run bench:reporter` (scripts/bench-reporter.ts) runs the same measurement on its own.
 */
import { performance } from 'node:perf_hooks';
import { compileRules, loadRules } from '../reporter/diagnosis';
import { buildViewModel } from '../reporter/model';
import { renderMarkdown, TEMPLATE_NAMES } from '../reporter/render';
import { syntheticHistory, syntheticRun } from './synthetic-results';
import { log, type Options } from './measure';

export const REPORTER_RESULTS = 10_000;

export interface ReporterRun {
  template: string;
  coldMs: number;
  warm: { modelMs: number; renderMs: number; totalMs: number }[];
  kib: number;
}

/** Renders every template `warmRuns` + 1 times (the first is cold) for a synthetic run of `results` results. */
export function timeRenders(results: number, warmRuns: number, onTemplate: (template: string) => void = () => {}): ReporterRun[] {
  const run = syntheticRun(results);
  const history = syntheticHistory(run, 20);
  const rules = compileRules(loadRules());
  const out: ReporterRun[] = [];
  for (const template of TEMPLATE_NAMES) {
    onTemplate(template);
    const times: { modelMs: number; renderMs: number; totalMs: number; bytes: number }[] = [];
    for (let i = 0; i < warmRuns + 1; i++) {
      const t0 = performance.now();
      const model = buildViewModel({ run, iteration: 21, history, rules });
      const t1 = performance.now();
      const markdown = renderMarkdown(model, template);
      const t2 = performance.now();
      times.push({ modelMs: t1 - t0, renderMs: t2 - t1, totalMs: t2 - t0, bytes: Buffer.byteLength(markdown) });
    }
    const [cold, ...warm] = times;
    out.push({ template, coldMs: cold.totalMs, warm, kib: cold.bytes / 1024 });
  }
  return out;
}

export function benchReporter(o: Options): ReporterRun[] {
  return timeRenders(REPORTER_RESULTS, o.runs, (template) =>
    log(`reporter: ${template}, ${REPORTER_RESULTS} results, 1 cold + ${o.runs} warm renders`),
  );
}
