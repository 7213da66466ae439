/**
 * The contract documents (contract/openapi.yaml, contract/asyncapi.yaml) and their validator (contract/index.ts):
 * the documents lint clean with standard tools and offline; the validator accepts every conforming variation the
 * contract leaves to targets (extra fields, epoch times where no <ISO> is written, any body where none is given)
 * and rejects what breaks a clause. No browser, no server.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import {
  Contract,
  clientFrameProblems,
  frameProblems,
  frameTypes,
  operations,
  ownFields,
  responseProblems,
  runEnvelopeFields,
  runEventTypes,
  statuses,
} from '../../contract/index';
import { CLIENT_FRAME_SAMPLES, FRAME_SAMPLES, RESPONSE_SAMPLES, runEvent, withExtraFields } from './samples';

const REPO = path.resolve(__dirname, '..', '..');
const CONTRACT = path.join(REPO, 'contract');

/** Makes any outbound connection or fetch throw, so a lint that tried the network would fail. */
const NO_NETWORK = `const net = require('node:net');
const refuse = (what) => function () { throw new Error('network access attempted: ' + what); };
net.Socket.prototype.connect = refuse('socket');
globalThis.fetch = refuse('fetch');
`;

async function lint(dir: string, outDir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  mkdirSync(outDir, { recursive: true });
  const guard = path.join(outDir, 'no-network.cjs');
  writeFileSync(guard, NO_NETWORK);
  const args = ['--require', guard, '--import', 'tsx', path.join(REPO, 'scripts', 'lint-contract.ts'), '--dir', dir];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd: REPO, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** True when the response has a body schema: every schema of the contract is an object or an array, never a number. */
const hasSchema = (operation: string, status: number) => responseProblems(operation, status, 12345).length > 0;

const ISO = '2026-11-21T09:30:00.123Z';

/** Contract §4, "Agent run events": the top-level run fields and each event's own fields, as the prose lists them. */
const RUN_FIELDS = ['type', 'run_id', 'thread_id', 'user_id', 'agent_name', 'timestamp'];
const OWN_FIELDS: Record<string, string[]> = {
  agent_started: ['status', 'task_description'],
  agent_thinking: ['reasoning', 'step_number'],
  tool_executing: ['tool_name', 'parameters', 'execution_id'],
  tool_completed: ['tool_name', 'execution_id', 'results', 'duration', 'success'],
  stream_chunk: ['content', 'chunk_index'],
  agent_completed: ['status', 'final_response', 'result', 'execution_time_ms'],
  agent_error: ['error_code', 'error_message'],
};
const thread = RESPONSE_SAMPLES['GET /api/threads/{id}'][200][0] as Record<string, unknown>;

test.describe('the documents lint', () => {
  test('clean with @seriousme/openapi-schema-validator, @asyncapi/parser and the validator, offline', async ({}, testInfo) => {
    const result = await lint(CONTRACT, testInfo.outputPath());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('are clean');
  });

  test('with one line per problem and exit 1 when the documents are broken', async ({}, testInfo) => {
    const dir = testInfo.outputPath('broken');
    mkdirSync(dir, { recursive: true });
    for (const file of ['openapi.yaml', 'asyncapi.yaml']) copyFileSync(path.join(CONTRACT, file), path.join(dir, file));
    const edit = (file: string, from: string, to: string) => {
      const text = readFileSync(path.join(dir, file), 'utf8');
      expect(text, `${file} has ${from}`).toContain(from);
      writeFileSync(path.join(dir, file), text.replace(from, to));
    };
    edit('openapi.yaml', 'operationId: getApiHealth', 'operationId: getHealth');
    edit('openapi.yaml', "$ref: '#/components/schemas/LogoutResult'", "$ref: '#/components/schemas/LogoutOutcome'");
    edit('openapi.yaml', 'const: auth-service', 'const: auth-service\n          minLenght: 3');
    edit('asyncapi.yaml', 'x-mirrored-in-data: [content, chunk_index]', 'x-mirrored-in-data: [content]');
    edit('asyncapi.yaml', 'action: receive', 'action: recieve');
    edit('asyncapi.yaml', "'./openapi.yaml#/components/schemas/Message'", "'https://example.com/openapi.yaml#/components/schemas/Message'");

    const result = await lint(dir, testInfo.outputPath());
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    for (const expected of [
      'openapi.yaml: operationId getHealth is used by GET /health and GET /api/health',
      '$ref "openapi.yaml#/components/schemas/LogoutOutcome" does not resolve',
      'openapi.yaml: GET /auth/health 200: strict mode: unknown keyword: "minLenght"',
      "asyncapi.yaml: message stream_chunk: x-mirrored-in-data [content] is not its data's required [chunk_index,content]",
      'asyncapi.yaml: operations/receiveUserMessage/action: "action" property must be equal to one of the allowed values',
      'asyncapi.yaml: refers to https://example.com/openapi.yaml; the contract must not depend on the network',
    ]) {
      expect(
        lines.filter((l) => l.includes(expected)),
        expected,
      ).not.toHaveLength(0);
    }
  });
});

test.describe('the validator accepts what the contract allows', () => {
  test('a sample body for every response with a schema and for every frame type', () => {
    const missing = [...operations(), '*'].flatMap((op) =>
      statuses(op)
        .filter((status) => hasSchema(op, status) && !RESPONSE_SAMPLES[op]?.[status]?.length)
        .map((status) => `${op} ${status}`),
    );
    expect(missing).toEqual([]);
    expect(frameTypes().filter((type) => !FRAME_SAMPLES[type]?.length)).toEqual([]);
  });

  test('conforming bodies and frames, as they are and with extra fields at every depth', () => {
    const problems: string[] = [];
    for (const [op, byStatus] of Object.entries(RESPONSE_SAMPLES)) {
      for (const [status, bodies] of Object.entries(byStatus)) {
        for (const body of bodies) {
          for (const variant of [body, withExtraFields(body)]) {
            problems.push(...responseProblems(op, Number(status), variant).map((p) => `${op} ${status}: ${p}`));
          }
        }
      }
    }
    for (const frames of Object.values(FRAME_SAMPLES)) {
      for (const frame of frames) for (const variant of [frame, withExtraFields(frame)]) problems.push(...frameProblems(variant));
    }
    for (const frame of CLIENT_FRAME_SAMPLES)
      for (const variant of [frame, withExtraFields(frame)]) problems.push(...clientFrameProblems(variant));
    expect(problems).toEqual([]);
  });

  test('epoch numbers for the times the contract does not mark <ISO>', () => {
    const epoch = 1763717400.123;
    const [discovery] = RESPONSE_SAMPLES['GET /api/discovery/services'][200] as Record<string, unknown>[];
    const [wsHealth] = RESPONSE_SAMPLES['GET /ws/health'][200] as Record<string, unknown>[];
    const run = { run_id: 'r', agent_type: 'triage', status: 'failed', thread_id: 't', started_at: epoch, completed_at: 1763717401 };
    expect(responseProblems('GET /api/discovery/services', 200, { ...discovery, timestamp: epoch })).toEqual([]);
    expect(responseProblems('GET /ws/health', 200, { ...wsHealth, timestamp: 1763717400 })).toEqual([]);
    expect(responseProblems('GET /api/agents/runs', 200, { runs: [run] })).toEqual([]);
    expect(responseProblems('GET /api/agents/runs/{run_id}', 200, { ...run, events: [] })).toEqual([]);
    expect(frameProblems({ type: 'pong', data: { timestamp: epoch }, timestamp: ISO })).toEqual([]);
  });

  test('any body, JSON or text, where the contract gives none', () => {
    expect(responseProblems('*', 405, 'Method Not Allowed')).toEqual([]);
    expect(responseProblems('*', 405, { detail: 'Method Not Allowed' })).toEqual([]);
    expect(responseProblems('*', 405, undefined)).toEqual([]);
    expect(responseProblems('GET /api/agents/runs/{run_id}', 404, '<html>gone</html>')).toEqual([]);
    expect(responseProblems('GET /api/agents/runs/{run_id}', 403, { error: 'forbidden' })).toEqual([]);
    expect(responseProblems('POST /api/agents/{type}', 404, { detail: "Agent type 'x' not found" })).toEqual([]);
    for (const op of ['POST /auth/register', 'POST /auth/refresh', 'POST /auth/logout', 'GET /auth/me']) {
      for (const status of statuses(op).filter((s) => s >= 400 && !hasSchema(op, s))) expect(responseProblems(op, status, 'x')).toEqual([]);
    }
  });

  test('a 422 whose detail is a string, FastAPI list or anything else', () => {
    const with422 = operations().filter((op) => statuses(op).includes(422));
    expect(with422.length).toBeGreaterThanOrEqual(8);
    for (const op of with422) {
      for (const detail of ['email is not valid', [{ loc: ['query', 'limit'], msg: 'too big', type: 'less_than_equal' }], { why: 1 }]) {
        expect(responseProblems(op, 422, { detail }), op).toEqual([]);
      }
    }
  });
});

test.describe('the validator rejects what breaks the contract', () => {
  test('a missing required field, at any depth', () => {
    const { metadata: _metadata, ...noMetadata } = thread;
    expect(responseProblems('GET /api/threads/{id}', 200, noMetadata)).toEqual(['body/metadata: required field is missing']);
    expect(responseProblems('GET /api/threads', 200, [{ ...thread, metadata: { topic: 'x' } }])).toEqual([
      'body/0/metadata/user_id: required field is missing',
    ]);
    expect(responseProblems('PUT /api/threads/{id}', 200, { ...thread, metadata: { user_id: 7 } })).toEqual([
      'body/metadata/user_id: must be string (got 7)',
    ]);
    const { user: _user, ...pair } = RESPONSE_SAMPLES['POST /auth/login'][200][0] as Record<string, unknown>;
    expect(responseProblems('POST /auth/login', 200, pair)).toEqual(['body/user: required field is missing']);
    expect(responseProblems('*', 404, {})).toEqual(['body/detail: required field is missing']);
    const { timestamp: _t, ...noTimestamp } = FRAME_SAMPLES.heartbeat[0];
    expect(frameProblems(noTimestamp)).toEqual(['frame/timestamp: required field is missing']);
    const { run_id: _r, ...noRunId } = FRAME_SAMPLES.agent_thinking[0];
    expect(frameProblems(noRunId)).toEqual(['frame/run_id: required field is missing']);
  });

  test('a value other than the one the contract fixes', () => {
    const health = RESPONSE_SAMPLES['GET /health'][200][0] as Record<string, unknown>;
    expect(responseProblems('GET /health', 200, { ...health, status: 'ok' })).toEqual(['body/status: must be "healthy" (got "ok")']);
    const pair = RESPONSE_SAMPLES['POST /auth/refresh'][200][0] as Record<string, unknown>;
    expect(responseProblems('POST /auth/refresh', 200, { ...pair, token_type: 'bearer', expires_in: 3600 })).toEqual([
      'body/token_type: must be "Bearer" (got "bearer")',
      'body/expires_in: must be 900 (got 3600)',
    ]);
    expect(responseProblems('POST /auth/login', 401, { detail: 'Wrong password' })).toEqual([
      'body/detail: must be "Invalid credentials" (got "Wrong password")',
    ]);
    expect(responseProblems('GET /api/threads/{id}', 403, { detail: 'Forbidden' })).toEqual([
      'body: matches none of the alternatives: body/detail: must be "Not authenticated" (got "Forbidden") | ' +
        'body/detail: must be "Access denied" (got "Forbidden")',
    ]);
    expect(responseProblems('POST /auth/validate', 200, { valid: false, error: 'bad_token' })).toHaveLength(1);
    expect(responseProblems('GET /health/ready', 503, { status: 'not_ready', checks: { database: 'ok', auth: 'ok' } })).toEqual([
      'body/checks: must be an object naming a check that is not ok (got {"database":"ok","auth":"ok"})',
    ]);
    expect(responseProblems('GET /api/agents', 200, { agents: [] })).toHaveLength(4);
    const welcome = FRAME_SAMPLES.connection_established[0] as { data: Record<string, unknown> };
    const reordered = ['agent_thinking', 'agent_started', 'tool_executing', 'tool_completed', 'agent_completed'];
    expect(frameProblems({ ...welcome, data: { ...welcome.data, golden_path_events: reordered } })).toHaveLength(1);
    const own = { status: 'failed', final_response: '', result: {}, execution_time_ms: 1 };
    expect(frameProblems(runEvent('agent_completed', own))).toEqual([
      'frame/status: must be one of "completed", "cancelled" (got "failed")',
      'frame/data/status: must be one of "completed", "cancelled" (got "failed")',
    ]);
    const bad = runEvent('agent_thinking', { reasoning: '', step_number: 0 });
    expect(frameProblems(bad)).toEqual(expect.arrayContaining(['frame/reasoning: must NOT have fewer than 1 characters (got "")']));
    expect(frameProblems(runEvent('stream_chunk', { content: 'x', chunk_index: -1 }))).toContain(
      'frame/chunk_index: must be >= 0 (got -1)',
    );
    expect(frameProblems({ ...FRAME_SAMPLES.tool_completed[0], agent_name: 'planner' })).toHaveLength(1);
  });

  test('an <ISO> time that is not ISO-8601 or not UTC', () => {
    for (const bad of [
      '2026-11-21T09:30:00+02:00',
      '2026-11-21T09:30:00',
      '2026-13-21T09:30:00Z',
      '2026-11-21 09:30:00Z',
      'yesterday',
      1763717400,
    ]) {
      expect(responseProblems('GET /auth/health', 200, { status: 'healthy', service: 'auth-service', timestamp: bad })).toEqual([
        `body/timestamp: must be an ISO-8601 UTC timestamp (got ${JSON.stringify(bad)})`,
      ]);
      expect(frameProblems({ ...FRAME_SAMPLES.ack[0], timestamp: bad })).toHaveLength(1);
    }
    expect(responseProblems('POST /api/threads', 200, { ...thread, updated_at: 'now' })).toHaveLength(1);
  });

  test('a run event whose own fields are not mirrored under data', () => {
    const event = runEvent('tool_executing', { tool_name: 'data_query', parameters: { days: 30 }, execution_id: 'exec_1' });
    expect(frameProblems({ ...event, data: { ...event.data, parameters: { days: 7 } } })).toEqual([
      'frame/data/parameters: must equal the top-level parameters (got {"days":7}, top level {"days":30})',
    ]);
    const { execution_id: _e, ...partial } = event.data;
    expect(frameProblems({ ...event, data: partial })).toEqual(['frame/data/execution_id: required field is missing']);
    const { data: _d, ...flat } = event;
    expect(frameProblems(flat)).toEqual(['frame/data: required field is missing']);
  });

  test('a status the operation does not declare, a body that is not JSON, an unknown operation or frame type', () => {
    expect(responseProblems('GET /api/threads/{id}', 500, { detail: 'boom' })).toEqual([
      'status 500 is not a response of GET /api/threads/{id} (200, 401, 403, 404)',
    ]);
    expect(responseProblems('POST /api/threads', 422, { detail: 'x' })).toHaveLength(1);
    expect(responseProblems('GET /health', 200, 'OK')).toEqual(['body is not JSON: "OK"']);
    expect(responseProblems('GET /health', 200, undefined)).toEqual(['body is empty']);
    expect(() => responseProblems('GET /api/thread/{id}', 200, {})).toThrow('unknown operation "GET /api/thread/{id}"');
    expect(frameProblems({ type: 'agent_finished', timestamp: ISO })[0]).toMatch(
      /^frame\/type: "agent_finished" is not a server frame type/,
    );
    expect(frameProblems(FRAME_SAMPLES.pong[0], 'heartbeat_ack')).toContain('frame/type: must be "heartbeat_ack" (got "pong")');
    expect(frameProblems('pong')).toEqual(['frame: must be a JSON object (got "pong")']);
    expect(clientFrameProblems({ type: 'start_agent', agent_type: 'planner', user_request: 'x' })).toHaveLength(1);
    expect(clientFrameProblems({ type: 'user_message', content: '' })).toHaveLength(1);
    expect(clientFrameProblems({ content: 'no type' })).toEqual(['frame/type: must be a string naming the frame type (got nothing)']);
  });
});

test.describe('lists the harness reads from the documents', () => {
  test('every route of contract §2 and §3 is an operation', () => {
    expect(operations().sort()).toEqual(
      [
        'GET /auth/health',
        'POST /auth/e2e/test-auth',
        'POST /auth/register',
        'POST /auth/login',
        'POST /auth/refresh',
        'POST /auth/logout',
        'POST /auth/validate',
        'GET /auth/me',
        'GET /health',
        'GET /api/health',
        'GET /health/ready',
        'GET /api/discovery/services',
        'GET /api/mcp/servers',
        'GET /api/mcp/config',
        'GET /ws/health',
        'GET /ws/config',
        'GET /api/agents',
        'POST /api/agents/execute',
        'POST /api/agents/{type}',
        'GET /api/agents/runs',
        'GET /api/agents/runs/{run_id}',
        'POST /api/threads',
        'GET /api/threads',
        'GET /api/threads/{id}',
        'PUT /api/threads/{id}',
        'DELETE /api/threads/{id}',
        'GET /api/threads/{id}/messages',
        'POST /api/threads/{id}/messages',
        'POST /api/websocket/ticket',
      ].sort(),
    );
    expect(statuses('*')).toEqual([404, 405]);
  });

  test('frame types, run events and their fields match contract §4', () => {
    expect(frameTypes()).toEqual([
      'connection_established',
      'agent_started',
      'agent_thinking',
      'tool_executing',
      'tool_completed',
      'stream_chunk',
      'agent_completed',
      'agent_error',
      'error_message',
      'thread_history',
      'pong',
      'heartbeat',
      'heartbeat_ack',
      'ack',
    ]);
    expect(runEnvelopeFields()).toEqual(RUN_FIELDS);
    expect(runEventTypes()).toEqual(Object.keys(OWN_FIELDS));
    for (const type of runEventTypes()) expect(ownFields(type), type).toEqual(OWN_FIELDS[type]);
    expect(() => ownFields('pong')).toThrow('"pong" is not a run event');
  });
});

test('loading, compiling and validating are cheap enough for thousands of calls', async ({}, testInfo) => {
  const t0 = performance.now();
  const contract = new Contract();
  const loadMs = performance.now() - t0;
  expect(contract.compileAll()).toEqual([]);
  const compileMs = performance.now() - t0 - loadMs;

  const threads = Array.from({ length: 20 }, () => thread);
  const chunk = FRAME_SAMPLES.stream_chunk[0];
  const n = 10_000;
  const t1 = performance.now();
  for (let i = 0; i < n; i++) contract.responseProblems('GET /api/threads', 200, threads);
  const listUs = ((performance.now() - t1) * 1000) / n;
  const t2 = performance.now();
  for (let i = 0; i < n; i++) contract.frameProblems(chunk);
  const frameUs = ((performance.now() - t2) * 1000) / n;

  const summary =
    `load ${loadMs.toFixed(0)} ms, compile all ${compileMs.toFixed(0)} ms, ` +
    `a 20-thread list ${listUs.toFixed(1)} µs, a frame ${frameUs.toFixed(1)} µs`;
  testInfo.annotations.push({ type: 'cost', description: summary });
  console.log(`contract validator: ${summary}`);
  expect(loadMs + compileMs).toBeLessThan(5_000);
  expect(listUs).toBeLessThan(500);
  expect(frameUs).toBeLessThan(500);
});
