import http from 'node:http';
import { test, expect } from '@playwright/test';
import { closedPort, runHarness } from '../support/harness-run';

/**
 * Clear errors (standing rule 5): bad configuration, an unreachable or unhealthy target and a production target
 * each end the run with one message naming the variable or URL, a non-zero exit, and no test passing.
 */
test.describe('configuration errors stop the run before any test', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['a URL that is not one', { STAGING_BASE_URL: 'not a url' }, /STAGING_BASE_URL is not a valid URL/],
    [
      'a WebSocket URL with an http scheme',
      { STAGING_BASE_URL: 'http://127.0.0.1:9', STAGING_WS_URL: 'http://127.0.0.1:9/ws' },
      /STAGING_WS_URL must use ws:\/\/ or wss:\/\//,
    ],
    ['a short JWT secret', { JWT_SECRET_KEY: 'too-short' }, /JWT_SECRET_KEY must be at least 32 characters long \(it has 9\)/],
    ['a ratio above 1', { QUALITY_SLA: '1.5' }, /QUALITY_SLA must be a number from 0 to 1/],
    ['a duration that is not a number', { RUN_COMPLETE_MS: 'soon' }, /RUN_COMPLETE_MS must be a whole number of milliseconds/],
    ['an unknown trace mode', { TRACE_MODE: 'always' }, /TRACE_MODE must be one of on, off, retain-on-failure/],
    ['an unknown summary template', { SUMMARY_TEMPLATE: 'fancy' }, /SUMMARY_TEMPLATE must be one of complete-summary, status-report/],
    ['a production environment name', { STAGING_ENVIRONMENT: 'production' }, /STAGING_ENVIRONMENT is "production"/],
    [
      'a production host',
      { STAGING_BASE_URL: 'https://api.production.example.ai' },
      /https:\/\/api\.production\.example\.ai looks like a production host/,
    ],
  ];
  for (const [what, env, message] of cases) {
    test(what, async () => {
      const run = await runHarness(['--project=priority', '--grep', '@p1'], env);
      expect(run.code, run.output).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n'), 'one plain line').toHaveLength(1);
      expect(run.stdout, 'no test ran').not.toMatch(/passed|Running \d+ test/);
    });
  }
});

test.describe('an unusable target ends the run in the setup project', () => {
  test('an unreachable target stops the run within 15 s, naming the URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await runHarness(['--project=priority', '--reporter=line'], { STAGING_BASE_URL: url });
    expect(run.code, run.output).not.toBe(0);
    expect(run.ms, 'the run stops fast').toBeLessThan(15_000);
    expect(run.output).toContain(`Target unreachable: ${url}/health could not be reached (connect ECONNREFUSED`);
    expect(run.output).not.toMatch(/\d+ passed/);
    expect(run.output).toMatch(/\d+ did not run/);
  });

  test('a target answering 5xx on /health stops the run, naming the URL and the answer', async () => {
    const server = http.createServer((_req, res) =>
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"unhealthy","startup_in_progress":true}'),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const run = await runHarness(['--project=priority', '--reporter=line'], { STAGING_BASE_URL: url });
      expect(run.code, run.output).not.toBe(0);
      expect(run.ms).toBeLessThan(15_000);
      expect(run.output).toContain(`${url}/health answered HTTP 503`);
      expect(run.output).not.toMatch(/\d+ passed/);
    } finally {
      server.close();
    }
  });

  test('a target reporting environment production is refused', async () => {
    const server = http.createServer((req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'healthy', environment: 'production', path: req.url })),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const run = await runHarness(['--project=priority', '--reporter=line'], { STAGING_BASE_URL: url });
      expect(run.code, run.output).not.toBe(0);
      expect(run.output).toContain(`${url}/health reports environment "production": the harness never runs against production`);
      expect(run.output).not.toMatch(/\d+ passed/);
    } finally {
      server.close();
    }
  });
});
