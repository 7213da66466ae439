import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import type { FullConfig, TestCase, TestResult, TestStep } from '@playwright/test/reporter';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import TraceRedactor, { redactStepInPlace, redactTraceFile, redactTraceZip, redactTracesUnder } from '../../reporter/trace-redactor';
import { scanArtifacts, scanText } from '../../scripts/scan-secrets';
import { childEnv, makeSuite, removeSuite, runPlaywright } from '../reporter/harness';

/**
 * The trace redactor's pure parts on a synthetic trace shaped like the ones Playwright 1.65 writes for API requests
 * (records copied from a real trace.zip of the P1 suite, values replaced). A real trace opening in the trace
 * viewer is checked by selftest/ci/artifacts.spec.ts.
 */
// Built at run time: no token-shaped string is committed (the repository is scanned for them).
const b64 = (text: string) => Buffer.from(text).toString('base64url');
const JWT = [b64('{"alg":"HS256","typ":"JWT"}'), b64('{"sub":"user-1","token_type":"access"}'), b64('signature-of-the-token')].join('.');
const B64_JWT = `jwt.${Buffer.from(JWT).toString('base64url')}`;
const OPAQUE_ACCESS = 'opaque-access-7f3e9c1b2a';
const OPAQUE_REFRESH = 'opaque-refresh-5d8a0e4c7b';
const OPAQUE_TICKET = 'opaque-ticket-91c2d3e4f5';
const BYPASS_KEY = 'bypass-key-0123456789abcdef';
const JWT_SECRET = 'jwt-secret-0123456789abcdefghijklmnopqrstuv';
const SECRETS = [BYPASS_KEY, JWT_SECRET];
const CLEAR = [JWT, OPAQUE_ACCESS, OPAQUE_REFRESH, OPAQUE_TICKET, BYPASS_KEY, JWT_SECRET, 'ZXlKaGJHY2lPaU'];
const SOURCE = "headers.Authorization = `Bearer ${token}`; // a `?ticket=` URL\nconst pasted = '" + JWT + "';\n";
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0x0d, 0x0a, 0]);
const BINARY_WITH_KEY = new Uint8Array([0x89, 0x50, 0, ...strToU8(BYPASS_KEY), 0, 0xff]);

