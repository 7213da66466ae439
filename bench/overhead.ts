/**
 * Job `overhead`: the same supervisor runs made by a minimal `ws` client (raw-client.ts, the floor), by bare
 * Playwright tests around that client, by one harness test, and by one harness test per run (overhead.spec.ts, the
 * suites' shape): wall per run and the ratio to the floor, against one reference server process per pacing.
 */
import { randomBytes } from 'node:crypto';
import { fmt, load, log, playwright, run, startReferenceServer, tail, type JsonReport, type JsonSuite, type Options } from './measure';

/** The embedded server's default pause between agent events (server/index.ts DEFAULTS.agentStepDelayMs). */
export const DEFAULT_STEP_DELAY_MS = 5;
export const OVERHEAD_PACINGS = [0, DEFAULT_STEP_DELAY_MS];

type Variant = 'raw' | 'bare' | 'oneTest' | 'harness';
export const VARIANTS: { key: Variant; label: string; what: string }[] = [
  { key: 'raw', label: 'raw ws client (floor)', what: 'bench/raw-client.ts: mint a token, open, user_message, agent_completed, close' },
  { key: 'bare', label: 'bare Playwright test per run', what: 'bench/bare.spec.ts: the raw client inside a test, no harness fixtures' },
  {
    key: 'oneTest',
    label: 'harness, all runs in one test',
    what: 'bench/one-test.spec.ts: users.create + sockets.open + say + finished, in one test',
  },
  {
    key: 'harness',
    label: 'harness, one test per run',
    what: 'bench/overhead.spec.ts: { sockets, user } → sockets.open + say + finished (the suites’ shape)',
  },
];

export interface OverheadRun {
  pacingMs: number;
  perRunMs: Record<Variant, number>;
  processMs: Record<Variant, number>;
  load: [number, number];
}

/** Wall per run of a Playwright variant: from the second test's start to the last test's end (the first pays imports). */
function perRunFromJson(report: JsonReport | undefined, runs: number): number {
  const results: { start: number; end: number }[] = [];
  const walk = (s: JsonSuite) => {
    for (const spec of s.specs ?? [])
      for (const t of spec.tests)
        for (const r of t.results) results.push({ start: Date.parse(r.startTime), end: Date.parse(r.startTime) + r.duration });
    for (const child of s.suites ?? []) walk(child);
  };
  for (const s of report?.suites ?? []) walk(s);
  if (results.length === 1) return (results[0].end - results[0].start) / runs; // one test making every run
  if (results.length < 2) return NaN;
  results.sort((a, b) => a.start - b.start);
  return (Math.max(...results.map((r) => r.end)) - results[1].start) / (results.length - 1);
}

export async function benchOverhead(o: Options): Promise<OverheadRun[]> {
  const out: OverheadRun[] = [];
  for (const pacingMs of OVERHEAD_PACINGS) {
    const secret = randomBytes(32).toString('hex');
    const server = await startReferenceServer({
      PORT: '0',
      AGENT_STEP_DELAY_MS: String(pacingMs),
      JWT_SECRET_KEY: secret,
      E2E_OAUTH_SIMULATION_KEY: randomBytes(16).toString('hex'),
    });
    const env = { STAGING_BASE_URL: server.url, JWT_SECRET_KEY: secret, BENCH_RUNS: String(o.overheadRuns) };
    try {
      for (let i = 0; i < o.runs; i++) {
        log(`overhead: AGENT_STEP_DELAY_MS=${pacingMs}, round ${i + 1}/${o.runs} (${o.overheadRuns} runs per variant)`);
        const loadBefore = load();
        const perRunMs = {} as Record<Variant, number>;
        const processMs = {} as Record<Variant, number>;
        // Rotate the order each round, so no variant always runs first or last.
        const order = VARIANTS.map((v) => v.key);
        for (let k = 0; k < i % order.length; k++) order.push(order.shift()!);
        for (const variant of order) {
          if (variant === 'raw') {
            const r = await run(process.execPath, ['--import', 'tsx', 'bench/raw-client.ts'], env, { timeoutMs: 10 * 60_000 });
            if (r.code !== 0) throw new Error(`raw client failed: ${tail(r.stderr)}`);
            perRunMs.raw = (JSON.parse(r.stdout.trim().split('\n').pop()!) as { perRunMs: number }).perRunMs;
            processMs.raw = r.wallMs;
            continue;
          }
          const spec = { bare: 'bench/bare.spec.ts', oneTest: 'bench/one-test.spec.ts', harness: 'bench/overhead.spec.ts' }[variant];
          const r = await playwright(['-c', 'bench/playwright.config.ts', spec], env, { timeoutMs: 15 * 60_000, json: true });
          const expected = variant === 'oneTest' ? 1 : o.overheadRuns;
          if (r.code !== 0 || r.json?.stats.expected !== expected)
            throw new Error(`${spec} failed (exit ${r.code}): ${tail(r.stderr || r.stdout)}`);
          perRunMs[variant] = perRunFromJson(r.json, o.overheadRuns);
          processMs[variant] = r.wallMs;
        }
        out.push({ pacingMs, perRunMs, processMs, load: [loadBefore, load()] });
        const perVariant = VARIANTS.map((v) => `${v.key} ${fmt(perRunMs[v.key])} ms`).join(', ');
        log(`overhead: ${perVariant} → ratio ${fmt(perRunMs.harness / perRunMs.raw, 2)}`);
      }
    } finally {
      await server.stop();
    }
  }
  return out;
}
