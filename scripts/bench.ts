/**
 * `npm run bench`: how fast the harness is, written to docs/benchmarks.md (and the README's Benchmarks section).
 * One job per module under bench/:
 *
 *   1. suite     the full suite against the embedded server: wall time, tests/s, peak RSS (bench/suite.ts)
 *   2. overhead  the harness against a raw WebSocket client, per supervisor run (bench/overhead.ts)
 *   3. scaling   agent-execution and core under 200 ms of agent latency on 1 to 8 workers (bench/scaling.ts)
 *   4. reporter  the iteration summary's rendering of 10,000 synthetic results (bench/reporter.ts)
 *
 *   npm run bench [-- --only suite,overhead,scaling,reporter] [--runs 3] [--overhead-runs 60] [--workers 1,2,4,8]
 *                 [--out docs/benchmarks.md]
 *   npm run bench -- --from <results.json>    re-render the doc from the raw results a run saved in the OS temp dir
 *
 * Every measurement is repeated --runs times; the doc gives the median and every run. Child runs get their own
 * output, HTML report and iteration-summary directories under the OS temp dir (never the repo's test-results/).
 * With --only, the doc is written to the temp dir unless --out is given, so a partial run never replaces it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { renderDoc, targetsSection, updateReadme, type Results } from '../bench/doc';
import { fmt, log, machine, PARTS, REPO, stopChildrenOnSignals, type Options, type Part } from '../bench/measure';
import { benchOverhead } from '../bench/overhead';
import { benchReporter } from '../bench/reporter';
import { benchScaling } from '../bench/scaling';
import { benchSuite } from '../bench/suite';

const DOC = path.join(REPO, 'docs', 'benchmarks.md');
/** Where every run saves its raw results (for --from), outside the repo. */
const RESULTS_FILE = path.join(os.tmpdir(), 'harness-bench-results.json');

function parseOptions(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
    return v;
  };
  const int = (name: string, fallback: number) => {
    const v = value(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`--${name} must be a whole number >= 1 (got "${v}")`);
    return Number(v);
  };
  const known = new Set(['--only', '--runs', '--overhead-runs', '--workers', '--out', '--from']);
  argv.forEach((a, i) => {
    if (a.startsWith('--') && !known.has(a)) throw new Error(`unknown option ${a} (known: ${[...known].join(', ')})`);
    if (!a.startsWith('--') && !known.has(argv[i - 1] ?? '')) throw new Error(`unexpected argument "${a}"`);
  });
  const onlyRaw = value('only');
  const only = new Set<Part>();
  for (const p of (onlyRaw ?? PARTS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--only: unknown part "${p}" (parts: ${PARTS.join(', ')})`);
    only.add(p as Part);
  }
  const workers = (value('workers') ?? '1,2,4,8').split(',').map((w) => Number(w.trim()));
  if (workers.some((w) => !Number.isInteger(w) || w < 1))
    throw new Error(`--workers must be whole numbers >= 1 (got "${value('workers')}")`);
  const overheadRuns = int('overhead-runs', 60);
  if (overheadRuns < 2) throw new Error('--overhead-runs must be at least 2');
  const partial = only.size < PARTS.length;
  const out = value('out') ?? (partial ? path.join(os.tmpdir(), 'benchmarks-partial.md') : DOC);
  const from = value('from');
  return {
    only,
    runs: int('runs', 3),
    overheadRuns,
    workers,
    out: path.resolve(out),
    partial,
    ...(from ? { from: path.resolve(from) } : {}),
  };
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (o.from) {
    const saved = JSON.parse(fs.readFileSync(o.from, 'utf8')) as Results;
    const results: Results = { ...saved, options: { ...saved.options, only: new Set(saved.options.only), out: o.out } };
    fs.writeFileSync(o.out, renderDoc(results));
    if (!results.options.partial && o.out === DOC) updateReadme(results);
    log(`rendered ${o.out} from ${o.from}`);
    return;
  }
  if (process.platform !== 'linux') throw new Error('the benchmark samples memory from /proc and needs Linux');
  stopChildrenOnSignals();
  const started = performance.now();
  const results: Results = { machine: machine(), options: o, minutes: 0 };
  const { cpus, cpuModel, loadAtStart } = results.machine;
  const loads = loadAtStart.map((n) => fmt(n, 2)).join(' ');
  log(`${cpus} cores, ${cpuModel}, load ${loads}; parts: ${[...o.only].join(', ')}; ${o.runs} runs each`);
  if (o.only.has('reporter')) results.reporter = benchReporter(o);
  if (o.only.has('overhead')) results.overhead = await benchOverhead(o);
  if (o.only.has('suite')) results.suite = await benchSuite(o);
  if (o.only.has('scaling')) results.scaling = await benchScaling(o);
  results.machine.loadAtEnd = os.loadavg();
  results.minutes = (performance.now() - started) / 60_000;
  fs.writeFileSync(RESULTS_FILE, JSON.stringify({ ...results, options: { ...o, only: [...o.only] } }, null, 2));
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, renderDoc(results));
  if (!o.partial && o.out === DOC) updateReadme(results);
  log(`wrote ${path.relative(process.cwd(), o.out) || o.out} in ${fmt(results.minutes, 1)} min`);
  for (const line of targetsSection(results).filter((l) => l.startsWith('- '))) log(line.replace(/\*\*/g, ''));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
