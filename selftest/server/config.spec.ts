/** Settings from the environment, option validation, and `npm run server` (server/main.ts) as a process. */
import { expect, test } from '@playwright/test';
import { serverOptionsFromEnv, startServer } from '../../server/index';
import { BYPASS_KEY, call, connect, newUser, runServerMain } from './helpers';

const SECRET = 's'.repeat(40);

test('serverOptionsFromEnv: empty environment means defaults; every variable is parsed', () => {
  expect(serverOptionsFromEnv({})).toEqual({ host: '127.0.0.1', bypassKey: undefined, environment: undefined, faults: [] });
  expect(
    serverOptionsFromEnv({
      PORT: '0',
      JWT_SECRET_KEY: SECRET,
      E2E_OAUTH_SIMULATION_KEY: 'key',
      STAGING_ENVIRONMENT: 'qa',
      CORS_ORIGINS: 'http://localhost:3000/, https://app.example.ai',
      HEARTBEAT_INTERVAL: '1.5',
      MAX_MESSAGE_SIZE: '2048',
      AGENT_STEP_DELAY_MS: '0',
      STARTUP_DELAY_MS: '10',
      STAGING_FAULTS: 'short-answers, slow-health',
    }),
  ).toEqual({
    host: '127.0.0.1',
    port: 0,
    jwtSecret: SECRET,
    bypassKey: 'key',
    environment: 'qa',
    corsOrigins: ['http://localhost:3000', 'https://app.example.ai'],
    heartbeatIntervalS: 1.5,
    maxMessageSize: 2048,
    agentStepDelayMs: 0,
    startupDelayMs: 10,
    faults: ['short-answers', 'slow-health'],
  });
});

const BAD_ENV: [Record<string, string>, RegExp][] = [
  [{ PORT: 'eighty' }, /^PORT must be a whole number/],
  [{ PORT: '70000' }, /^PORT must be from 0 to 65535/],
  [{ JWT_SECRET_KEY: 'short-secret' }, /^JWT_SECRET_KEY must be at least 32 characters long \(it has 12\)$/],
  [{ CORS_ORIGINS: 'localhost:3000' }, /^CORS_ORIGINS entry "localhost:3000" is not an http\(s\) origin/],
  [{ CORS_ORIGINS: 'https://app.example.ai/path' }, /^CORS_ORIGINS entry/],
  [{ HEARTBEAT_INTERVAL: '0' }, /^HEARTBEAT_INTERVAL must be a positive number/],
  [{ MAX_MESSAGE_SIZE: '10' }, /^MAX_MESSAGE_SIZE must be at least 1024 bytes/],
  [{ AGENT_STEP_DELAY_MS: '-1' }, /^AGENT_STEP_DELAY_MS must be a whole number/],
  [{ STARTUP_DELAY_MS: '1.5' }, /^STARTUP_DELAY_MS must be a whole number/],
  [
    { STAGING_FAULTS: 'short-answers,nope' },
    /^unknown fault "nope" in STAGING_FAULTS; valid faults: alg-none-accepted, .*ws-subprotocol-auth-broken/,
  ],
];

for (const [env, message] of BAD_ENV) {
  test(`serverOptionsFromEnv rejects ${JSON.stringify(env)}`, () => {
    expect(() => serverOptionsFromEnv(env)).toThrow(message);
  });
}

test('startServer rejects bad options before listening', async () => {
  await expect(startServer({ port: 0, jwtSecret: 'short' })).rejects.toThrow(/jwtSecret must be at least 32/);
  await expect(startServer({ port: 0, faults: ['bogus'] })).rejects.toThrow(/unknown fault "bogus"/);
  await expect(startServer({ port: 0, corsOrigins: ['*'] })).rejects.toThrow(/CORS origin "\*"/);
});

test('without a JWT secret the server makes its own and its tokens work', async () => {
  const srv = await startServer({ port: 0, bypassKey: BYPASS_KEY });
  try {
    const user = await newUser(srv.url);
    expect((await call(srv.url, 'GET', '/api/threads', { token: user.access })).status).toBe(200);
    const client = await connect(srv.wsUrl, { token: user.access });
    await client.close();
  } finally {
    await srv.close();
  }
});

test('npm run server: one ready line, serves, never prints secrets, exits 0 on SIGTERM', async () => {
  let health = 0;
  const result = await runServerMain(
    { PORT: '0', JWT_SECRET_KEY: SECRET, E2E_OAUTH_SIMULATION_KEY: BYPASS_KEY, STAGING_FAULTS: 'short-answers' },
    async (url) => {
      health = (await call(url, 'GET', '/health')).status;
      await newUser(url);
    },
  );
  expect(result.code).toBe(0);
  expect(health).toBe(200);
  expect(result.stdout).toMatch(/^reference server ready at http:\/\/127\.0\.0\.1:\d+ \(environment staging, faults: short-answers\)\n$/);
  expect(result.stdout + result.stderr).not.toContain(SECRET);
  expect(result.stdout + result.stderr).not.toContain(BYPASS_KEY);
});

test('npm run server: a bad setting is one stderr line and exit 1', async () => {
  const result = await runServerMain({ PORT: '0', STAGING_FAULTS: 'nope' });
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^reference server: unknown fault "nope" in STAGING_FAULTS; valid faults: [a-z, -]+\n$/);
  const secret = await runServerMain({ PORT: '0', JWT_SECRET_KEY: 'too-short-but-secret' });
  expect(secret.code).toBe(1);
  expect(secret.stderr).not.toContain('too-short-but-secret');
});
