/**
 * A deploy-over-deploy scenario made in code: five earlier iterations of a staging target and three of the embedded
 * server in one version 2 history.json, then the sixth staging run. It has what the summary's newer sections read:
 * a p95 that moved (run.first_event (supervisor) 412 ms → 1180 ms), one that moved by less than the noise floor,
 * unstable, failing and new tests, a TLS failure, a quality failure with its breakdown, contract drift, catalog
 * annotations and a refused setting. The embedded target fails the same tests all along: none of it may show.
 */
import { readConfiguration } from '../../reporter/configuration';
import type {
  History,
  HistoryEntry,
  MetricSample,
  MetricSummary,
  QualityRecord,
  RunData,
  TestRecord,
  TestStatus,
} from '../../reporter/types';
import { record } from './records';

export const STAGING_URL = 'https://staging.example.test';
export const STAGING_KEY = `staging ${STAGING_URL}`;

/** The environment of the sixth run: a valid target, and one refused setting whose default is used. */
export const DEPLOY_ENV = { STAGING_BASE_URL: STAGING_URL, FLAKY_RATE: 'lots' };

const key = (file: string, describe: string, title: string, project: string) => `${project} › ${file} › ${describe} › ${title}`;

interface Spec {
  title: string;
  project: string;
  file: string;
  line: number;
  category: string;
  describe: string;
  /** Status in staging iterations 1–5 (undefined: not in that run), then now. */
  staging: (TestStatus | undefined)[];
  now: TestStatus;
  /** Status in each embedded iteration. */
  embedded: TestStatus;
  extra?: Partial<TestRecord>;
}

const LOW_QUALITY: QualityRecord = {
  qualitySla: 0.7,
  runs: [
    {
      scenario: 'capacity planning',
      keywords: ['capacity', 'utilization', 'growth'],
      keywordsFound: ['utilization', 'growth'],
      score: 0.6,
      completed: true,
      parts: { answerLength: 0.3, keywords: 0.2, toolPairing: 0, toolResults: 0, reasoning: 0.1 },
    },
    {
      scenario: 'cost optimisation',
      keywords: ['cost', 'saving', 'spend'],
      keywordsFound: ['cost', 'saving', 'spend'],
      score: 0.8,
      completed: true,
      parts: { answerLength: 0.3, keywords: 0.3, toolPairing: 0.2, toolResults: 0, reasoning: 0 },
    },
  ],
};

const error = (message: string) => ({ message, fullMessage: message });

const SPECS: Spec[] = [
  {
    title: 'test_001_websocket_connection_real',
    project: 'priority',
    file: 'tests/priority/p1-critical.spec.ts',
    line: 20,
    category: 'P1',
    describe: 'P1 Critical',
    staging: ['passed', 'passed', 'passed', 'passed', 'passed'],
    now: 'passed',
    embedded: 'failed',
  },
  {
    title: 'test_004_websocket_event_flow_real',
    project: 'priority',
    file: 'tests/priority/p1-critical.spec.ts',
    line: 60,
    category: 'P1',
    describe: 'P1 Critical',
    staging: ['passed', 'failed', 'passed', 'flaky', 'passed'],
    now: 'failed',
    embedded: 'failed',
    extra: {
      checks: 'start_agent → the five golden-path events in order',
      catches: 'event order',
      error: error('Error: Timed out after 15000ms waiting for agent_completed of run run_1'),
    },
  },
  {
    title: 'test_009_health_over_tls',
    project: 'priority',
    file: 'tests/priority/p1-critical.spec.ts',
    line: 140,
    category: 'P1',
    describe: 'P1 Critical',
    staging: ['passed', 'passed', 'passed', 'failed', 'failed'],
    now: 'failed',
    embedded: 'failed',
    extra: { error: error('Error: apiRequestContext.get: self-signed certificate in certificate chain') },
  },
  {
    title: 'test_012_thread_listing_paged',
    project: 'priority',
    file: 'tests/priority/p2-high.spec.ts',
    line: 30,
    category: 'P2',
    describe: 'P2 High',
    staging: [undefined, undefined, undefined, undefined, 'passed'],
    now: 'failed',
    embedded: 'passed',
    extra: { error: error('Error: expect(received).toBe(expected)\n\nExpected: 20\nReceived: 100') },
  },
  {
    title: 'test_006_performance_benchmarks',
    project: 'agent-execution',
    file: 'tests/agent-execution/real-agent-execution.spec.ts',
    line: 160,
    category: 'agent',
    describe: 'Real Agent Execution',
    staging: ['passed', 'passed', 'passed', 'passed', 'passed'],
    now: 'failed',
    embedded: 'failed',
    extra: { error: error('Error: Quality SLA violation: 0.60 < 0.7'), quality: LOW_QUALITY },
  },
  {
    title: 'test_003_agent_request_pipeline',
    project: 'connectivity',
    file: 'tests/connectivity/connectivity-validation.spec.ts',
    line: 40,
    category: 'connectivity',
    describe: 'Connectivity Validation',
    staging: ['failed', 'flaky', 'passed', 'passed', 'passed'],
    now: 'passed',
    embedded: 'failed',
  },
];

