/** Contract §4, agent runs: event order and fields, delegation, content, threads, isolation, stop, failure, recovery. */
import { expect, test } from '@playwright/test';
import type { AgentSocket } from '../../fixtures/client/agent-socket';
import { isTerminal } from '../../fixtures/client/contract';
import { uniqueRequest } from '../../fixtures/client/unique';
import { ownFields } from '../../contract';
import { call, connect, newUser, pause, request, startAgent, type Frame, type ServerUser, serverForThisFile, SERVER_ISO } from './helpers';

const srv = serverForThisFile();

/** The run's types with consecutive repeats collapsed: started, thinking, executing, completed, ... */
const phases = (frames: Frame[]) => frames.map((f) => f.type).filter((t, i, all) => t !== all[i - 1]);

let user: ServerUser;
let client: AgentSocket;

test.beforeEach(async () => {
  user = await newUser(srv.url);
  client = await connect(srv.wsUrl, { token: user.access });
});

test.afterEach(async () => {
  await client.close();
});

/** A start_agent run on the test's socket, to its end. */
async function run(
  agentType: string,
  task: string,
  options: { threadId?: string; context?: Record<string, unknown> } = {},
): Promise<{ frames: Frame[]; text: string; wallMs: number }> {
  const text = uniqueRequest(task);
  const t0 = performance.now();
  const frames = await (await client.startAgent(agentType, text, options)).finished();
  return { frames, text, wallMs: performance.now() - t0 };
}

test('a data run: phases in order, every field top level and mirrored under data, sane numbers', async () => {
  const { frames, text, wallMs } = await run('data', 'review usage');
  expect(phases(frames)).toEqual([
    'agent_started',
    'agent_thinking',
    'tool_executing',
    'tool_completed',
    'tool_executing',
    'tool_completed',
    'stream_chunk',
    'agent_completed',
  ]);
  for (const f of frames) {
    expect(f).toMatchObject({
      run_id: frames[0].run_id,
      thread_id: expect.stringMatching(/^thr_/),
      user_id: user.id,
      agent_name: 'data',
      timestamp: expect.stringMatching(SERVER_ISO),
    });
    const own = Object.fromEntries(ownFields(f.type).map((k) => [k, f[k]]));
    expect(f.data).toEqual(own);
    expect(Object.values(own)).not.toContain(undefined);
  }
  expect(frames[0]).toMatchObject({ status: 'started', task_description: text });
  const stamps = frames.map((f) => Date.parse(f.timestamp));
  expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
  const executing = frames.filter((f) => f.type === 'tool_executing');
  const completed = frames.filter((f) => f.type === 'tool_completed');
  expect(executing.map((f) => f.tool_name)).toEqual(['data_query', 'metrics_aggregator']);
  expect(completed.map((f) => [f.tool_name, f.execution_id])).toEqual(executing.map((f) => [f.tool_name, f.execution_id]));
  for (const f of completed) {
    expect(f.success).toBe(true);
    expect(Object.keys(f.results).length).toBeGreaterThan(0);
    expect(f.duration).toBeGreaterThanOrEqual(0);
  }
  const end = frames[frames.length - 1];
  expect(end.status).toBe('completed');
  expect(end.execution_time_ms).toBeGreaterThanOrEqual(0);
  expect(end.execution_time_ms).toBeLessThanOrEqual(wallMs);
  const chunks = frames.filter((f) => f.type === 'stream_chunk');
  expect(chunks.map((c) => c.chunk_index)).toEqual(chunks.map((_, i) => i));
  expect(chunks.map((c) => c.content).join('')).toBe(end.final_response);
  const logged = await call(srv.url, 'GET', `/api/agents/runs/${frames[0].run_id}`, { token: user.access });
  expect(logged.body).toMatchObject({
    agent_type: 'data',
    status: 'completed',
    thread_id: frames[0].thread_id,
    events: frames.map((f) => f.type),
  });
});

test('each agent type uses exactly its tools', async () => {
  const tools = async (type: string) => (await run(type, 'look')).frames.filter((f) => f.type === 'tool_executing').map((f) => f.tool_name);
  expect(await tools('triage')).toEqual(['intent_classifier']);
  expect(await tools('optimization')).toEqual(['cost_analyzer', 'recommendation_engine']);
});

