import { randomUUID } from 'node:crypto';
import { test, expect, type Frame, type Message, type Thread, type TokenPair } from '../../fixtures';
import { catalog, category } from '../catalog';
import { AGENT_TYPES, ISO_UTC, TOOL_MAP, GOLDEN_PATH } from '../../fixtures/client/contract';
import { lastFrame } from '../../fixtures/client/frames';
import { percentile } from '../../fixtures/client/time';
import { contractClaims, randomSecret, signToken, subprotocolFor } from '../../fixtures/client/tokens';
import { uniqueRequest } from '../../fixtures/client/unique';
import { shapes } from '../../fixtures/shapes';

const { title, details } = category('P1');

test.describe(title, details, () => {
  test(
    'test_001_websocket_connection_real',
    catalog({ checks: 'upgrade, no token; ws(U); ping → 403; opens; pong', catches: 'open upgrade' }),
    async ({ sockets, user }) => {
      const anonymous = await sockets.upgrade({});
      expect(anonymous.status, 'upgrade without a token').toBe(403);
      const socket = await sockets.open(user);
      await expect(socket).toAnswerPing();
    },
  );

  test(
    'test_002_websocket_authentication_real',
    catalog({
      checks: 'upgrade, token signed with a random secret; ws(U,sub) → 403; opens, offered jwt. entry selected',
      catches: 'forged token',
    }),
    async ({ sockets, user, settings }) => {
      const forged = await signToken(contractClaims(user, 'access', settings.environment), randomSecret());
      expect((await sockets.upgrade({ token: forged })).status, 'upgrade with a token signed by another secret').toBe(403);
      const socket = await sockets.open(user, { transport: 'subprotocol' });
      expect(socket.protocol, 'the offered jwt. entry is selected').toBe(subprotocolFor(user.accessToken));
    },
  );

  test(
    'test_003_websocket_message_send_real',
    catalog({ checks: 'say(text) → agent_started ≤ FIRST_EVENT_MS, task_description = text, user_id = U.id', catches: 'no run started' }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const text = uniqueRequest('Summarise how our model usage changed last week');
      const started = await (await socket.say(text)).started();
      expect(started).toMatchObject({ type: 'agent_started', task_description: text, user_id: user.id, status: 'started' });
    },
  );

  test(
    'test_004_websocket_concurrent_connections_real',
    catalog({
      checks: '5 × ws(U) at once; ping each → all open, distinct connection_ids, 5 pongs; /ws/health active_connections ≥ 5',
      catches: 'multi-tab',
    }),
    async ({ sockets, user, request }) => {
      const opened = await Promise.all(Array.from({ length: 5 }, () => sockets.open(user)));
      expect(new Set(opened.map((s) => s.connectionId)).size, 'distinct connection_ids').toBe(5);
      for (const socket of opened) await expect(socket).toAnswerPing();
      const health = await request.get('/ws/health');
      expect(health.status()).toBe(200);
      expect((await health.json()).active_connections, '/ws/health counts at least these 5').toBeGreaterThanOrEqual(5);
    },
  );

  test(
    'test_005_agent_discovery_real',
    catalog({
      checks:
        '/api/mcp/servers; /api/agents A(U) → ≥1 server connected; triage, data, optimization, supervisor with name, description, tools[]',
      catches: 'catalog gone',
    }),
    async ({ request, api }) => {
      const servers = await request.get('/api/mcp/servers');
      expect(servers.status()).toBe(200);
      const { data } = await servers.json();
      expect(data.length, 'at least one MCP server').toBeGreaterThanOrEqual(1);
      expect(
        data.some((s: { status: string }) => s.status === 'connected'),
        'an MCP server is connected',
      ).toBe(true);
      const agents = await api.get('/api/agents');
      expect(agents.status()).toBe(200);
      const listed = (await agents.json()).agents as { type: string }[];
      expect(listed.map((a) => a.type).sort()).toEqual([...AGENT_TYPES].sort());
      for (const agent of listed) {
        expect(agent, `agent ${agent.type}`).toMatchObject({
          name: shapes.nonEmpty(),
          description: shapes.nonEmpty(),
          tools: expect.any(Array),
        });
      }
    },
  );

  test(
    'test_006_agent_configuration_real',
    catalog({
      checks:
        '/api/mcp/config; /ws/config → non-empty object; heartbeat_interval, connection_timeout, max_message_size > 0; max_connections_per_user 10',
      catches: 'config routes',
    }),
    async ({ request }) => {
      const mcpConfig = await request.get('/api/mcp/config');
      expect(mcpConfig.status()).toBe(200);
      const config = await mcpConfig.json();
      expect(
        typeof config === 'object' && !Array.isArray(config) && Object.keys(config).length > 0,
        '/api/mcp/config is a non-empty object',
      ).toBe(true);
      const wsConfig = await request.get('/ws/config');
      expect(wsConfig.status()).toBe(200);
      const { websocket_config: ws } = await wsConfig.json();
      expect(ws).toMatchObject(shapes.wsConfig().websocket_config);
      expect(ws.heartbeat_interval).toBeGreaterThan(0);
      expect(ws.connection_timeout).toBeGreaterThan(0);
      expect(ws.max_message_size).toBeGreaterThan(0);
    },
  );

  test(
    'test_007_agent_execution_endpoints_real',
    catalog({
      checks:
        'execute {type:"triage"}; POST /api/agents/data, /api/agents/bogus; execute type bogus, empty message → ok(triage); ok(data); 404; 422; 422',
      catches: 'execute, validation',
    }),
    async ({ api }) => {
      await expect(
        await api.post('/api/agents/execute', { data: { type: 'triage', message: uniqueRequest('Route this billing question') } }),
      ).toBeAgentResult('triage');
      await expect(await api.post('/api/agents/data', { data: { message: uniqueRequest('Show request volume by day') } })).toBeAgentResult(
        'data',
      );
      await expect(await api.post('/api/agents/bogus', { data: { message: 'hello' } })).toBeContractError(404);
      await expect(await api.post('/api/agents/execute', { data: { type: 'bogus', message: 'hello' } })).toBeContractError(422);
      await expect(await api.post('/api/agents/execute', { data: { type: 'triage', message: '' } })).toBeContractError(422);
    },
  );

  test(
    'test_008_agent_streaming_capabilities_real',
    catalog({
      checks: "run(data, T) → ≥1 stream_chunk; chunks joined by chunk_index = final_response = T's last (assistant) message",
      catches: 'chunks ≠ answer',
    }),
    async ({ sockets, user }) => {
      const thread = await user.createThread();
      const socket = await sockets.open(user);
      const frames = await (
        await socket.startAgent('data', uniqueRequest('Analyse token usage per model'), { threadId: thread.id })
      ).finished();
      expect(frames).toStreamFinalResponse();
      const { messages } = await user.messages(thread.id);
      expect(lastFrame(messages), "the thread's last message is the assistant's answer").toMatchObject({
        role: 'assistant',
        content: lastFrame(frames).final_response,
      });
    },
  );

  test(
    'test_009_agent_status_monitoring_real',
    catalog({
      checks:
        '/health, /api/health, /health/ready, /ws/health → §3 bodies, environment = STAGING_ENVIRONMENT; 3 checks ok; healthy/degraded',
      catches: 'status routes',
    }),
    async ({ request, settings }) => {
      for (const path of ['/health', '/api/health']) {
        const response = await request.get(path);
        expect(response.status(), path).toBe(200);
        expect(await response.json(), path).toMatchObject(shapes.backendHealth(settings.environment));
      }
      const ready = await request.get('/health/ready');
      expect(ready.status()).toBe(200);
      expect(await ready.json()).toMatchObject(shapes.ready());
      const wsHealth = await request.get('/ws/health');
      expect(wsHealth.status()).toBe(200);
      expect(await wsHealth.json()).toMatchObject(shapes.wsHealth());
    },
  );

  test(
    'test_010_tool_execution_endpoints_real',
    catalog({
      checks:
        'run(data) → data_query, metrics_aggregator: executing → completed (same execution_id), results object, success true, duration ≥ 0',
      catches: 'tools skipped',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.startAgent('data', uniqueRequest('Aggregate last month latency metrics'))).finished();
      expect(frames).toPairTools(TOOL_MAP.data);
    },
  );

  test(
    'test_011_agent_performance_real',
    catalog({ checks: '10 × /health → all 200 healthy; p95 ≤ HEALTH_P95_MS', catches: 'slow health' }),
    async ({ request, settings }) => {
      const durations: number[] = [];
      for (let i = 0; i < 10; i++) {
        const start = performance.now();
        const response = await request.get('/health');
        durations.push(performance.now() - start);
        expect(response.status()).toBe(200);
        expect((await response.json()).status).toBe('healthy');
      }
      expect(percentile(durations, 95), `/health p95 (ms) within HEALTH_P95_MS`).toBeLessThanOrEqual(settings.healthP95Ms);
    },
  );

  test(
    'test_012_message_persistence_real',
    catalog({ checks: 'POST message to T; list messages → 200, role user, same content; listed, same id; total 1', catches: 'not stored' }),
    async ({ user, api }) => {
      const thread = await user.createThread();
      const content = `persist me ${randomUUID()}`;
      const posted = await api.post(`/api/threads/${thread.id}/messages`, { data: { message: content } });
      expect(posted.status()).toBe(200);
      const message = (await posted.json()) as Message;
      expect(message).toMatchObject({ ...shapes.message(thread.id, 'user'), content });
      const listed = await user.messages(thread.id);
      expect(listed.total).toBe(1);
      expect(listed.messages.map((m) => [m.id, m.content])).toEqual([[message.id, content]]);
    },
  );

  test(
    'test_013_thread_creation_real',
    catalog({
      checks:
        'POST /api/threads {title, metadata:{k}}; GET it → ISO times, message_count 0, k kept, metadata.user_id = U.id; GET has the same id, title, metadata and created_at',
      catches: 'owner lost',
    }),
    async ({ user, api }) => {
      const marker = randomUUID();
      const created = await api.post('/api/threads', { data: { title: 'P1 thread', metadata: { k: marker } } });
      expect(created.status()).toBe(200);
      const thread = (await created.json()) as Thread;
      expect(thread).toMatchObject({
        ...shapes.thread(user.id),
        title: 'P1 thread',
        message_count: 0,
        metadata: { k: marker, user_id: user.id },
      });
      const fetched = await api.get(`/api/threads/${thread.id}`);
      expect(fetched.status()).toBe(200);
      expect(await fetched.json()).toEqual(thread);
    },
  );

  test(
    'test_014_thread_switching_real',
    catalog({
      checks: 'say(a, T1), say(b, T2), one socket → each run has its own thread_id; T1 only a + answer, T2 only b + answer',
      catches: 'thread mix-up',
    }),
    async ({ sockets, user }) => {
      const [t1, t2] = [await user.createThread(), await user.createThread()];
      const socket = await sockets.open(user);
      const a = uniqueRequest('What did the data pipeline cost');
      const b = uniqueRequest('Which agents ran most often');
      const runA = await (await socket.say(a, { threadId: t1.id })).finished();
      const runB = await (await socket.say(b, { threadId: t2.id })).finished();
      expect(new Set(runA.map((f) => f.thread_id))).toEqual(new Set([t1.id]));
      expect(new Set(runB.map((f) => f.thread_id))).toEqual(new Set([t2.id]));
      const contents = async (id: string) => (await user.messages(id)).messages.map((m) => [m.role, m.content]);
      expect(await contents(t1.id)).toEqual([
        ['user', a],
        ['assistant', lastFrame(runA).final_response],
      ]);
      expect(await contents(t2.id)).toEqual([
        ['user', b],
        ['assistant', lastFrame(runB).final_response],
      ]);
    },
  );

  test(
    'test_015_thread_history_real',
    catalog({
      checks:
        '3 messages; list ?limit=2&offset=1; history → messages 2–3, total 3; history holds the same messages (ids, roles, contents) as the full REST list',
      catches: 'paging, history',
    }),
    async ({ sockets, user }) => {
      const thread = await user.createThread();
      const posted: Message[] = [];
      for (const n of [1, 2, 3]) posted.push(await user.postMessage(thread.id, `history message ${n}`));
      const page = await user.messages(thread.id, 'limit=2&offset=1');
      expect(page.total).toBe(3);
      expect(page.messages.map((m) => m.id)).toEqual([posted[1].id, posted[2].id]);
      const full = await user.messages(thread.id);
      const socket = await sockets.open(user);
      const history = await socket.threadHistory(thread.id);
      expect(history.type).toBe('thread_history');
      expect(history.data?.messages).toEqual(full.messages);
    },
  );

  test(
    'test_016_user_context_isolation_real',
    catalog({
      checks: 'U1 makes T and a run; U2 reads → T 403 "Access denied"; both absent from U2\'s lists; runs/{id} 403',
      catches: 'cross-user leak',
    }),
    async ({ users, sockets }) => {
      const [u1, u2] = await Promise.all([users.create(), users.create()]);
      const thread = await u1.createThread();
      const socket = await sockets.open(u1);
      const run = await (
        await socket.startAgent('triage', uniqueRequest('Classify this private request'), { threadId: thread.id })
      ).finished();
      const runId = String(run[0].run_id);
      await expect(await u2.api.get(`/api/threads/${thread.id}`)).toBeContractError(403, 'Access denied');
      const threads = (await (await u2.api.get('/api/threads?limit=100')).json()) as Thread[];
      expect(threads.map((t) => t.id)).not.toContain(thread.id);
      const runs = (await (await u2.api.get('/api/agents/runs')).json()).runs as { run_id: string }[];
      expect(runs.map((r) => r.run_id)).not.toContain(runId);
      expect((await u2.api.get(`/api/agents/runs/${runId}`)).status()).toBe(403);
    },
  );

  test(
    'test_017_concurrent_users_real',
    catalog({
      checks: 'CONCURRENT_USERS users at once: thread, message, list → all 200; each list = its own single thread',
      catches: 'shared state',
    }),
    async ({ users, settings }) => {
      const results = await Promise.all(
        Array.from({ length: settings.concurrentUsers }, async () => {
          const user = await users.create();
          const created = await user.api.post('/api/threads', { data: { title: `own ${user.id}` } });
          const thread = (await created.json()) as Thread;
          const message = await user.api.post(`/api/threads/${thread.id}/messages`, { data: { message: `hello from ${user.id}` } });
          const list = await user.api.get('/api/threads?limit=100');
          return {
            statuses: [created.status(), message.status(), list.status()],
            own: thread.id,
            listed: ((await list.json()) as Thread[]).map((t) => t.id),
          };
        }),
      );
      for (const result of results) {
        expect(result.statuses).toEqual([200, 200, 200]);
        expect(result.listed, 'each user lists exactly its own thread').toEqual([result.own]);
      }
    },
  );

  test(
    'test_018_request_id_under_burst',
    catalog({
      checks: '30 × /api/threads, 50 ms apart, distinct x-request-id → all 200, own id echoed, nosniff',
      catches: 'burst mix-up',
      was: 'rate_limiting_real',
    }),
    async ({ api }) => {
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          new Promise((r) => setTimeout(r, i * 50)).then(async () => {
            const id = `burst-${i}-${randomUUID()}`;
            const response = await api.get('/api/threads', { headers: { 'x-request-id': id } });
            return {
              id,
              status: response.status(),
              echoed: response.headers()['x-request-id'],
              nosniff: response.headers()['x-content-type-options'],
            };
          }),
        ),
      );
      for (const r of responses) expect(r).toEqual({ id: r.id, status: 200, echoed: r.id, nosniff: 'nosniff' });
    },
  );

  test(
    'test_019_error_handling_real',
    catalog({
      checks:
        'unknown route; DELETE /api/discovery/services; empty message; random thread; /api/threads/..%2F..%2Fetc%2Fpasswd → 404 {detail}; 405; 422; 404 "Thread not found"; 404; never 5xx',
      catches: 'error mapping',
    }),
    async ({ api, user }) => {
      const thread = await user.createThread();
      const checks = [
        { response: await api.get(`/api/no-such-route-${randomUUID()}`), status: 404 },
        { response: await api.delete('/api/discovery/services'), status: 405 },
        { response: await api.post(`/api/threads/${thread.id}/messages`, { data: { message: '' } }), status: 422 },
        { response: await api.get(`/api/threads/${randomUUID()}`), status: 404, detail: 'Thread not found' },
        { response: await api.get('/api/threads/..%2F..%2Fetc%2Fpasswd'), status: 404 },
      ];
      for (const check of checks) {
        expect(check.response.status(), `${check.response.url()} is never 5xx`).toBeLessThan(500);
        await expect(check.response).toBeContractError(check.status, check.detail);
      }
    },
  );

  test(
    'test_020_connection_resilience_real',
    catalog({ checks: '5 × (ws(U), ping, close 1000) → each opens with a new connection_id, pongs', catches: 'reconnect refused' }),
    async ({ sockets, user }) => {
      const ids: string[] = [];
      for (let round = 0; round < 5; round++) {
        const socket = await sockets.open(user);
        await expect(socket).toAnswerPing();
        ids.push(socket.connectionId);
        expect((await socket.close(1000)).code).toBe(1000);
      }
      expect(new Set(ids).size, 'each reconnect gets a new connection_id').toBe(5);
    },
  );

  test(
    'test_021_session_persistence_real',
    catalog({ checks: 'T; refresh; new access → T 200; /auth/me same user_id; ws opens', catches: 'session lost' }),
    async ({ users, user, sockets, request, settings }) => {
      const thread = await user.createThread();
      const refreshed = await request.post(`${settings.authUrl}/auth/refresh`, { data: { refresh_token: user.refreshToken } });
      expect(refreshed.status()).toBe(200);
      const pair = (await refreshed.json()) as TokenPair;
      users.track(pair);
      const api = await users.contextFor(pair.access_token);
      expect((await api.get(`/api/threads/${thread.id}`)).status(), 'the thread survives the refresh').toBe(200);
      const me = await api.get(`${settings.authUrl}/auth/me`);
      expect(me.status()).toBe(200);
      expect((await me.json()).user_id).toBe(user.id);
      await sockets.open(user, { token: pair.access_token });
    },
  );

  test(
    'test_022_agent_lifecycle_management_real',
    catalog({
      checks:
        'run(optimization, slow(RUN_DELAY_MS)); stop_agent{run_id} on agent_started; stop again → ends agent_completed status cancelled; quiet; ERR(RUN_NOT_ACTIVE); runs/{id} status cancelled',
      catches: 'stop ignored',
    }),
    async ({ sockets, user, settings }) => {
      const socket = await sockets.open(user);
      const run = await socket.startAgent('optimization', uniqueRequest('Find cost savings in our GPU fleet'), {
        context: { simulate_delay_ms: settings.runDelayMs },
      });
      await run.started();
      await socket.send({ type: 'stop_agent', run_id: run.runId });
      const frames = await socket.waitForRunEnd(run.runId);
      expect(lastFrame(frames)).toMatchObject({ type: 'agent_completed', status: 'cancelled' });
      await expect(socket).toStayQuiet({ match: (f) => f.run_id === run.runId });
      expect(await socket.sendExpectingError({ type: 'stop_agent', run_id: run.runId })).toBeErrorFrame('RUN_NOT_ACTIVE');
      const record = await user.api.get(`/api/agents/runs/${run.runId}`);
      expect(record.status()).toBe(200);
      expect((await record.json()).status).toBe('cancelled');
    },
  );

  test(
    'test_023_streaming_partial_results_real',
    catalog({
      checks: 'say(text) → ≥1 chunk before agent_completed; chunk_index 0..n-1 in arrival order; data.content = content',
      catches: 'buffered stream',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.say(uniqueRequest('Explain our monthly spend trend'))).finished();
      expect(frames).toStreamFinalResponse();
      for (const chunk of frames.filter((f: Frame) => f.type === 'stream_chunk')) {
        expect(chunk.data?.content, `chunk ${String(chunk.chunk_index)} data.content mirrors content`).toBe(chunk.content);
      }
    },
  );

  test(
    'test_024_message_ordering_real',
    catalog({
      checks:
        '5 numbered messages in sequence; REST; history → REST lists 1..5 oldest first, created_at non-decreasing; history holds all 5 (its order is not fixed)',
      catches: 'ordering',
    }),
    async ({ sockets, user }) => {
      const thread = await user.createThread();
      for (const n of [1, 2, 3, 4, 5]) await user.postMessage(thread.id, `ordered ${n}`);
      const { messages } = await user.messages(thread.id);
      const expected = [1, 2, 3, 4, 5].map((n) => `ordered ${n}`);
      expect(messages.map((m) => m.content)).toEqual(expected);
      const times = messages.map((m) => Date.parse(m.created_at));
      expect(times, 'created_at never decreases').toEqual([...times].sort((x, y) => x - y));
      const socket = await sockets.open(user);
      const history = await socket.threadHistory(thread.id);
      expect((history.data?.messages as Message[]).map((m) => m.content)).toEqual(expected);
    },
  );

  test(
    'test_025_critical_event_delivery_real',
    catalog({ checks: 'say(cost request) → 5 GP types, one run_id, GP order; completes', catches: 'event dropped' }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.say(uniqueRequest('How can we cut our inference cost'))).finished();
      for (const type of GOLDEN_PATH)
        expect(
          frames.map((f) => f.type),
          `the run has ${type}`,
        ).toContain(type);
      expect(frames).toFollowGoldenPath();
      for (const frame of frames) expect(frame.timestamp).toMatch(ISO_UTC);
    },
  );
});
