import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test, expect } from '@playwright/test';
import { LATITUDES, startServer, type RunningServer } from '../../server/index';
import { scanArtifacts } from '../../scripts/scan-secrets';
import { runHarness } from '../support/harness-run';

/**
 * The harness pointed by environment at a contract server it did not start (here a reference server of this
 * process, standing in for staging, and one that makes every other conforming choice it can: all latitudes): the P1
 * suite runs green with every way of getting tokens, fails where that server breaks a clause, a JWT secret mismatch
 * is named as such, and no secret reaches the output.
 */
const secret = randomBytes(32).toString('base64url');
const bypassKey = `bypass-${randomBytes(12).toString('hex')}`;
let target: RunningServer;

const latitudes = LATITUDES.map((l) => l.name);

test.beforeAll(async () => {
  target = await startServer({ port: 0, jwtSecret: secret, bypassKey, agentStepDelayMs: 1, latitudes });
});

test.afterAll(async () => target.close());

const targetEnv = () => ({ STAGING_BASE_URL: target.url, STAGING_CORS_ORIGIN: 'http://localhost:3000' });

for (const [source, env] of [
  ['minted with JWT_SECRET_KEY', () => ({ JWT_SECRET_KEY: secret })],
  ['from /auth/e2e/test-auth', () => ({ E2E_OAUTH_SIMULATION_KEY: bypassKey })],
  ['from /auth/register', () => ({})],
] as const) {
  test(`P1 runs green against a configured target, tokens ${source}`, async () => {
    const run = await runHarness(['--project=priority', '--grep', '@p1', '--reporter=json'], { ...targetEnv(), ...env() });
    expect(run.code, run.stderr).toBe(0);
    const p1 = allResults(JSON.parse(run.stdout)).filter((r) => r.project === 'priority');
    expect(p1.map((r) => r.status)).toEqual(Array(25).fill('passed'));
  });
}

test('P1 against a configured target that breaks a clause fails the tests of that clause, and only those', async () => {
  const broken = await startServer({ port: 0, jwtSecret: secret, agentStepDelayMs: 1, latitudes, faults: ['ws-subprotocol-auth-broken'] });
  try {
    const env = { STAGING_BASE_URL: broken.url, STAGING_CORS_ORIGIN: 'http://localhost:3000', JWT_SECRET_KEY: secret };
    const run = await runHarness(['--project=priority', '--grep', '@p1', '--reporter=json'], env);
    const failed = allResults(JSON.parse(run.stdout)).filter((r) => r.status !== 'passed');
    expect(failed.map((r) => r.title)).toEqual(['test_002_websocket_authentication_real']);
    expect(run.code).toBe(1);
  } finally {
    await broken.close();
  }
});

test('a JWT secret mismatch is named in the setup project and in the WebSocket 403 diagnosis', async () => {
  const other = { ...targetEnv(), JWT_SECRET_KEY: randomBytes(32).toString('base64url') };
  const setupRun = await runHarness(['--project=priority', '--grep', '@p1', '--reporter=line'], other);
  expect(setupRun.code).not.toBe(0);
  expect(setupRun.output).toContain(`JWT secret mismatch: ${target.url}/auth/validate rejects a token signed with JWT_SECRET_KEY`);
  expect(setupRun.output).toMatch(/25 did not run/);

  // Without the setup project, the first socket meets the 403 and the diagnosis explains it.
  const socketRun = await runHarness(['--project=priority', '--no-deps', '--grep', 'test_001', '--reporter=json'], other);
  expect(socketRun.code).not.toBe(0);
  const report = JSON.parse(socketRun.stdout) as { suites: unknown[] };
  const result = allResults(report).find((r) => r.title === 'test_001_websocket_connection_real')!;
  expect(result.status).toBe('failed');
  expect(result.error).toContain('WebSocket authentication rejected (HTTP 403)');
  expect(result.error).toContain('JWT secret mismatch');
  const diagnosis = result.attachments.find((a) => a.name === 'diagnosis');
  expect(diagnosis, 'the diagnosis is attached').toBeDefined();
  expect(JSON.parse(attachmentText(diagnosis!))).toMatchObject({
    title: 'WebSocket authentication rejected (HTTP 403)',
    rootCause: expect.stringContaining('JWT secret mismatch'),
    details: { transport: 'header', status: 403, validate: 'invalid_token' },
  });
});

test('no secret or token reaches stdout, test results or the HTML report', async () => {
  const env = { ...targetEnv(), JWT_SECRET_KEY: secret, E2E_OAUTH_SIMULATION_KEY: bypassKey, TRACE_MODE: 'off' };
  const run = await runHarness(['--project=priority', '--grep', '@p1', '--reporter=list,html'], env);
  expect(run.code, run.output).toBe(0);
  expect(scanArtifacts([run.dirs.results, run.dirs.report], [], { JWT_SECRET_KEY: secret, E2E_OAUTH_SIMULATION_KEY: bypassKey })).toEqual(
    [],
  );
  expect(run.output).not.toContain(secret);
  expect(run.output).not.toContain(bypassKey);
  expect(run.output).not.toMatch(/eyJ[A-Za-z0-9_-]{4,}\.eyJ/);
});

interface JsonResult {
  title: string;
  project: string;
  status: string;
  error: string;
  attachments: { name: string; path?: string; body?: string }[];
}

/** An attachment of the JSON report: inline (base64 body) or a file. */
function attachmentText(attachment: JsonResult['attachments'][number]): string {
  return attachment.body ? Buffer.from(attachment.body, 'base64').toString() : readFileSync(attachment.path!, 'utf8');
}

/** Every test result of a JSON report (first attempt), with its title and project. */
function allResults(report: { suites: unknown[] }): JsonResult[] {
  type Spec = {
    title: string;
    tests: { projectName: string; results: { status: string; errors: { message: string }[]; attachments: JsonResult['attachments'] }[] }[];
  };
  const out: JsonResult[] = [];
  const stack = [...(report.suites as { specs?: Spec[]; suites?: unknown[] }[])];
  while (stack.length) {
    const suite = stack.pop()!;
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests) {
        const r = t.results[0];
        out.push({
          title: spec.title,
          project: t.projectName,
          status: r?.status ?? 'not run',
          error: (r?.errors ?? []).map((e) => e.message).join('\n'),
          attachments: r?.attachments ?? [],
        });
      }
    }
    stack.push(...((suite.suites ?? []) as typeof stack));
  }
  return out;
}