const jsonl = (...records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

function syntheticTrace(): Uint8Array {
  return zipSync({
    'src/0235f6de.ts': strToU8(SOURCE),
    'attachments/f4ed976c': strToU8(JSON.stringify({ rootCause: `key ${BYPASS_KEY} and token ${JWT}` }, null, 2)),
    'test.trace': strToU8(
      jsonl(
        { version: 10, type: 'context-options', origin: 'testRunner', options: {} },
        {
          type: 'before',
          callId: 'a@1',
          class: 'Test',
          method: 'expect',
          title: 'the offered jwt. entry is selected',
          params: { expected: B64_JWT },
        },
        { type: 'after', callId: 'a@1', endTime: 2, error: { message: `Expected: "${B64_JWT}"` } },
      ),
    ),
    '0-trace.trace': strToU8(
      jsonl(
        {
          version: 10,
          type: 'context-options',
          origin: 'library',
          options: { extraHTTPHeaders: [{ name: 'Authorization', value: `Bearer ${OPAQUE_ACCESS}` }] },
        },
        {
          type: 'before',
          callId: 'a@2',
          class: 'APIRequestContext',
          method: 'fetch',
          params: { url: '/auth/validate', method: 'POST', jsonData: JSON.stringify({ token: OPAQUE_ACCESS, token_type: 'access' }) },
        },
        {
          type: 'before',
          callId: 'a@3',
          class: 'APIRequestContext',
          method: 'fetch',
          params: { url: '/auth/e2e/test-auth', method: 'POST', headers: [{ name: 'X-E2E-Bypass-Key', value: BYPASS_KEY }] },
        },
        { type: 'log', callId: 'a@3', message: `  Authorization: Bearer ${OPAQUE_ACCESS}` },
        { type: 'log', callId: 'a@3', message: `  x-e2e-bypass-key: ${BYPASS_KEY}` },
        { type: 'log', callId: 'a@3', message: `  cookie: session=${OPAQUE_REFRESH}` },
        { type: 'log', callId: 'a@3', message: '  user-agent: Playwright/1.65.1' },
        {
          type: 'after',
          callId: 'a@3',
          result: {
            response: {
              url: `http://127.0.0.1:1/ws?ticket=${OPAQUE_TICKET}`,
              headers: [{ name: 'content-type', value: 'application/json' }],
            },
          },
        },
      ),
    ),
    '0-trace.network': strToU8(
      jsonl({
        type: 'resource-snapshot',
        snapshot: {
          request: {
            method: 'POST',
            url: `http://127.0.0.1:1/auth/refresh?token=${OPAQUE_ACCESS}`,
            headers: [
              { name: 'user-agent', value: 'Playwright/1.65.1' },
              { name: 'Authorization', value: `Bearer ${JWT}` },
              { name: 'Sec-WebSocket-Protocol', value: `jwt-auth, jwt.${Buffer.from(OPAQUE_ACCESS).toString('base64url')}` },
            ],
            queryString: [{ name: 'ticket', value: OPAQUE_TICKET }],
            postData: {
              mimeType: 'application/json',
              text: JSON.stringify({ refresh_token: OPAQUE_REFRESH }),
              _file: 'resources/post.json',
            },
          },
          response: {
            status: 200,
            headers: [{ name: 'Set-Cookie', value: `sid=${OPAQUE_REFRESH}; HttpOnly` }],
            content: { mimeType: 'application/json', _file: 'resources/9baba51f.json' },
          },
        },
      }),
    ),
    'resources/9baba51f.json': strToU8(
      JSON.stringify({ access_token: OPAQUE_ACCESS, refresh_token: JWT, token_type: 'Bearer', expires_in: 900 }),
    ),
    'resources/post.json': strToU8(`{\n  "refresh_token": "${OPAQUE_REFRESH}",\n  "ticket_id": "${OPAQUE_TICKET}"\n}`),
    'resources/image.png': PNG,
    'resources/dump.bin': BINARY_WITH_KEY,
    '0-trace.stacks': strToU8(
      JSON.stringify({ files: ['/repo/fixtures/users.fixture.ts'], stacks: [['a@3', [[0, 132, 25, 'newContext']]]] }),
    ),
  });
}

const textEntries = (entries: Record<string, Uint8Array>) => Object.entries(entries).filter(([name]) => !/\.(png|bin)$/.test(name));

test('redactTraceZip removes every credential and keeps a readable trace of the same shape', () => {
  const original = syntheticTrace();
  const before = unzipSync(original);
  const after = unzipSync(redactTraceZip(original, SECRETS));

  expect(Object.keys(after), 'same entries, same order').toEqual(Object.keys(before));
  for (const [name, data] of textEntries(after)) {
    const text = strFromU8(data);
    for (const value of CLEAR) expect(text, `${name} still holds a credential`).not.toContain(value);
  }
  for (const name of ['test.trace', '0-trace.trace', '0-trace.network']) {
    const lines = strFromU8(after[name]).trim().split('\n');
    expect(lines, name).toHaveLength(strFromU8(before[name]).trim().split('\n').length);
    for (const line of lines) expect(() => JSON.parse(line), `${name}: every record is JSON`).not.toThrow();
  }
  expect(() => JSON.parse(strFromU8(after['0-trace.stacks']))).not.toThrow();

  const network = JSON.parse(strFromU8(after['0-trace.network'])).snapshot;
  expect(network.request.headers).toEqual([
    { name: 'user-agent', value: 'Playwright/1.65.1' },
    { name: 'Authorization', value: 'Bearer [REDACTED]' },
    { name: 'Sec-WebSocket-Protocol', value: 'jwt-auth, jwt.[REDACTED]' },
  ]);
  expect(network.request.url).toBe('http://127.0.0.1:1/auth/refresh?token=[REDACTED]');
  expect(network.request.queryString).toEqual([{ name: 'ticket', value: '[REDACTED]' }]);
  expect(JSON.parse(network.request.postData.text)).toEqual({ refresh_token: '[REDACTED]' });
  expect(network.response.headers).toEqual([{ name: 'Set-Cookie', value: '[REDACTED]' }]);
  expect(network.response.content._file, 'resource references are kept').toBe('resources/9baba51f.json');

  const records = strFromU8(after['0-trace.trace'])
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(records[0].options.extraHTTPHeaders).toEqual([{ name: 'Authorization', value: 'Bearer [REDACTED]' }]);
  expect(JSON.parse(records[1].params.jsonData)).toEqual({ token: '[REDACTED]', token_type: 'access' });
  expect(records[2].params.headers).toEqual([{ name: 'X-E2E-Bypass-Key', value: '[REDACTED]' }]);
  expect(records.slice(3, 7).map((r) => r.message)).toEqual([
    '  Authorization: [REDACTED]',
    '  x-e2e-bypass-key: [REDACTED]',
    '  cookie: [REDACTED]',
    '  user-agent: Playwright/1.65.1',
  ]);
  expect(records[7].result.response.url).toBe('http://127.0.0.1:1/ws?ticket=[REDACTED]');

  expect(JSON.parse(strFromU8(after['resources/9baba51f.json']))).toEqual({
    access_token: '[REDACTED]',
    refresh_token: '[REDACTED]',
    token_type: 'Bearer',
    expires_in: 900,
  });
  expect(strFromU8(after['resources/post.json']), 'text bodies keep their layout').toBe(
    '{\n  "refresh_token": "[REDACTED]",\n  "ticket_id": "[REDACTED]"\n}',
  );
  expect(strFromU8(after['src/0235f6de.ts']), 'source keeps its code, loses only pasted tokens').toBe(SOURCE.replace(JWT, '[REDACTED]'));
  expect(after['resources/image.png'], 'binary entries are kept byte for byte').toEqual(PNG);
  const masked = after['resources/dump.bin'];
  expect([masked.length, strFromU8(masked.subarray(3, 3 + BYPASS_KEY.length))], 'a secret in binary is overwritten in place').toEqual([
    BINARY_WITH_KEY.length,
    '*'.repeat(BYPASS_KEY.length),
  ]);
  const steps = strFromU8(after['test.trace'])
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(steps[1].params.expected).toBe('jwt.[REDACTED]');
});

test('redactTraceZip returns its input when there is nothing to redact, and is idempotent', () => {
  const once = redactTraceZip(syntheticTrace(), SECRETS);
  expect(redactTraceZip(once, SECRETS), 'a redacted trace comes back as it is').toBe(once);
  const clean = zipSync({ 'test.trace': strToU8(jsonl({ type: 'before', title: 'Expect "toBe"' })) });
  expect(redactTraceZip(clean, SECRETS)).toBe(clean);
  const notATrace = zipSync({ 'report.txt': strToU8(`token ${JWT}`) });
  expect(redactTraceZip(notATrace, SECRETS), 'other archives are not touched').toBe(notATrace);
  expect(() => redactTraceZip(strToU8('PK\u0003\u0004 not a zip'), SECRETS)).toThrow();
});

test('the reporter rewrites traces, redacts errors, output, attachments and step params, and deletes an unreadable trace', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trace-redactor-'));
  const good = path.join(dir, 'a', 'trace.zip');
  const bad = path.join(dir, 'b', 'trace.zip');
  for (const [file, data] of [
    [good, syntheticTrace()],
    [bad, strToU8('PK\u0003\u0004 truncated')],
  ] as const) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data);
  }
  const errorContext = path.join(dir, 'a', 'error-context.md');
  writeFileSync(errorContext, `# Error\nExpected: "jwt.${JWT}"\n`);
  const elsewhere = path.join(mkdtempSync(path.join(os.tmpdir(), 'not-output-')), 'source.ts');
  writeFileSync(elsewhere, `const t = '${JWT}';\n`);
  const inline = { name: 'notes.txt', contentType: 'text/plain', body: Buffer.from(`token ${JWT}`) };
  const result = {
    attachments: [
      { name: 'trace', contentType: 'application/zip', path: good },
      { name: 'trace', contentType: 'application/zip', path: bad },
      { name: 'error-context', contentType: 'text/markdown', path: errorContext },
      { name: 'pushed', contentType: 'text/plain', path: elsewhere },
    ],
    errors: [{ message: `Expected: "jwt.${JWT}"`, stack: `Error: ${JWT}\n    at x`, cause: { message: `cause ${JWT}` } }],
    stdout: [`printed ${JWT}`],
    stderr: [],
    annotations: [{ type: 'teardown', description: `logout of ${JWT} failed` }],
  } as unknown as TestResult;
  // The reporter redacts the secrets of its environment (the runner's, where playwright.config.ts put them).
  const stderr = process.stderr.write;
  const messages: string[] = [];
  process.stderr.write = ((chunk: string) => (messages.push(String(chunk)), true)) as typeof process.stderr.write;
  process.env.E2E_OAUTH_SIMULATION_KEY = BYPASS_KEY;
  try {
    const reporter = new TraceRedactor({ _mode: 'test' });
    reporter.onBegin({ projects: [{ outputDir: dir }] } as unknown as FullConfig);
    // An attachment's body is redacted when its step ends, before a blob reporter serializes it.
    result.attachments.push(inline);
    reporter.onStepEnd({} as TestCase, result, { title: 'Attach "notes.txt"' } as TestStep);
    expect(inline.body.toString()).toBe('token [REDACTED]');
    reporter.onTestEnd({} as TestCase, result);
  } finally {
    process.stderr.write = stderr;
    delete process.env.E2E_OAUTH_SIMULATION_KEY;
  }
  expect(JSON.stringify(result)).not.toContain(JWT);
  expect(result.errors[0].message).toBe('Expected: "jwt.[REDACTED]"');
  expect(existsSync(bad), 'an unreadable trace is deleted, not copied into reports').toBe(false);
  expect(readFileSync(errorContext, 'utf8'), "Playwright's error-context.md is rewritten").toBe('# Error\nExpected: "jwt.[REDACTED]"\n');
  expect(readFileSync(elsewhere, 'utf8'), 'a file outside the output directories is never rewritten').toContain(JWT);
  expect(messages.join('')).toContain('could not be redacted');
  expect(scanArtifacts([dir], [OPAQUE_ACCESS, OPAQUE_REFRESH, OPAQUE_TICKET], { E2E_OAUTH_SIMULATION_KEY: BYPASS_KEY })).toEqual([]);
  expect(redactTraceFile(good, SECRETS), 'already redacted').toBe(false);

  const params = { expected: B64_JWT, other: { token: OPAQUE_ACCESS } };
  const step = { title: `step with ${JWT}`, params } as unknown as TestStep;
  redactStepInPlace(step, SECRETS);
  expect(step).toMatchObject({ title: 'step with [REDACTED]' });
  expect((step as unknown as { params: unknown }).params, 'the same object, redacted in place').toBe(params);
  expect(params).toEqual({ expected: 'jwt.[REDACTED]', other: { token: '[REDACTED]' } });
});