/** This run's samples: run.first_event (supervisor) p95 1180 ms (412 ms last time), the rest steady or noise. */
const SAMPLES: MetricSample[] = [
  { measure: 'ws.handshake', ms: 21 },
  { measure: 'ws.handshake', ms: 23 },
  { measure: 'run.first_event', agent: 'supervisor', ms: 400 },
  { measure: 'run.first_event', agent: 'supervisor', ms: 420 },
  { measure: 'run.first_event', agent: 'supervisor', ms: 1180 },
  { measure: 'run.complete', agent: 'supervisor', ms: 3100 },
  { measure: 'rest', route: 'GET /health', status: 200, ms: 2 },
  { measure: 'rest', route: 'GET /api/threads', status: 200, ms: 60 },
];

/** p95 of run.first_event in staging iterations 1–5; other series hold still or drift within the noise floor. */
const FIRST_EVENT_P95 = [300, 320, 350, 400, 412];

const summary = (p95: number, count = 3): MetricSummary => ({ count, p50: Math.round(p95 * 0.8), p95, max: p95 });

function stagingMetrics(i: number): Record<string, MetricSummary> {
  return {
    'ws.handshake': summary(20, 2),
    'run.first_event': summary(FIRST_EVENT_P95[i]),
    'run.first_event (supervisor)': summary(FIRST_EVENT_P95[i]),
    'run.complete': summary(3000, 1),
    'run.complete (supervisor)': summary(3000, 1),
    'rest GET /health': summary(4, 1),
    'rest GET /api/threads': summary(100, 1),
  };
}

function entry(iteration: number, day: number, tests: Record<string, TestStatus>, metrics?: Record<string, MetricSummary>): HistoryEntry {
  const statuses = Object.values(tests);
  const failed = statuses.filter((s) => s === 'failed').length;
  const ran = statuses.filter((s) => s === 'passed' || s === 'failed' || s === 'flaky').length;
  const flaky = statuses.filter((s) => s === 'flaky').length;
  const date = `2025-09-${String(day).padStart(2, '0')}`;
  return {
    iteration,
    startTime: `${date}T03:17:00.000Z`,
    status: failed ? 'failed' : 'passed',
    counts: {
      total: statuses.length,
      ran,
      passed: ran - failed - flaky,
      failed,
      flaky,
      skipped: 0,
      interrupted: 0,
      didNotRun: 0,
      passing: ran - failed,
    },
    successRate: ran ? (ran - failed) / ran : null,
    markdown: `iteration-${iteration}-${date}.md`,
    json: `iteration-${iteration}-${date}.json`,
    tests,
    ...(metrics ? { metrics } : {}),
  };
}

const keyOf = (s: Spec) => key(s.file, s.describe, s.title, s.project);

/** The history before the sixth staging run: staging iterations 1–5, embedded iterations 1–3. */
export function deployHistory(): History {
  const staging = [0, 1, 2, 3, 4].map((i) => {
    const tests: Record<string, TestStatus> = {};
    for (const s of SPECS) if (s.staging[i]) tests[keyOf(s)] = s.staging[i]!;
    return entry(i + 1, 6 + i, tests, stagingMetrics(i));
  });
  const embedded = [1, 2, 3].map((n) => entry(n, 8 + n, Object.fromEntries(SPECS.map((s) => [keyOf(s), s.embedded]))));
  return {
    version: 2,
    targets: {
      [STAGING_KEY]: { target: { kind: 'staging', url: STAGING_URL, environment: 'staging' }, iterations: staging },
      embedded: { target: { kind: 'embedded', url: 'http://127.0.0.1:41234', environment: 'staging' }, iterations: embedded },
    },
  };
}

/** The sixth staging run, as the collector would have made it. */
export function deployRun(): RunData {
  const configuration = readConfiguration(DEPLOY_ENV);
  const tests = SPECS.map((s, i) =>
    record(s.title, s.now, 1, {
      key: keyOf(s),
      project: s.project,
      file: s.file,
      line: s.line,
      column: 3,
      titlePath: [s.describe, s.title],
      category: s.category,
      ...s.extra,
      ...(i === 0 ? { metrics: SAMPLES, contractDrift: DRIFTS } : {}),
    }),
  );
  return {
    schemaVersion: 2,
    status: 'failed',
    startTime: '2025-09-11T03:17:00.000Z',
    durationMs: 372_000,
    target: configuration.target,
    weights: configuration.weights,
    settings: configuration.settings,
    configProblems: configuration.problems,
    tests,
    errors: [],
    setupProjects: ['setup'],
    duplicates: [],
  };
}

const DRIFTS = [
  { where: 'GET /health', what: 'required field uptime_seconds missing' },
  { where: 'agent_completed', what: 'execution_time_ms is a string' },
];
