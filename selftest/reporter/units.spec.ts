/**
 * The reporter's pure parts, without Playwright child runs: root-cause rules, the re-run merge, weights, URLs,
 * template choice, and the promise that a template error never loses the JSON results.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from '@playwright/test';
import { SETTING_SPECS } from '../../fixtures/settings';
import { readConfiguration, safeUrl } from '../../reporter/configuration';
import { compileRules, explain, loadRules, TEMPLATES_DIR } from '../../reporter/diagnosis';
import { sumWeights } from '../../reporter/model';
import { resolveTemplate, TEMPLATE_NAMES } from '../../reporter/render';
import { mergeRerun } from '../../reporter/rerun';
import { writeIteration, type IterationFile } from '../../reporter/write';
import { parseArgs } from '../../scripts/iterate';
import { record, runOf } from './records';

const rules = compileRules(loadRules());
const context = { finalResponseMinChars: 100, drifts: [] };
const ruleFor = (message: string) => explain({ error: { message, fullMessage: message }, timedOut: false }, rules, context);

test('known error shapes map to their rules, with the numbers from the message', () => {
  const cases: [string, string, string][] = [
    ['Error: Unexpected server response: 403', 'ws-upgrade-403', 'WebSocket authentication rejected (HTTP 403)'],
    ['Error: Quality SLA violation: 0.50 < 0.7', 'quality-sla', 'Agent response quality below SLA (0.50 < 0.7)'],
    ['Error: Insufficient high-value scenarios: 0/3', 'high-value-ratio', 'Business value below threshold (0/3 high-value scenarios)'],
    [
      'Error: Timed out after 15000ms waiting for agent_completed of run r-1',
      'agent-event-timeout',
      'Timed out waiting for agent_completed',
    ],
    ['Error: waiting for stream_chunk: timeout 15000ms exceeded', 'agent-event-timeout-reversed', 'Timed out waiting for stream_chunk'],
    ['Error: expect(received).toBe(expected)\n\nExpected: 200\nReceived: 401', 'rest-401', 'REST request rejected (HTTP 401)'],
    ['Error: expect(received).toBe(expected)\n\nExpected: 200\nReceived: 403', 'rest-403', 'REST request forbidden (HTTP 403)'],
    ['Error: expect(received).toBe(expected)\n\nExpected: 200\nReceived: 502', 'server-error', 'Target returned a server error (HTTP 502)'],
    ['Error: connect ECONNREFUSED 127.0.0.1:8000', 'connection-refused', 'Target unreachable (connection refused)'],
    ['Error: getaddrinfo ENOTFOUND api.staging.example', 'dns-not-found', 'Target host not found (DNS)'],
    ['Error: socket hang up', 'connection-reset', 'Connection reset by the target'],
    ['Error: run ended with agent_error AGENT_FAILED', 'agent-error-event', 'Agent run failed (AGENT_FAILED)'],
    [
      'Error: expect(received).toFollowGoldenPath(expected)\n\nno agent_thinking.\nObserved: agent_started → agent_completed',
      'golden-path',
      'Run events break the golden path',
    ],
    [
      'Error: expect(received).toBe(expected)\n\nExpected: "agent_completed"\nReceived: "stream_chunk"',
      'frame-mismatch',
      'Frame differs from the contract (agent_completed)',
    ],
    ['Test timeout of 30000ms exceeded.', 'test-timeout', 'Test timed out after 30000 ms'],
    [
      'Error: expect(received).toEqual(expected)\n\nExpected: "cancelled"\nReceived: "completed"',
      'expect-mismatch',
      'Contract assertion failed (expected "cancelled", received "completed")',
    ],
    ['Error: worker process exited unexpectedly (code=1, signal=null)', 'worker-crash', 'Test worker process crashed'],
  ];
  expect(cases.map(([m]) => [ruleFor(m).ruleId, ruleFor(m).title])).toEqual(cases.map(([, id, title]) => [id, title]));
});

test('a fixture diagnosis wins over the rules; an unknown error is reported as not diagnosed', () => {
  const diagnosis = { title: 'WebSocket authentication rejected (HTTP 403)', rootCause: 'JWT secret mismatch', impact: 'chat down' };
  const withDiagnosis = explain(
    {
      error: { message: 'Error: Quality SLA violation: 0.1 < 0.7', fullMessage: 'Quality SLA violation: 0.1 < 0.7' },
      diagnosis,
      timedOut: false,
    },
    rules,
    context,
  );
  expect(withDiagnosis).toMatchObject({ source: 'diagnosis', rootCause: 'JWT secret mismatch' });
  expect(ruleFor('Error: frobnicator misaligned')).toMatchObject({ source: 'none', title: 'frobnicator misaligned' });
});

test("a failure on a field the target's published document drifted on names the drift as its root cause", () => {
  const drifts = [{ where: 'GET /health 200', what: 'required field uptime_seconds missing', field: 'uptime_seconds' }];
  const message = 'GET /health does not match the contract:\n- body/uptime_seconds: required field is missing';
  const cause = explain({ error: { message, fullMessage: message }, timedOut: false }, rules, { ...context, drifts });
  expect(cause).toMatchObject({ source: 'drift', title: 'Contract drift: uptime_seconds' });
  expect(cause.rootCause).toContain('GET /health 200: required field uptime_seconds missing');
  const unrelated = 'GET /health does not match the contract:\n- body/status: must be "healthy"';
  expect(
    explain({ error: { message: unrelated, fullMessage: unrelated }, timedOut: false }, rules, { ...context, drifts }).source,
  ).not.toBe('drift');
});

test('a re-run folds into the iteration: failed then passed is flaky, failed twice stays failed', () => {
  const first = runOf([record('a', 'passed'), record('b', 'failed'), record('c', 'failed')], {
    loop: { id: 'L', maxReruns: 2, attempts: [] },
  });
  const merged = mergeRerun(first, runOf([record('b', 'passed'), record('c', 'failed')]), 2);
  expect(merged.tests.map((t) => [t.title, t.status, t.reruns?.map((r) => r.status) ?? []])).toEqual([
    ['a', 'passed', []],
    ['b', 'flaky', ['passed']],
    ['c', 'failed', ['failed']],
  ]);
  expect(merged.tests[1].error?.message, 'the flaky test keeps the error it failed with').toBe('Error: b broke');
  expect(merged.status).toBe('failed');
  expect(merged.loop?.attempts.map((a) => [a.attempt, a.scope, a.ran, a.failed])).toEqual([[2, 'last-failed', 2, 1]]);
});

test('business weights add up per currency and unit', () => {
  expect(sumWeights(['$120K MRR', '$80K MRR', '$50K MRR', '$30K MRR', '$10K MRR', '$5K MRR'])).toBe('$295K MRR');
  expect(sumWeights(['$120K MRR', '$500K ARR', '$1.5M ARR'])).toBe('$120K MRR + $2M ARR');
  expect(sumWeights(['critical for launch'])).toBe('critical for launch');
  expect(sumWeights([])).toBe('none');
});

test('target URLs lose their credentials', () => {
  expect(safeUrl('https://user:pa55word@staging.example.test/api?x=1#frag')).toBe('https://staging.example.test/api?x=1');
  expect(safeUrl('https://staging.example.test/?ticket=abcdefghijkl')).toBe('https://staging.example.test/?ticket=[REDACTED]');
});

test('the template comes from the option, else SUMMARY_TEMPLATE, else complete-summary', () => {
  const configured = (env: NodeJS.ProcessEnv) => readConfiguration(env).template;
  expect(resolveTemplate(undefined, configured({}))).toBe('complete-summary');
  expect(resolveTemplate(undefined, configured({ SUMMARY_TEMPLATE: 'status-report' }))).toBe('status-report');
  expect(resolveTemplate('complete-summary', configured({ SUMMARY_TEMPLATE: 'status-report' }))).toBe('complete-summary');
  expect(configured({ SUMMARY_TEMPLATE: 'fancy' }), 'a refused setting takes its default').toBe('complete-summary');
  expect(() => resolveTemplate('fancy', 'complete-summary')).toThrow('Unknown summary template "fancy"');
});

test('the template names are listed once, as SUMMARY_TEMPLATE’s choices, and each has its template file', () => {
  expect(TEMPLATE_NAMES).toBe(SETTING_SPECS.SUMMARY_TEMPLATE.choices);
  const files = fs.readdirSync(TEMPLATES_DIR).filter((f) => f.endsWith('.hbs'));
  expect(files.map((f) => f.replace(/\.hbs$/, '')).sort()).toEqual([...TEMPLATE_NAMES].sort());
});

test('a template error never loses the JSON results: they are written first and a plain summary replaces the Markdown', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iteration-reporter-broken-'));
  const templates = path.join(dir, 'templates');
  fs.mkdirSync(templates);
  fs.writeFileSync(path.join(templates, 'complete-summary.hbs'), '# {{iteration}} {{nosuchfield}}\n');
  const warnings: string[] = [];
  const outcome = writeIteration(runOf([record('a', 'passed'), record('b', 'failed')]), {
    outputDir: path.join(dir, 'reports'),
    template: 'complete-summary',
    templatesDir: templates,
    env: {},
    warn: (m) => warnings.push(m),
  });
  const file = JSON.parse(fs.readFileSync(outcome.jsonPath, 'utf8')) as IterationFile;
  expect(file.run.tests.map((t) => t.status)).toEqual(['passed', 'failed']);
  expect(file.counts).toMatchObject({ total: 2, passed: 1, failed: 1 });
  expect(file.renderError).toContain('"nosuchfield" not defined');
  expect(fs.readFileSync(outcome.markdownPath, 'utf8')).toContain('*1 of 2 tests passing (50.0% success rate)*');
  expect(warnings.join('\n')).toContain('summary template "complete-summary" failed');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('iterate takes --max N and passes every other argument to Playwright', () => {
  expect(parseArgs(['--max', '3', '--project=priority', '--grep', '@p1'])).toEqual({
    max: 3,
    passThrough: ['--project=priority', '--grep', '@p1'],
  });
  expect(parseArgs(['--max=0'])).toEqual({ max: 0, passThrough: [] });
  expect(parseArgs([])).toEqual({ max: 2, passThrough: [] });
});