test('the teardown sweep redacts every trace under the output directories', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trace-sweep-'));
  for (const name of ['x/trace.zip', 'y/trace-1.zip']) {
    mkdirSync(path.join(dir, path.dirname(name)), { recursive: true });
    writeFileSync(path.join(dir, name), syntheticTrace());
  }
  writeFileSync(path.join(dir, 'other.zip'), zipSync({ 'notes.txt': strToU8('no trace') }));
  expect(redactTracesUnder([dir, dir], SECRETS)).toEqual({ scanned: 3, rewritten: 2, failed: [] });
  expect(
    scanArtifacts([dir], [OPAQUE_ACCESS, OPAQUE_REFRESH, OPAQUE_TICKET], {
      JWT_SECRET_KEY: JWT_SECRET,
      E2E_OAUTH_SIMULATION_KEY: BYPASS_KEY,
    }),
  ).toEqual([]);
  expect(readFileSync(path.join(dir, 'x/trace.zip')).subarray(0, 4)).toEqual(Buffer.from('PK\u0003\u0004'));
});

test('the scanner finds secrets in clear, in zips, in base64 bodies, ticket ids, and in output', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scan-'));
  writeFileSync(path.join(dir, 'trace.zip'), syntheticTrace());
  writeFileSync(
    path.join(dir, 'report.jsonl'),
    JSON.stringify({
      method: 'onAttach',
      params: { attachments: [{ name: 'x', base64: Buffer.from(`k=${BYPASS_KEY}`).toString('base64') }] },
    }),
  );
  writeFileSync(path.join(dir, 'summary.md'), 'ticket tkt_0123456789abcdef0123456789abcdef was used');
  const kinds = scanArtifacts([dir], [OPAQUE_TICKET], { E2E_OAUTH_SIMULATION_KEY: BYPASS_KEY }).map(
    (h) => `${path.relative(dir, h.where)} ${h.kind}`,
  );
  expect(kinds).toEqual(
    expect.arrayContaining([
      'report.jsonl#base64 E2E_OAUTH_SIMULATION_KEY',
      'summary.md ticket id',
      'trace.zip!0-trace.trace E2E_OAUTH_SIMULATION_KEY',
      'trace.zip!0-trace.network JWT',
      'trace.zip!test.trace jwt.<base64url> subprotocol token',
      'trace.zip!test.trace base64-encoded JWT',
      'trace.zip!resources/post.json captured token',
      'trace.zip!resources/dump.bin E2E_OAUTH_SIMULATION_KEY',
    ]),
  );
  expect(scanText('stdout', `Bearer ${OPAQUE_TICKET}`, [OPAQUE_TICKET])).toEqual([{ where: 'stdout', kind: 'captured token' }]);
  // A token split by colour codes (expect's diff highlighting), raw or JSON-escaped, is still found.
  const esc = String.fromCharCode(27);
  const split = (t: string, code: string) => `${t.slice(0, 10)}${code}[7m${t.slice(10, 20)}${code}[27m${t.slice(20)}`;
  expect(scanText('stdout', `Received: "${split(OPAQUE_TICKET, esc)}"`, [OPAQUE_TICKET], {})).toEqual([
    { where: 'stdout', kind: 'captured token' },
  ]);
  expect(scanText('report.jsonl', JSON.stringify({ message: split(JWT, esc) }), [], {})).toEqual([{ where: 'report.jsonl', kind: 'JWT' }]);
});

