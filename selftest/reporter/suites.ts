/**
 * Inline suites for the reporter's self-tests. Each is a small Playwright project written to a temp dir. Their
 * top-level describes carry real categories (the `category` annotation of tests/catalog.ts), so grouping, weights and
 * ordering are exercised as in the harness. Tokens are assembled at run time so no JWT-shaped literal is committed.
 */
import type { HistoryEntry, HistoryV1 } from '../../reporter/types';
import { REPORTER } from './harness';

/** `test.describe(title, details, ...)` details of a category, as `category(key)` of tests/catalog.ts gives them. */
const category = (key: string) => `{ annotation: { type: 'category', description: '${key}' } }`;

/** A test body statement attaching `body` as JSON. */
const attach = (name: string, body: unknown) =>
  `await testInfo.attach('${name}', { contentType: 'application/json', body: JSON.stringify(${JSON.stringify(body)}) });`;

/** A test body statement attaching the fixtures' `metrics.json` with these samples. */
const metrics = (samples: unknown[]) => attach('metrics.json', { version: 1, samples });

/** What tests/agent-execution attaches for a run that scored 0.5: a short answer without 'capacity', empty tool results. */
const quality = {
  qualitySla: 0.7,
  mean: 0.5,
  runs: [
    {
      scenario: 'capacity planning',
      request: 'Plan GPU capacity for the next quarter from our current utilization and its growth',
      keywords: ['capacity', 'utilization', 'growth'],
      runId: 'run_0123456789abcdef01234567',
      ms: 420,
      quality: {
        score: 0.5,
        parts: { answerLength: 0, keywords: 0.2, toolPairing: 0.2, toolResults: 0, reasoning: 0.1 },
        keywordsFound: ['utilization', 'growth'],
        completed: true,
      },
    },
  ],
};

const drift = { drifts: [{ where: 'GET /health', what: 'required field uptime_seconds missing' }] };

/** Two handshakes, two routes and a sample that is no measurement (it must be left out, and counted). */
const HANDSHAKES_AND_ROUTES = [
  { measure: 'ws.handshake', ms: 12.3 },
  { measure: 'ws.handshake', ms: 14.1 },
  { measure: 'rest', route: 'GET /health', status: 200, ms: 5.1 },
  { measure: 'rest', route: 'GET /api/threads/{id}', status: 200, ms: 8.4 },
  { measure: 'rest', route: 'GET /api/threads/{id}', ms: 'fast' },
];
/** Over WS_HANDSHAKE_MS (5000 ms). */
const SLOW_HANDSHAKE = [{ measure: 'ws.handshake', ms: 6000 }];
const SUPERVISOR_RUN = [
  { measure: 'run.first_event', agent: 'supervisor', ms: 40.2 },
  { measure: 'run.complete', agent: 'supervisor', ms: 310.5 },
];
const DATA_RUN = [
  { measure: 'run.first_event', agent: 'data', ms: 35 },
  { measure: 'run.complete', agent: 'data', ms: 420 },
];
/** The catalog's annotations of one test (what `catalog({ checks, catches })` gives). */
const CATALOG_002 = JSON.stringify([
  { type: 'checks', description: 'upgrade with the token as a jwt. subprotocol → connection_established' },
  { type: 'catches', description: 'subprotocol auth' },
]);

const diagnosis403 = {
  title: 'WebSocket authentication rejected (HTTP 403)',
  rootCause:
    'JWT secret mismatch: the target rejects tokens the harness signed (/auth/validate says invalid_token) — ' +
    'harness and target use different JWT_SECRET_KEY values',
  impact: 'Real-time agent events cannot reach users: chat, agent progress and streaming are down for this auth path.',
  nextStep: 'Set JWT_SECRET_KEY to the secret the staging auth service signs with.',
  details: { transport: 'subprotocol', status: 403, validate: 'invalid_token' },
};

/**
 * One run with every kind of result: pass, fail with a fixture diagnosis (403), fail by a known error shape (quality
 * SLA with its score breakdown, ECONNREFUSED), an undiagnosed failure, flaky (passes on retry), timed out, worker
 * crash, skipped with a reason, and tests that did not run because their setup project failed. Tests attach the
 * fixtures' `metrics.json` (one handshake over WS_HANDSHAKE_MS, one malformed sample) and the setup project
 * `contract-drift.json`, so performance and drift are checked through shards and merge-reports too.
 */