test('a supervisor run delegates triage -> data -> optimization under one run_id', async () => {
  const frames: Frame[] = await (await client.say(uniqueRequest('Cut cost and plan capacity'))).finished();
  expect(new Set(frames.map((f) => f.run_id)).size).toBe(1);
  expect(frames[0]).toMatchObject({ type: 'agent_started', agent_name: 'supervisor' });
  const end = frames[frames.length - 1];
  expect(end).toMatchObject({ type: 'agent_completed', agent_name: 'supervisor', status: 'completed' });
  expect(frames.filter((f) => f.type === 'stream_chunk').every((f) => f.agent_name === 'supervisor')).toBe(true);
  const middle = frames.filter((f) => f.type === 'agent_thinking' || f.type.startsWith('tool_'));
  expect(middle.map((f) => `${f.agent_name}:${f.type}${f.tool_name ? `:${f.tool_name}` : ''}`)).toEqual([
    'triage:agent_thinking',
    'triage:tool_executing:intent_classifier',
    'triage:tool_completed:intent_classifier',
    'data:agent_thinking',
    'data:tool_executing:data_query',
    'data:tool_completed:data_query',
    'data:tool_executing:metrics_aggregator',
    'data:tool_completed:metrics_aggregator',
    'optimization:agent_thinking',
    'optimization:tool_executing:cost_analyzer',
    'optimization:tool_completed:cost_analyzer',
    'optimization:tool_executing:recommendation_engine',
    'optimization:tool_completed:recommendation_engine',
  ]);
  expect(frames.filter((f) => f.type === 'agent_thinking').map((f) => f.step_number)).toEqual([1, 2, 3]);
  expect(frames.findIndex((f) => f.type === 'stream_chunk')).toBeGreaterThan(frames.map((f) => f.type).lastIndexOf('tool_completed'));
  expect(end.result).toMatchObject({
    estimated_monthly_savings: expect.any(Number),
    capacity_forecast: { horizon_days: expect.any(Number), projected_utilization: expect.any(Number) },
  });
  const logged = await call(srv.url, 'GET', `/api/agents/runs/${frames[0].run_id}`, { token: user.access });
  expect(logged.body.events).toEqual(frames.map((f) => f.type));
});

test('content: >= 100 chars naming every topic word; result fields follow the topics', async () => {
  const cases: [string, string, string[], string[]][] = [
    ['optimization', 'find SAVINGS', ['saving'], ['estimated_monthly_savings']],
    ['data', 'any anomalies lately?', ['anomal'], ['anomalies']],
    ['data', 'capacity for Q3 and cost', ['capacity', 'cost'], ['capacity_forecast', 'estimated_monthly_savings']],
    [
      'supervisor',
      'cost saving anomaly capacity',
      ['cost', 'saving', 'anomal', 'capacity'],
      ['estimated_monthly_savings', 'anomalies', 'capacity_forecast'],
    ],
    ['data', 'plain question', [], []],
  ];
  for (const [type, request, words, fields] of cases) {
    const end = (await run(type, request)).frames.at(-1)!;
    expect(end.final_response.length, request).toBeGreaterThanOrEqual(100);
    for (const w of words) expect(end.final_response.toLowerCase()).toContain(w);
    expect(Object.keys(end.result)).toEqual(expect.arrayContaining(fields));
  }
  const noTopics = (await run('optimization', 'plain')).frames.at(-1)!.result;
  expect(noTopics.estimated_monthly_savings).toBeUndefined();
  expect((await run('triage', 'cost please')).frames.at(-1)!.result).toEqual({
    intent: 'cost_optimization',
    confidence: expect.any(Number),
  });
  const anomalies = (await run('optimization', 'anomaly')).frames.at(-1)!.result.anomalies;
  expect(anomalies.length).toBeGreaterThan(0);
  expect((await run('data', 'cost')).frames.at(-1)!.result.estimated_monthly_savings).toBeGreaterThan(0);
});

test('emoji and CJK requests stream in whole characters', async () => {
  const { frames } = await run('data', '👩‍👩‍👧‍👦🇯🇵 漢字テスト مرحبا é'.repeat(8));
  const chunks = frames.filter((f) => f.type === 'stream_chunk').map((f) => f.content as string);
  expect(chunks.length).toBeGreaterThan(1);
  for (const c of chunks) expect(Buffer.from(c, 'utf8').toString('utf8')).toBe(c);
  expect(chunks.join('')).toBe(frames.at(-1)!.final_response);
});

