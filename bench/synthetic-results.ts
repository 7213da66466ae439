/**
 * A synthetic iteration for the reporter's benchmarks: 10,000-result runs with failures, diagnoses, quality
 * breakdowns, flaky, skipped and did-not-run tests, about four performance samples per test, and iterations of
 * history with their metrics. Deterministic, so every run measures the same document.
 */
import { operations } from '../contract';
import { CATEGORIES } from '../tests/catalog';
import { readConfiguration } from '../reporter/configuration';
import { summarize } from '../reporter/metrics';
import type { HistoryEntry, MetricSample, QualityRecord, RunData, TestRecord, TestStatus } from '../reporter/types';
import { computeCounts } from '../reporter/counts';

/** Deterministic pseudo-random numbers, so every run measures the same document. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

const ERRORS = [
  'Error: Quality SLA violation: 0.50 < 0.7',
  'Error: Timed out after 15000ms waiting for agent_completed of run r-{n}',
  'Error: expect(received).toBe(expected)\n\nExpected: 200\nReceived: 401',
  'Error: connect ECONNREFUSED 10.0.0.{n}:443',
  'Test timeout of 150000ms exceeded.',
  'Error: expect(received).toEqual(expected)\n\nExpected: "agent_completed"\nReceived: "agent_error"',
  'Error: unexplained failure #{n} in the gateway',
];

const AGENTS = ['triage', 'data', 'optimization', 'supervisor'];
/** The routes samples are spread over: every operation of the contract. */
const ROUTES = operations();

/** What a test's fixtures measure: a handshake, an agent run or two REST calls; `slowdown` scales every time. */
function syntheticSamples(i: number, random: () => number, slowdown = 1): MetricSample[] {
  const ms = (base: number) => Math.round(base * slowdown * (0.6 + random()) * 10) / 10;
  const agent = AGENTS[i % AGENTS.length];
  const samples: MetricSample[] = [{ measure: 'ws.handshake', ms: ms(15) }];
  if (i % 3 === 0) samples.push({ measure: 'run.first_event', agent, ms: ms(40) }, { measure: 'run.complete', agent, ms: ms(400) });
  else
    samples.push(
      { measure: 'rest', route: ROUTES[i % ROUTES.length], status: 200, ms: ms(8) },
      { measure: 'rest', route: ROUTES[(i * 7) % ROUTES.length], status: 200, ms: ms(8) },
    );
  return samples;
}

const LOW_QUALITY: QualityRecord = {
  qualitySla: 0.7,
  runs: [
    {
      scenario: 'capacity planning',
      keywords: ['capacity', 'utilization', 'growth'],
      keywordsFound: ['utilization', 'growth'],
      score: 0.5,
      completed: true,
      parts: { answerLength: 0, keywords: 0.2, toolPairing: 0.2, toolResults: 0, reasoning: 0.1 },
    },
  ],
};

export function syntheticRun(total: number, seed = 42): RunData {
  const random = rng(seed);
  const tests: TestRecord[] = [];
  for (let i = 0; i < total; i++) {
    const category = CATEGORIES[i % CATEGORIES.length];
    const file = `tests/${category.project}/${category.key}.spec.ts`;
    const title = `test_${String(i).padStart(5, '0')}_synthetic_check`;
    const r = random();
    const status: TestStatus = r < 0.93 ? 'passed' : r < 0.96 ? 'failed' : r < 0.98 ? 'flaky' : r < 0.995 ? 'skipped' : 'did-not-run';
    const failing = status === 'failed' || status === 'flaky';
    const message = ERRORS[i % ERRORS.length].replace('{n}', String(i));
    const t: TestRecord = {
      key: `${category.project} › ${file} › ${category.title} › ${title}`,
      project: category.project,
      file,
      line: 10 + (i % 500),
      column: 3,
      titlePath: [category.title, title],
      title,
      category: category.key,
      tags: [],
      outcome: status === 'passed' ? 'expected' : status === 'failed' ? 'unexpected' : status === 'flaky' ? 'flaky' : 'skipped',
      status,
      expectedStatus: status === 'skipped' ? 'skipped' : 'passed',
      timedOut: failing && message.startsWith('Test timeout'),
      attempts:
        status === 'flaky'
          ? [
              { retry: 0, status: 'failed', durationMs: 900, error: message },
              { retry: 1, status: 'passed', durationMs: 800 },
            ]
          : [{ retry: 0, status: status === 'failed' ? 'failed' : 'passed', durationMs: 700 }],
      durationMs: 700,
    };
    if (failing) t.error = { message, fullMessage: message, location: `${file}:${t.line + 2}` };
    if (failing && message.startsWith('Error: Quality SLA')) t.quality = LOW_QUALITY;
    if (status !== 'skipped' && status !== 'did-not-run') t.metrics = syntheticSamples(i, random);
    if (failing && i % 5 === 0) {
      t.diagnosis = {
        title: 'WebSocket authentication rejected (HTTP 403)',
        rootCause: 'JWT secret mismatch: the target rejects tokens the harness signed (/auth/validate says invalid_token)',
        impact: 'Real-time agent events cannot reach users.',
        nextStep: 'Align JWT_SECRET_KEY with the target.',
        details: { transport: 'subprotocol', status: 403 },
      };
    }
    if (status === 'skipped') t.skipReason = i % 2 ? 'JWT_SECRET_KEY not provided' : 'STAGING_CORS_ORIGIN not provided';
    if (status === 'did-not-run') t.notRunReason = 'dependency project "setup" failed';
    tests.push(t);
  }
  return {
    schemaVersion: 2,
    status: 'failed',
    startTime: '2025-09-07T00:24:18.000Z',
    durationMs: 402_000,
    target: { kind: 'staging', url: 'https://staging.example.test', environment: 'staging' },
    weights: {
      BUSINESS_WEIGHT_P1: '$120K MRR',
      BUSINESS_WEIGHT_P2: '$80K MRR',
      BUSINESS_WEIGHT_P3: '$50K MRR',
      BUSINESS_WEIGHT_P4: '$30K MRR',
      BUSINESS_WEIGHT_P5: '$10K MRR',
      BUSINESS_WEIGHT_P6: '$5K MRR',
      BUSINESS_WEIGHT_AGENT: '$500K ARR',
    },
    settings: readConfiguration({}).settings,
    configProblems: [],
    tests,
    errors: [],
    setupProjects: ['setup'],
    duplicates: [],
  };
}

/** Earlier iterations of the run's target with per-test statuses and metrics, as history.json keeps them. */
export function syntheticHistory(run: RunData, iterations: number): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (let n = 1; n <= iterations; n++) {
    const random = rng(n);
    const tests: Record<string, TestStatus> = {};
    for (const t of run.tests) {
      const r = random();
      tests[t.key] = r < 0.95 ? 'passed' : r < 0.98 ? 'failed' : 'flaky';
    }
    // Every fifth iteration is slower, so the summary has p95 changes to call out.
    const slowdown = n % 5 === 0 ? 1.6 : 1;
    const metrics = summarize(run.tests.flatMap((_t, i) => syntheticSamples(i, random, slowdown)));
    const statuses = Object.values(tests).map((status) => ({ status }));
    const counts = computeCounts(statuses);
    out.push({
      iteration: n,
      startTime: `2025-08-${String(n).padStart(2, '0')}T00:00:00.000Z`,
      status: 'failed',
      counts,
      successRate: counts.passing / counts.ran,
      markdown: `iteration-${n}.md`,
      json: `iteration-${n}.json`,
      tests,
      metrics,
    });
  }
  return out;
}