export const MIXED_FILES: Record<string, string> = {
  'tests/p1.spec.ts': `
import { test, expect } from '@playwright/test';
const token = () => ['eyJ' + 'hbGciOiJIUzI1NiJ9', 'eyJ' + 'zdWIiOiJ1c2VyLTEiLCJpYXQiOjF9', 'c2lnbmF0dXJlLXBhcnQ'].join('.');
test.describe('P1 Critical', ${category('P1')}, () => {
  test('test_001_websocket_connection_real', { tag: '@p1' }, async ({}, testInfo) => {
    ${metrics(HANDSHAKES_AND_ROUTES)} expect(1 + 1).toBe(2);
  });
  test('test_002_websocket_authentication_real', { tag: '@p1', annotation: ${CATALOG_002} }, async ({}, testInfo) => {
    ${metrics(SLOW_HANDSHAKE)} ${attach('diagnosis', diagnosis403)}
    const offered = 'offered jwt.' + Buffer.from(token()).toString('base64url') + ', Authorization: Bearer ' + token();
    throw new Error('Unexpected server response: 403 (' + offered + ', secret ' + process.env.JWT_SECRET_KEY + ')');
  });
  test('test_003_websocket_message_send_real', { tag: '@p1' }, async ({}, testInfo) => {
    ${metrics(SUPERVISOR_RUN)} if (testInfo.retry === 0) throw new Error('Timed out after 15000ms waiting for agent_started of the run');
  });
});
`,
  'tests/agent.spec.ts': `
import { test } from '@playwright/test';
test.describe('Real Agent Execution', ${category('agent')}, () => {
  test('test_001_unified_data_agent_real_execution', async () => {
    test.skip(true, 'JWT_SECRET_KEY not provided');
  });
  test('test_006_performance_benchmarks', async ({}, testInfo) => {
    ${metrics(DATA_RUN)} ${attach('quality-score.json', quality)} throw new Error('Quality SLA violation: 0.50 < 0.7');
  });
  test('test_007_business_value_validation', async () => {
    test.setTimeout(400);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  });
});
`,
  'tests/connectivity.spec.ts': `
import { test, expect } from '@playwright/test';
test.describe('Connectivity Validation', ${category('connectivity')}, () => {
  test('test_001_http_connectivity', async () => {
    expect('healthy').toBe('healthy');
  });
  test('test_002_websocket_connectivity', async () => {
    throw new Error('frobnicator misaligned in the gateway');
  });
  test('test_003_agent_request_pipeline', async () => {
    process.exit(3);
  });
});
`,
  'tests/auth.spec.ts': `
import { test, expect } from '@playwright/test';
test.describe('Auth & Security', ${category('auth')}, () => {
  test('test_auth_01_token_claims', async () => {
    expect(true).toBe(true);
  });
  test('test_auth_02_alg_none_rejected', async () => {
    expect(true).toBe(true);
  });
});
`,
  'tests/setup/target.setup.ts': `
import { test } from '@playwright/test';
test('target is reachable', async ({}, testInfo) => {
  ${attach('contract-drift.json', drift)} throw new Error('connect ECONNREFUSED 127.0.0.1:9');
});
`,
};

function mixedConfig(reporters: string): string {
  return `
import { defineConfig } from '@playwright/test';
export default defineConfig({
  testDir: 'tests',
  retries: 1,
  workers: 2,
  timeout: 10_000,
  reporter: ${reporters},
  projects: [
    { name: 'setup', testMatch: /\\.setup\\.ts$/ },
    { name: 'priority', testMatch: /p1\\.spec\\.ts$/ },
    { name: 'agent-execution', testMatch: /agent\\.spec\\.ts$/ },
    { name: 'connectivity', testMatch: /connectivity\\.spec\\.ts$/ },
    { name: 'auth', testMatch: /auth\\.spec\\.ts$/, dependencies: ['setup'] },
  ],
});
`;
}

const R = JSON.stringify(REPORTER);

/** The unsharded run: both templates (two reporter instances) plus Playwright's JSON reporter. */
export const MIXED_CONFIG = mixedConfig(
  `[[${R}, { outputDir: 'reports/complete' }], ` +
    `[${R}, { outputDir: 'reports/status', template: 'status-report', quiet: true }], ['json', { outputFile: 'results.json' }]]`,
);

/** The same suite run as shards: blob reports only, each shard in its own BLOB_DIR. */
export const SHARD_CONFIG = mixedConfig(`[['blob', { outputDir: process.env.BLOB_DIR }]]`);

/** merge-reports of the shards (testDir as in the run, so paths match). */
export const MERGE_CONFIG = `export default { testDir: 'tests', reporter: [[${R}, { outputDir: 'reports/merged' }]] };\n`;

