/**
 * The pipeline's steps one by one, without Playwright child runs: settings, categories from annotations, metrics
 * series, per-target history (migration and bounds), root causes that name the part, and the credential names both
 * redactors share.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import { CREDENTIAL_FIELD_NAMES, redact } from '../../fixtures/redact';
import { parseMetrics } from '../../reporter/attachments';
import { mermaidLineChart } from '../../reporter/charts';
import { readConfiguration } from '../../reporter/configuration';
import { compileRules, explain, loadRules } from '../../reporter/diagnosis';
import { HISTORY_FILE, readHistory, upsertEntry } from '../../reporter/history';
import { percentile, seriesOf, summarize, thresholdOf } from '../../reporter/metrics';
import { buildViewModel } from '../../reporter/model';
import { mergeRerun } from '../../reporter/rerun';
import { redactTraceText, redactTraceValue } from '../../reporter/trace-redactor';
import type { History, HistoryEntry, HistoryV1, TargetInfo } from '../../reporter/types';
import { writeIteration } from '../../reporter/write';
import { DEFAULT_SETTINGS, record, runOf, STAGING } from './records';

const rules = compileRules(loadRules());
const context = { finalResponseMinChars: 100, drifts: [] };
const EMBEDDED: TargetInfo = { kind: 'embedded', url: 'http://127.0.0.1:40000', environment: 'staging' };

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iteration-reporter-pipeline-'));
  tempDirs.push(dir);
  return dir;
}

test.afterAll(() => tempDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

test('settings come from parseSettings: thresholds, windows and weights, with defaults for refused values', () => {
  const c = readConfiguration({ STAGING_BASE_URL: 'https://staging.example.test/', FIRST_EVENT_MS: '9000', BUSINESS_WEIGHT_P1: '$1M ARR' });
  expect(c.target).toEqual({ kind: 'staging', url: 'https://staging.example.test', environment: 'staging' });
  expect(c.settings).toEqual({
    historyWindow: 10,
    perfChangeRatio: 0.25,
    perfChangeMinMs: 20,
    flakyRate: 0.2,
    finalResponseMinChars: 100,
    thresholds: { WS_HANDSHAKE_MS: 5000, FIRST_EVENT_MS: 9000, RUN_COMPLETE_MS: 120000, HEALTH_P95_MS: 2000, LATENCY_P95_MS: 2500 },
  });
  expect(c.weights).toMatchObject({ BUSINESS_WEIGHT_P1: '$1M ARR', BUSINESS_WEIGHT_P2: '$80K MRR', BUSINESS_WEIGHT_CORE: undefined });
  expect(c.problems).toEqual([]);
  expect(readConfiguration({ HARNESS_EMBEDDED_URL: 'http://127.0.0.1:40000' }).target).toEqual(EMBEDDED);
});

test('a broken configuration still gets a summary: refused values are listed, defaults used, no credential shown', () => {
  const env = {
    STAGING_BASE_URL: 'https://e2e-user:hunter2-password@staging.example.test/',
    HISTORY_WINDOW: 'ten',
    SUMMARY_TEMPLATE: 'fancy',
    WS_HANDSHAKE_MS: 'htp://e2e-user:hunter2@x',
    HARNESS_EMBEDDED_URL: 'http://127.0.0.1:40000',
  };
  const c = readConfiguration(env);
  expect(c.target, 'a refused target URL is no target, not the embedded server').toEqual({ kind: 'unknown', environment: 'staging' });
  expect(c.template).toBe('complete-summary');
  expect(c.settings.historyWindow).toBe(10);
  expect(c.settings.thresholds.WS_HANDSHAKE_MS).toBe(5000);
  expect(c.problems.map((p) => p.split(' ')[2])).toEqual(['STAGING_BASE_URL', 'WS_HANDSHAKE_MS', 'HISTORY_WINDOW', 'SUMMARY_TEMPLATE']);
  const run = runOf([record('a', 'passed')], { target: c.target, settings: c.settings, configProblems: c.problems });
  const outcome = writeIteration(run, { outputDir: tempDir(), template: c.template, env, warn: () => {} });
  expect(outcome.markdown).toContain('> ⚠️ **CONFIGURATION PROBLEMS** — these settings were refused and the summary used their defaults');
  expect(outcome.markdown).toContain('> - Invalid configuration: HISTORY_WINDOW must be a whole number (got "ten"). See .env.example.');
  expect(outcome.markdown).toContain('**Environment**: staging — not recorded');
  expect(outcome.markdown + fs.readFileSync(outcome.jsonPath, 'utf8')).not.toContain('hunter2');
});

test('a test’s category is its `category` annotation; without one it is listed under "(no category)"', () => {
  const annotated = record('annotated', 'passed', 1, { category: 'P1', titlePath: ['Whatever the describe says', 'annotated'] });
  const bare = record('bare', 'passed', 1, { key: 'q › g.spec.ts › P1 Critical › bare', project: 'q', titlePath: ['P1 Critical', 'bare'] });
  const unknown = record('unknown', 'passed', 1, { key: 'p › f.spec.ts › unknown', category: 'P9' });
  const model = buildViewModel({ run: runOf([bare, unknown, annotated]), iteration: 1, history: [], rules });
  expect(model.categories.map((c) => [c.title, c.counts.total])).toEqual([
    ['P1 Critical', 1],
    ['p (unknown category "P9")', 1],
    ['q (no category)', 1],
  ]);
});

test('a failure’s impact quotes what the test catches, next to the category impact', () => {
  const failing = record('f', 'failed', 1, { category: 'P1', checks: 'GET /health → 200', catches: 'down' });
  const [failure] = buildViewModel({ run: runOf([failing]), iteration: 1, history: [], rules }).failures;
  expect(failure).toMatchObject({ checks: 'GET /health → 200', catches: 'down', weight: '$120K MRR' });
});

test('metrics: series per measure and per agent or route, nearest-rank percentiles, the threshold of each series', () => {
  expect(seriesOf({ measure: 'run.first_event', agent: 'supervisor', ms: 1 })).toEqual(['run.first_event', 'run.first_event (supervisor)']);
  expect(seriesOf({ measure: 'rest', route: 'GET /api/threads/{id}', status: 200, ms: 1 })).toEqual(['rest GET /api/threads/{id}']);
  const sorted = Array.from({ length: 20 }, (_, i) => i + 1);
  expect([percentile(sorted, 50), percentile(sorted, 95), percentile([7], 95)]).toEqual([10, 19, 7]);
  expect(summarize([1, 2, 3, 4, 100].map((ms) => ({ measure: 'ws.handshake', ms })))).toEqual({
    'ws.handshake': { count: 5, p50: 3, p95: 100, max: 100 },
  });
  expect(thresholdOf('rest GET /health')).toEqual({ setting: 'HEALTH_P95_MS', statistic: 'p95' });
  expect(thresholdOf('rest GET /api/health')).toEqual({ setting: 'LATENCY_P95_MS', statistic: 'p95' });
  expect(thresholdOf('run.complete (data)')).toEqual({ setting: 'RUN_COMPLETE_MS', statistic: 'max' });
  expect(thresholdOf('gc.pause')).toBeUndefined();
});

test('metrics.json: measurements are kept, anything else is counted and left out', () => {
  const body = { version: 1, samples: [{ measure: 'ws.handshake', ms: 12.3 }, { measure: 'rest', ms: -1 }, { ms: 3 }, 'x'] };
  const attachment = { name: 'metrics.json', contentType: 'application/json', body: Buffer.from(JSON.stringify(body)) };
  expect(parseMetrics(attachment, [])).toEqual({ samples: [{ measure: 'ws.handshake', ms: 12.3 }], rejected: 3 });
  expect(parseMetrics({ ...attachment, body: Buffer.from('{"version":2,"samples":[]}') }, [])).toBeUndefined();
});

test('a re-run keeps the samples of every attempt', () => {
  const sample = (ms: number) => ({ measure: 'ws.handshake', ms });
  const first = runOf([record('b', 'failed', 1, { metrics: [sample(1)] })], { loop: { id: 'L', maxReruns: 1, attempts: [] } });
  const merged = mergeRerun(first, runOf([record('b', 'passed', 1, { metrics: [sample(2)] })]), 2);
  expect(merged.tests[0].metrics).toEqual([sample(1), sample(2)]);
});

const entry = (iteration: number, tests?: HistoryEntry['tests']): HistoryEntry => ({
  iteration,
  startTime: '2025-09-01T00:00:00.000Z',
  status: 'passed',
  counts: { total: 1, ran: 1, passed: 1, failed: 0, flaky: 0, skipped: 0, interrupted: 0, didNotRun: 0, passing: 1 },
  successRate: 1,
  markdown: `iteration-${iteration}.md`,
  json: `iteration-${iteration}.json`,
  ...(tests ? { tests } : {}),
});

test('a version 1 history is migrated per target: from each iteration’s file, else to the running target', () => {
  const dir = tempDir();
  const v1: HistoryV1 = { version: 1, iterations: [entry(1), entry(2), entry(3)] };
  fs.writeFileSync(path.join(dir, HISTORY_FILE), JSON.stringify(v1));
  fs.writeFileSync(path.join(dir, 'iteration-1.json'), JSON.stringify({ run: { target: EMBEDDED } }));
  fs.writeFileSync(path.join(dir, 'iteration-2.json'), JSON.stringify({ run: { target: STAGING } }));
  const warnings: string[] = [];
  const history = readHistory(dir, STAGING, (m) => warnings.push(m));
  expect(Object.fromEntries(Object.entries(history.targets).map(([k, t]) => [k, t.iterations.map((e) => e.iteration)]))).toEqual({
    embedded: [1],
    'staging https://staging.example.test': [2, 3],
  });
  expect(warnings.join('\n')).toContain('1 of 3 iterations had no iteration file to read their target from');
});

test('history keeps 100 iterations per target, and per-test statuses for the last max(HISTORY_WINDOW, 20)', () => {
  let history: History = { version: 2, targets: {} };
  for (let n = 1; n <= 105; n++) history = upsertEntry(history, STAGING, entry(n, { t: 'passed' }), 10);
  history = upsertEntry(history, EMBEDDED, entry(1, { t: 'failed' }), 10);
  const staging = history.targets['staging https://staging.example.test'].iterations;
  expect([staging.length, staging[0].iteration, staging.filter((e) => e.tests).length]).toEqual([100, 6, 20]);
  expect(history.targets.embedded.iterations).toHaveLength(1);
  const wide = upsertEntry(history, STAGING, entry(106, { t: 'passed' }), 30).targets['staging https://staging.example.test'].iterations;
  expect(
    wide.filter((e) => e.tests),
    'the new iteration adds its details; dropped ones stay dropped',
  ).toHaveLength(21);
});

test('a quality failure names the parts its score missed; without the breakdown the generic sentence stays', () => {
  const message = 'Error: Quality SLA violation: 0.50 < 0.7';
  const quality = {
    qualitySla: 0.7,
    runs: [
      {
        scenario: 'capacity planning',
        keywords: ['capacity', 'utilization', 'growth'],
        keywordsFound: ['utilization', 'growth'],
        score: 0.5,
        completed: true,
        parts: { answerLength: 0.3, keywords: 0.2, toolPairing: 0, toolResults: 0, reasoning: 0 },
      },
    ],
  };
  const withParts = explain({ error: { message, fullMessage: message }, timedOut: false, quality }, rules, context);
  expect(withParts.rootCause).toContain(
    "final_response lacks the keyword 'capacity'; tool calls are not paired (a tool_executing without exactly one tool_completed); " +
      'tool results empty; no agent_thinking carries reasoning.',
  );
  const without = explain({ error: { message, fullMessage: message }, timedOut: false }, rules, context);
  expect(without.rootCause).toContain('lack parts the score rewards (the breakdown is attached to the test)');
  const incomplete = { ...quality, runs: [{ ...quality.runs[0], completed: false, score: 0 }] };
  const unfinished = explain({ error: { message, fullMessage: message }, timedOut: false, quality: incomplete }, rules, context);
  expect(unfinished.rootCause).toContain('the run did not complete (no agent_completed)');
});

test('a TLS failure says which certificate problem it is and that NODE_EXTRA_CA_CERTS is how Node trusts a private CA', () => {
  const cases: [string, string][] = [
    ['Error: apiRequestContext.get: self-signed certificate in certificate chain', 'tls-private-ca'],
    ['Error: self-signed certificate', 'tls-self-signed'],
    ['Error: self signed certificate', 'tls-self-signed'],
    ['Error: unable to verify the first certificate', 'tls-unverified-chain'],
    ['Error: unable to get local issuer certificate', 'tls-unverified-chain'],
    ['Error: certificate has expired', 'tls-expired'],
    [
      "Error: Hostname/IP does not match certificate's altnames: Host: api.staging.test. is not in the cert's altnames: DNS:other.test",
      'tls-hostname-mismatch',
    ],
  ];
  for (const [message] of cases) {
    const cause = explain({ error: { message, fullMessage: message }, timedOut: false }, rules, context);
    expect(cause.rootCause, message).toContain('NODE_EXTRA_CA_CERTS');
  }
  const ids = cases.map(([message]) => explain({ error: { message, fullMessage: message }, timedOut: false }, rules, context).ruleId);
  expect(ids).toEqual(cases.map(([, id]) => id));
});

test('every credential field name is hidden by both redactors, in plain, escaped and parsed JSON', () => {
  const value = 'value-that-is-a-credential';
  for (const name of CREDENTIAL_FIELD_NAMES) {
    const json = JSON.stringify({ [name]: value });
    expect(redact(json), name).not.toContain(value);
    expect(redactTraceText(JSON.stringify({ jsonData: json })), name).not.toContain(value);
    expect(JSON.stringify(redactTraceValue({ [name.toUpperCase()]: value })), name).not.toContain(value);
  }
});

test('chart titles and labels cannot break the Mermaid syntax', () => {
  const chart = mermaidLineChart({ title: 'a "quoted" [title]', xTitle: 'x', labels: ['#1'], yTitle: 'y', values: [1.26] });
  expect(chart).toContain('  title "a quoted title"');
  expect(chart).toContain('  line [1.3]');
  expect(chart).toContain('y-axis "y" 0 --> 2');
});

test('the summary of a run without metrics says nothing was measured and draws no p95 chart', () => {
  const model = buildViewModel({ run: runOf([record('a', 'passed')], { settings: DEFAULT_SETTINGS }), iteration: 1, history: [], rules });
  expect(model.performance).toMatchObject({ summary: 'No test attached `metrics.json`: nothing was measured.', rows: [], changes: [] });
  expect(model.trend.charts).toEqual([]);
});