test('a real run whose test fails on a token leaks it into no report, trace, blob or error context', async () => {
  // A test that does everything that puts a value into Playwright's artifacts: a request with the token as
  // Bearer and in the body, a response echoing it, a failing expect(token) (error, step params, error-context.md),
  // an attachment and console output. The config lists the redactor like playwright.config.ts does.
  const part = (value: unknown) => Buffer.from(String(value)).toString('base64url');
  const token = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ${part(Math.random())}.${part(Date.now())}`;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ echoed: JSON.parse(body || '{}'), refresh_token: token })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const redactor = JSON.stringify(path.join(__dirname, '..', '..', 'reporter', 'trace-redactor.ts'));
  const teardown = JSON.stringify(path.join(__dirname, '..', '..', 'reporter', 'redact-traces.teardown.ts'));
  const dir = makeSuite('token-leak', {
    'playwright.config.ts':
      `export default { testDir: '.', globalTeardown: ${teardown}, use: { trace: 'on' }, reporter: [[${redactor}], ['list'], ` +
      `['html', { open: 'never', outputFolder: 'html' }], ['blob', { outputDir: 'blob' }], ['json', { outputFile: 'report.json' }]] };\n`,
    'leak.spec.ts': [
      "import { test, expect } from '@playwright/test';",
      'const token = process.env.LEAK_TOKEN!;',
      "test('leaky', async ({ request }) => {",
      `  const answer = await request.post('${url}/auth/refresh', ` +
        `{ headers: { Authorization: \`Bearer \${token}\` }, data: { refresh_token: token } });`,
      "  await test.info().attach('notes', { body: `notes about ${token}` });",
      "  expect((await answer.json()).refresh_token, 'the refreshed token is new').toBe(token.toUpperCase());",
      '});',
      '',
    ].join('\n'),
  });
  try {
    const run = await runPlaywright(dir, ['test'], childEnv({ LEAK_TOKEN: token }));
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('the refreshed token is new');
    const outputs = ['test-results', 'html', 'blob', 'report.json'].map((f) => path.join(dir, f));
    expect(existsSync(path.join(dir, 'test-results')) && readFileSync(path.join(dir, 'report.json'), 'utf8')).toContain('error-context');
    expect(scanArtifacts(outputs, [token], {}), 'hits by file and kind').toEqual([]);
    expect(scanText('output', run.stdout + run.stderr, [token], {})).toEqual([]);
  } finally {
    server.close();
    removeSuite(dir);
  }
});