test(
  "threads: the given thread gets user + assistant; none given creates one of the user's; " + 'foreign/unknown/archived refused',
  async () => {
    const thread = (await call(srv.url, 'POST', '/api/threads', { token: user.access, json: {} })).body;
    const { frames, text } = await run('data', 'persist me', { threadId: thread.id });
    expect(frames.every((f) => f.thread_id === thread.id)).toBe(true);
    const list = await call(srv.url, 'GET', `/api/threads/${thread.id}/messages`, { token: user.access });
    expect(list.body.messages.map((m: Frame) => [m.role, m.content])).toEqual([
      ['user', text],
      ['assistant', frames.at(-1)!.final_response],
    ]);
    expect((await call(srv.url, 'GET', `/api/threads/${thread.id}`, { token: user.access })).body.message_count).toBe(2);

    const implicit = await run('triage', 'no thread');
    const created = await call(srv.url, 'GET', `/api/threads/${implicit.frames[0].thread_id}`, { token: user.access });
    expect(created.body.metadata.user_id).toBe(user.id);

    const other = await newUser(srv.url);
    const foreign = (await call(srv.url, 'POST', '/api/threads', { token: other.access, json: {} })).body;
    const archived = (await call(srv.url, 'POST', '/api/threads', { token: user.access, json: {} })).body;
    await call(srv.url, 'DELETE', `/api/threads/${archived.id}`, { token: user.access });
    const refusals: [string, string][] = [
      [foreign.id, 'THREAD_ACCESS_DENIED'],
      ['thr_unknown', 'THREAD_NOT_FOUND'],
      [archived.id, 'THREAD_NOT_FOUND'],
    ];
    for (const [threadId, code] of refusals) {
      expect((await client.sendExpectingError({ type: 'user_message', content: 'x', thread_id: threadId })).error_code).toBe(code);
      expect((await client.sendExpectingError(startAgent('data', 'x', { thread_id: threadId }))).error_code).toBe(code);
    }
    await request(client, { type: 'ping' }, 'pong');
    expect(client.frames.filter((f) => f.type === 'agent_started' && f.task_description === 'x')).toEqual([]);
  },
);

test('user_message aliases and payload forms all start a supervisor run', async () => {
  const forms: Parameters<AgentSocket['say']>[1][] = [
    {},
    { payload: true },
    { type: 'message', field: 'text' },
    { type: 'chat', field: 'message' },
  ];
  for (const form of forms) {
    const text = uniqueRequest('alias');
    const frames = await (await client.say(text, form)).finished();
    expect(frames[0]).toMatchObject({ agent_name: 'supervisor', task_description: text });
  }
});

test('isolation: every socket of the user gets the run; other users get nothing', async () => {
  const second = await connect(srv.wsUrl, { token: user.access });
  const other = await newUser(srv.url);
  const bystander = await connect(srv.wsUrl, { token: other.access });
  const { frames } = await run('triage', 'fan out');
  await second.waitFor((f) => f.run_id === frames[0].run_id && isTerminal(f));
  expect(second.frames.filter((f) => f.run_id === frames[0].run_id)).toEqual(frames);
  await request(bystander, { type: 'ping' }, 'pong');
  expect(bystander.frames.filter((f) => f.run_id !== undefined)).toEqual([]);
  expect(bystander.malformed).toEqual([]);
  expect((await call(srv.url, 'GET', '/api/agents/runs', { token: other.access })).body.runs).toEqual([]);
  await Promise.all([second.close(), bystander.close()]);
});

test('simulate_delay_ms is the least pause between events', async () => {
  const { frames } = await run('triage', 'slowly', { context: { simulate_delay_ms: 40 } });
  const stamps = frames.map((f) => Date.parse(f.timestamp));
  for (let i = 1; i < stamps.length; i++) expect(stamps[i] - stamps[i - 1]).toBeGreaterThanOrEqual(39);
});