const entry = (
  iteration: number,
  date: string,
  status: HistoryEntry['status'],
  passing: number,
  ran: number,
  tests: HistoryEntry['tests'],
): HistoryEntry => ({
  iteration,
  startTime: `${date}T00:10:00.000Z`,
  status,
  counts: { total: ran + 2, ran, passed: passing, failed: ran - passing, flaky: 0, skipped: 2, interrupted: 0, didNotRun: 0, passing },
  successRate: passing / ran,
  markdown: `iteration-${iteration}-${date}.md`,
  json: `iteration-${iteration}-${date}.json`,
  tests,
});

/**
 * Two earlier iterations in the version 1 format (one list, no targets), so the summary shows fixed / newly failing /
 * still failing / not re-verified, a trend and flakiness over time, and the migration to per-target history is run:
 * without their iteration files, they are taken to be of the run's target.
 */
export const SEEDED_HISTORY: HistoryV1 = {
  version: 1,
  iterations: [
    entry(1, '2025-09-05', 'failed', 8, 10, {
      'agent-execution › tests/agent.spec.ts › Real Agent Execution › test_006_performance_benchmarks': 'failed',
      'priority › tests/p1.spec.ts › P1 Critical › test_001_websocket_connection_real': 'failed',
    }),
    entry(2, '2025-09-06', 'failed', 7, 10, {
      'priority › tests/p1.spec.ts › P1 Critical › test_001_websocket_connection_real': 'failed',
      'priority › tests/p1.spec.ts › P1 Critical › test_002_websocket_authentication_real': 'passed',
      'priority › tests/p1.spec.ts › P1 Critical › test_003_websocket_message_send_real': 'passed',
      'agent-execution › tests/agent.spec.ts › Real Agent Execution › test_006_performance_benchmarks': 'failed',
      'connectivity › tests/connectivity.spec.ts › Connectivity Validation › test_002_websocket_connectivity': 'passed',
      'connectivity › tests/connectivity.spec.ts › Connectivity Validation › test_000_removed_probe': 'failed',
    }),
  ],
};

/** A run that is stopped: one test passes, one hangs until the global timeout or SIGINT, one never starts. */
export const STOPPED_FILES: Record<string, string> = {
  'tests/core.spec.ts': `
import * as fs from 'node:fs';
import { test, expect } from '@playwright/test';
test.describe.configure({ mode: 'default' });
test.describe('WebSocket Events', ${category('core-01')}, () => {
  test('1.1 test_basic_functionality', async () => {
    expect(2 * 2).toBe(4);
  });
  test('1.2 test_event_delivery_waits_forever', async () => {
    fs.writeFileSync(process.env.STARTED_MARKER!, 'started');
    await new Promise(() => {});
  });
  test('1.3 test_never_started', async () => {
    expect(true).toBe(true);
  });
});
`,
  'playwright.config.ts': `
import { defineConfig } from '@playwright/test';
export default defineConfig({
  testDir: 'tests',
  workers: 1,
  timeout: 60_000,
  globalTimeout: process.env.GLOBAL_TIMEOUT_MS ? Number(process.env.GLOBAL_TIMEOUT_MS) : undefined,
  reporter: [
    [${R}, { outputDir: process.env.REPORT_DIR ?? 'reports' }],
    ['json', { outputFile: (process.env.REPORT_DIR ?? 'reports') + '/results.json' }],
  ],
  projects: [{ name: 'core' }],
});
`,
};

/** For `npm run iterate`: one test passes, one fails only in the first run, one always fails. */
export const LOOP_FILES: Record<string, string> = {
  'tests/agent.spec.ts': `
import * as fs from 'node:fs';
import { test, expect } from '@playwright/test';
test.describe('Real Agent Execution', ${category('agent')}, () => {
  test('test_001_unified_data_agent_real_execution', async () => {
    expect(1).toBe(1);
  });
  test('test_004_concurrent_user_isolation', async () => {
    const marker = 'failed-once.marker';
    const first = !fs.existsSync(marker);
    fs.writeFileSync(marker, 'x');
    expect(first, 'fails in the first run only').toBe(false);
  });
  test('test_006_performance_benchmarks', async () => {
    throw new Error('Quality SLA violation: 0.55 < 0.7');
  });
});
`,
  'playwright.config.ts': `
import { defineConfig } from '@playwright/test';
export default defineConfig({
  testDir: 'tests',
  workers: 1,
  retries: 0,
  reporter: [[${R}, { quiet: true }]],
  projects: [{ name: 'agent-execution' }],
});
`,
};
