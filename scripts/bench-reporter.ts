/**
 * Benchmark of the iteration summary: builds the view model and renders both templates for a synthetic run of
 * 10,000 results (bench/synthetic-results.ts: failures, diagnoses, quality breakdowns, flaky, skipped and
 * did-not-run tests, about four performance samples per test, and 20 iterations of history with their metrics),
 * without Playwright. Prints the timings; exits 1 when a cold render (template compile included) takes 1 s or more.
 *
 *   npm run bench:reporter [-- --tests 10000 --repeat 5]
 */
import { computeCounts } from '../reporter/counts';
import { timeRenders } from '../bench/reporter';
import { syntheticRun } from '../bench/synthetic-results';

const BUDGET_MS = 1000;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

function main(): number {
  const total = arg('tests', 10_000);
  const repeat = arg('repeat', 5);
  const c = computeCounts(syntheticRun(total).tests);
  process.stdout.write(
    `synthetic run: ${total} results (${c.passed} passed, ${c.failed} failed, ${c.flaky} flaky, ${c.skipped} skipped, ` +
      `${c.didNotRun} did not run), 20 iterations of history with metrics\n`,
  );
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ms = (value: number) => value.toFixed(0);
  let coldWorst = 0;
  for (const r of timeRenders(total, repeat)) {
    coldWorst = Math.max(coldWorst, r.coldMs);
    const warmOf = (part: 'modelMs' | 'renderMs' | 'totalMs') => ms(median(r.warm.map((t) => t[part])));
    process.stdout.write(
      `${r.template}: cold ${ms(r.coldMs)} ms (template compile included); warm median ${warmOf('totalMs')} ms ` +
        `(model ${warmOf('modelMs')} + render ${warmOf('renderMs')}) over ${r.warm.length} runs; ${r.kib.toFixed(0)} KiB of Markdown\n`,
    );
  }
  const ok = coldWorst < BUDGET_MS;
  process.stdout.write(`${ok ? 'OK' : 'OVER BUDGET'}: slowest cold render ${coldWorst.toFixed(0)} ms (budget ${BUDGET_MS} ms)\n`);
  return ok ? 0 : 1;
}

if (require.main === module) process.exit(main());