test('stop_agent: agent_completed cancelled, then nothing; RUN_NOT_ACTIVE after; foreign stop RUN_NOT_FOUND', async () => {
  const slowed = await client.startAgent('optimization', uniqueRequest('stop me'), { context: { simulate_delay_ms: 100 } });
  const started = await slowed.started();

  const other = await newUser(srv.url);
  const intruder = await connect(srv.wsUrl, { token: other.access });
  expect((await intruder.sendExpectingError({ type: 'stop_agent', run_id: started.run_id })).error_code).toBe('RUN_NOT_FOUND');
  await intruder.close();

  await client.send({ type: 'stop_agent', payload: { run_id: started.run_id } });
  const end = await client.waitFor((f) => f.run_id === started.run_id && f.type === 'agent_completed');
  expect(end).toMatchObject({ status: 'cancelled', result: {} });
  const streamed = client.frames
    .filter((f) => f.run_id === started.run_id && f.type === 'stream_chunk')
    .map((f) => f.content)
    .join('');
  expect(end.final_response).toBe(streamed);
  const count = client.frames.filter((f) => f.run_id === started.run_id).length;
  await pause(300);
  expect(client.frames.filter((f) => f.run_id === started.run_id)).toHaveLength(count);
  expect((await client.sendExpectingError({ type: 'stop_agent', run_id: started.run_id })).error_code).toBe('RUN_NOT_ACTIVE');
  expect((await call(srv.url, 'GET', `/api/agents/runs/${started.run_id}`, { token: user.access })).body).toMatchObject({
    status: 'cancelled',
    events: expect.arrayContaining(['agent_completed']),
  });
  const thread = await call(srv.url, 'GET', `/api/threads/${started.thread_id}/messages`, { token: user.access });
  expect(thread.body.messages.map((m: Frame) => m.role)).toEqual(['user']);
});

test('context.force_failure: agent_started then agent_error AGENT_FAILED, nothing after; run failed', async () => {
  const { frames } = await run('data', 'fail', { context: { force_failure: true } });
  expect(frames.map((f) => f.type)).toEqual(['agent_started', 'agent_error']);
  expect(frames[1]).toMatchObject({
    error_code: 'AGENT_FAILED',
    error_message: expect.stringMatching(/.+/),
    data: { error_code: 'AGENT_FAILED' },
  });
  expect((await call(srv.url, 'GET', `/api/agents/runs/${frames[0].run_id}`, { token: user.access })).body.status).toBe('failed');
  const after = await run('data', 'fine again');
  expect(after.frames.at(-1)!.status).toBe('completed');
});

test('recovery: the rest of a run reaches the next connection, recovered:true, in order, ending agent_completed', async () => {
  const slowed = await client.startAgent('data', uniqueRequest('recover me'), { context: { simulate_delay_ms: 80 } });
  const started = await slowed.started();
  const before = client.frames.filter((f) => f.run_id === started.run_id);
  await client.close();
  await pause(250); // a few events are buffered while no socket is open
  client = await connect(srv.wsUrl, { token: user.access });
  await client.waitFor((f) => f.run_id === started.run_id && f.type === 'agent_completed');
  const rest = client.frames.filter((f) => f.run_id === started.run_id);
  expect(rest.every((f) => f.recovered === true)).toBe(true);
  const logged = await call(srv.url, 'GET', `/api/agents/runs/${started.run_id}`, { token: user.access });
  expect([...before, ...rest].map((f) => f.type)).toEqual(logged.body.events);
  expect(logged.body.status).toBe('completed');
});

test('recovery also holds when the user reconnects before the next event', async () => {
  const slowed = await client.startAgent('triage', uniqueRequest('quick reconnect'), { context: { simulate_delay_ms: 400 } });
  const started = await slowed.started();
  await client.close();
  client = await connect(srv.wsUrl, { token: user.access });
  const end = await client.waitFor((f) => f.run_id === started.run_id && f.type === 'agent_completed', { timeout: 8000 });
  expect(end.recovered).toBe(true);
  expect(client.frames.filter((f) => f.run_id === started.run_id).every((f) => f.recovered === true)).toBe(true);
});

test('closing one of two sockets is not a disconnect: no recovery flag, the other gets the whole run', async () => {
  const second = await connect(srv.wsUrl, { token: user.access });
  await client.close();
  const frames = await (await second.startAgent('triage', uniqueRequest('sibling'))).finished();
  expect(frames.filter((f) => f.recovered !== undefined)).toEqual([]);
  expect(frames.at(-1)!.status).toBe('completed');
  client = second;
});

test('three concurrent runs on one socket keep their threads apart', async () => {
  const threads = await Promise.all([1, 2, 3].map(() => call(srv.url, 'POST', '/api/threads', { token: user.access, json: {} })));
  const texts = threads.map(() => uniqueRequest('parallel'));
  const runs = await Promise.all(threads.map(async (t, i) => (await client.say(texts[i], { threadId: t.body.id })).finished()));
  for (const [i, frames] of runs.entries()) {
    const messages = (await call(srv.url, 'GET', `/api/threads/${threads[i].body.id}/messages`, { token: user.access })).body.messages;
    expect(messages.map((m: Frame) => m.content)).toEqual([texts[i], frames.at(-1)!.final_response]);
  }
});
