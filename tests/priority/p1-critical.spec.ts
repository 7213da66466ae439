import { randomUUID } from 'node:crypto';
import { test, expect, type Message, type Thread, type TokenPair } from '../../fixtures';
import { AGENT_TYPES, TOOL_MAP } from '../../fixtures/client/contract';
import { lastFrame } from '../../fixtures/client/frames';
import { messageViews, roleContents } from '../../fixtures/client/messages';
import { percentile } from '../../fixtures/client/time';
import { contractClaims, randomSecret, signToken, subprotocolFor } from '../../fixtures/client/tokens';
import { uniqueRequest } from '../../fixtures/client/unique';
import { catalog, category } from '../catalog';

const { title, details } = category('P1');

test.describe(title, details, () => {
  test(
    'test_001_websocket_connection_real',
    catalog({
      checks: 'An upgrade without a token is refused with HTTP 403; a user with a token gets a socket that opens and answers ping.',
      catches: 'open upgrade',
    }),
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
      checks:
        "A token signed with another secret is refused with HTTP 403; the user's token offered as a jwt.<base64url> " +
        'subprotocol opens a socket, and that subprotocol entry is the one selected.',
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
    catalog({
      checks:
        'A user_message starts a run: its agent_started arrives within FIRST_EVENT_MS with the request as ' +
        "task_description and the user's id.",
      catches: 'no run started',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const text = uniqueRequest('Summarise how our model usage changed last week');
      const started = await (await socket.say(text)).started();
      await expect(started).toMatchContract({ type: 'agent_started', task_description: text, user_id: user.id });
    },
  );

  test(
    'test_004_websocket_concurrent_connections_real',
    catalog({
      checks: 'Five sockets of one user open at once with distinct connection ids and each answers ping; /ws/health counts at least five.',
      catches: 'multi-tab',
    }),
    async ({ sockets, user, request }) => {
      const opened = await Promise.all(Array.from({ length: 5 }, () => sockets.open(user)));
      expect(new Set(opened.map((s) => s.connectionId)).size, 'distinct connection_ids').toBe(5);
      for (const socket of opened) await expect(socket).toAnswerPing();
      const health = await request.get('/ws/health');
      await expect(health).toMatchContract('GET /ws/health', 200);
      expect((await health.json()).active_connections, '/ws/health counts at least these 5').toBeGreaterThanOrEqual(5);
    },
  );

  test(
    'test_005_agent_discovery_real',
    catalog({
      checks: 'At least one MCP server is listed and connected; /api/agents lists triage, data, optimization and supervisor.',
      catches: 'catalog gone',
    }),
    async ({ request, api }) => {
      const servers = await request.get('/api/mcp/servers');
      await expect(servers).toMatchContract('GET /api/mcp/servers', 200);
      const agents = await api.get('/api/agents');
      await expect(agents).toMatchContract('GET /api/agents', 200);
      const listed = ((await agents.json()).agents as { type: string }[]).map((a) => a.type);
      expect(listed, 'the four agent types are listed').toEqual(expect.arrayContaining([...AGENT_TYPES]));
    },
  );

  test(
    'test_006_agent_configuration_real',
    catalog({
      checks:
        '/api/mcp/config is a non-empty object; /ws/config gives a positive heartbeat interval, connection timeout and ' +
        'message size, and 10 connections per user.',
      catches: 'config routes',
    }),
    async ({ request }) => {
      const mcpConfig = await request.get('/api/mcp/config');
      await expect(mcpConfig).toMatchContract('GET /api/mcp/config', 200);
      expect(Object.keys(await mcpConfig.json()).length, '/api/mcp/config is not empty').toBeGreaterThan(0);
      const wsConfig = await request.get('/ws/config');
      await expect(wsConfig).toMatchContract('GET /ws/config', 200, { websocket_config: { max_connections_per_user: 10 } });
      const { websocket_config: ws } = await wsConfig.json();
      expect(ws.heartbeat_interval, 'heartbeat_interval').toBeGreaterThan(0);
      expect(ws.connection_timeout, 'connection_timeout').toBeGreaterThan(0);
      expect(ws.max_message_size, 'max_message_size').toBeGreaterThan(0);
    },
  );

  test(
    'test_007_agent_execution_endpoints_real',
    catalog({
      checks:
        'REST runs of triage (execute) and data (/api/agents/data) succeed as AgentResults of their type; an unknown ' +
        'type is 404 on /api/agents/{type} and 422 on execute; an empty message is 422.',
      catches: 'execute, validation',
    }),
    async ({ api }) => {
      const triage = await api.post('/api/agents/execute', {
        data: { type: 'triage', message: uniqueRequest('Route this billing question') },
      });
      await expect(triage).toMatchContract('POST /api/agents/execute', 200, { agent: 'triage' });
      const data = await api.post('/api/agents/data', { data: { message: uniqueRequest('Show request volume by day') } });
      await expect(data).toMatchContract('POST /api/agents/{type}', 200, { agent: 'data' });
      await expect(await api.post('/api/agents/bogus', { data: { message: 'hello' } })).toMatchContract('POST /api/agents/{type}', 404);
      const unknown = await api.post('/api/agents/execute', { data: { type: 'bogus', message: 'hello' } });
      await expect(unknown).toMatchContract('POST /api/agents/execute', 422);
      const empty = await api.post('/api/agents/execute', { data: { type: 'triage', message: '' } });
      await expect(empty).toMatchContract('POST /api/agents/execute', 422);
    },
  );

  test(
    'test_008_agent_streaming_capabilities_real',
    catalog({
      checks:
        "A data run streams its answer: the chunks joined by chunk_index equal final_response, and the thread's last " +
        'message becomes that answer, from the assistant.',
      catches: 'chunks ≠ answer',
    }),
    async ({ sockets, user, settings }) => {
      const thread = await user.createThread();
      const socket = await sockets.open(user);
      const frames = await (
        await socket.startAgent('data', uniqueRequest('Analyse token usage per model'), { threadId: thread.id })
      ).finished();
      expect(frames).toStreamFinalResponse();
      const answer = lastFrame(frames).final_response;
      await expect
        .poll(async () => lastFrame((await user.messages(thread.id)).messages), {
          message: "the thread's last message is the assistant's answer",
          timeout: settings.settleMs,
        })
        .toMatchObject({ role: 'assistant', content: answer });
    },
  );

  test(
    'test_009_agent_status_monitoring_real',
    catalog({
      checks:
        '/health and /api/health are healthy and name the configured environment; /health/ready is ready with its three ' +
        'checks ok; /ws/health is healthy or degraded.',
      catches: 'status routes',
    }),
    async ({ request, settings }) => {
      for (const path of ['/health', '/api/health'] as const) {
        await expect(await request.get(path), path).toMatchContract(`GET ${path}`, 200, { environment: settings.environment });
      }
      await expect(await request.get('/health/ready')).toMatchContract('GET /health/ready', 200);
      await expect(await request.get('/ws/health')).toMatchContract('GET /ws/health', 200);
    },
  );

  test(
    'test_010_tool_execution_endpoints_real',
    catalog({
      checks:
        'A data run calls data_query and metrics_aggregator: each tool_executing is followed by its tool_completed (same ' +
        'execution_id), with an object of results, success true and a duration of at least 0.',
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
    catalog({
      checks: 'Ten /health requests all answer healthy, with a p95 latency within HEALTH_P95_MS.',
      catches: 'slow health',
    }),
    async ({ request, settings }) => {
      const durations: number[] = [];
      for (let i = 0; i < 10; i++) {
        const start = performance.now();
        const response = await request.get('/health');
        durations.push(performance.now() - start);
        await expect(response).toMatchContract('GET /health', 200);
      }
      expect(percentile(durations, 95), '/health p95 (ms) within HEALTH_P95_MS').toBeLessThanOrEqual(settings.healthP95Ms);
    },
  );

  test(
    'test_012_message_persistence_real',
    catalog({
      checks: 'A posted message comes back as a user message with the same content, and the thread lists it, same id, as its only message.',
      catches: 'not stored',
    }),
    async ({ user, api }) => {
      const thread = await user.createThread();
      const content = `persist me ${randomUUID()}`;
      const posted = await api.post(`/api/threads/${thread.id}/messages`, { data: { message: content } });
      await expect(posted).toMatchContract('POST /api/threads/{id}/messages', 200, { thread_id: thread.id, role: 'user', content });
      const message = (await posted.json()) as Message;
      const listed = await user.messages(thread.id);
      expect(listed.total).toBe(1);
      expect(listed.messages.map((m) => [m.id, m.content])).toEqual([[message.id, content]]);
    },
  );

  test(
    'test_013_thread_creation_real',
    catalog({
      checks:
        'A new thread has ISO times, no messages, the metadata sent plus the owner as metadata.user_id; reading it back ' +
        'gives the same id, title, metadata and created_at.',
      catches: 'owner lost',
    }),
    async ({ user, api }) => {
      const marker = randomUUID();
      const created = await api.post('/api/threads', { data: { title: 'P1 thread', metadata: { k: marker } } });
      await expect(created).toMatchContract('POST /api/threads', 200, {
        title: 'P1 thread',
        message_count: 0,
        metadata: { k: marker, user_id: user.id },
      });
      const thread = (await created.json()) as Thread;
      const fetched = await api.get(`/api/threads/${thread.id}`);
      // The fields the contract defines for both answers; a target may add others to either.
      await expect(fetched).toMatchContract('GET /api/threads/{id}', 200, {
        id: thread.id,
        title: thread.title,
        created_at: thread.created_at,
        metadata: { k: marker, user_id: user.id },
      });
    },
  );

  test(
    'test_014_thread_switching_real',
    catalog({
      checks:
        'Two runs on one socket in threads T1 and T2 each carry their own thread_id, and each thread holds only its ' +
        'own request and answer.',
      catches: 'thread mix-up',
    }),
    async ({ sockets, user, settings }) => {
      const [t1, t2] = [await user.createThread(), await user.createThread()];
      const socket = await sockets.open(user);
      const a = uniqueRequest('What did the data pipeline cost');
      const b = uniqueRequest('Which agents ran most often');
      const runA = await (await socket.say(a, { threadId: t1.id })).finished();
      const runB = await (await socket.say(b, { threadId: t2.id })).finished();
      expect(new Set(runA.map((f) => f.thread_id))).toEqual(new Set([t1.id]));
      expect(new Set(runB.map((f) => f.thread_id))).toEqual(new Set([t2.id]));
      for (const [thread, text, frames] of [
        [t1, a, runA],
        [t2, b, runB],
      ] as const) {
        await expect
          .poll(async () => roleContents((await user.messages(thread.id)).messages), { timeout: settings.settleMs })
          .toEqual([
            ['user', text],
            ['assistant', lastFrame(frames).final_response],
          ]);
      }
    },
  );

  test(
    'test_015_thread_history_real',
    catalog({
      checks:
        'Of three messages, ?limit=2&offset=1 returns the 2nd and 3rd with total 3; thread_history over the socket ' +
        'holds the same messages (ids, roles, contents) as the full REST list, in any order.',
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
      await expect(history).toMatchContract({ type: 'thread_history' });
      expect(messageViews(history.data?.messages as Message[])).toEqual(messageViews(full.messages));
    },
  );

  test(
    'test_016_user_context_isolation_real',
    catalog({
      checks:
        "Another user is refused U1's thread (403 Access denied) and its run (403), and neither appears in that user's " +
        'thread or run lists.',
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
      await expect(await u2.api.get(`/api/threads/${thread.id}`)).toMatchContract('GET /api/threads/{id}', 403, {
        detail: 'Access denied',
      });
      const threads = await u2.api.get('/api/threads?limit=100');
      await expect(threads).toMatchContract('GET /api/threads', 200);
      expect(((await threads.json()) as Thread[]).map((t) => t.id)).not.toContain(thread.id);
      const runs = await u2.api.get('/api/agents/runs');
      await expect(runs).toMatchContract('GET /api/agents/runs', 200);
      expect(((await runs.json()).runs as { run_id: string }[]).map((r) => r.run_id)).not.toContain(runId);
      await expect(await u2.api.get(`/api/agents/runs/${runId}`)).toMatchContract('GET /api/agents/runs/{run_id}', 403);
    },
  );

  test(
    'test_017_concurrent_users_real',
    catalog({
      checks:
        'CONCURRENT_USERS users at once each create a thread, post a message and list threads: every call succeeds ' +
        'and each list holds exactly its own thread.',
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
      checks: 'Thirty thread listings 50 ms apart, each with its own x-request-id, all answer 200 echoing their own id, with nosniff.',
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
      for (const r of responses) expect(r, `request ${r.id}`).toMatchObject({ status: 200, echoed: r.id, nosniff: 'nosniff' });
    },
  );

  test(
    'test_019_error_handling_real',
    catalog({
      checks:
        'Errors map to the contract and never to 5xx: unknown route 404 {detail}; wrong method 405; empty message 422; ' +
        'unknown thread 404 "Thread not found"; a path-traversal id 404.',
      catches: 'error mapping',
    }),
    async ({ api, user }) => {
      const thread = await user.createThread();
      await expect(await api.get(`/api/no-such-route-${randomUUID()}`), 'unknown route').toMatchContract('*', 404);
      await expect(await api.delete('/api/discovery/services'), 'wrong method').toMatchContract('*', 405);
      const empty = await api.post(`/api/threads/${thread.id}/messages`, { data: { message: '' } });
      await expect(empty, 'empty message').toMatchContract('POST /api/threads/{id}/messages', 422);
      const unknown = await api.get(`/api/threads/${randomUUID()}`);
      await expect(unknown, 'unknown thread').toMatchContract('GET /api/threads/{id}', 404, { detail: 'Thread not found' });
      // Whether %2F reaches the route as part of the id or as a path separator, the answer is a 404 with a detail.
      await expect(await api.get('/api/threads/..%2F..%2Fetc%2Fpasswd'), 'path traversal').toMatchContract('*', 404);
    },
  );

  test(
    'test_020_connection_resilience_real',
    catalog({
      checks: 'Five rounds of open, ping, close 1000: every socket opens with a new connection id and answers ping.',
      catches: 'reconnect refused',
    }),
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
    catalog({
      checks: "After a refresh, the new access token reads the user's thread, /auth/me names the same user, and a socket opens with it.",
      catches: 'session lost',
    }),
    async ({ users, user, sockets, request, settings }) => {
      const thread = await user.createThread();
      const refreshed = await request.post(`${settings.authUrl}/auth/refresh`, { data: { refresh_token: user.refreshToken } });
      await expect(refreshed).toMatchContract('POST /auth/refresh', 200);
      const pair = (await refreshed.json()) as TokenPair;
      users.track(pair);
      const api = await users.contextFor(pair.access_token);
      await expect(await api.get(`/api/threads/${thread.id}`), 'the thread survives the refresh').toMatchContract(
        'GET /api/threads/{id}',
        200,
        {
          id: thread.id,
        },
      );
      await expect(await api.get(`${settings.authUrl}/auth/me`)).toMatchContract('GET /auth/me', 200, { user_id: user.id });
      await sockets.open(user, { token: pair.access_token });
    },
  );

  test(
    'test_022_agent_lifecycle_management_real',
    catalog({
      checks:
        'stop_agent on a slowed run ends it with agent_completed status cancelled and nothing more for it; a second stop ' +
        'is RUN_NOT_ACTIVE; the run is recorded as cancelled.',
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
      await expect(lastFrame(frames)).toMatchContract({ type: 'agent_completed', status: 'cancelled' });
      await expect(socket).toStayQuiet({ match: (f) => f.run_id === run.runId });
      await expect(await socket.sendExpectingError({ type: 'stop_agent', run_id: run.runId })).toMatchContract({
        type: 'error_message',
        error_code: 'RUN_NOT_ACTIVE',
      });
      await expect
        .poll(async () => (await user.api.get(`/api/agents/runs/${run.runId}`)).json(), { timeout: settings.settleMs })
        .toMatchObject({ run_id: run.runId, status: 'cancelled' });
    },
  );

  test(
    'test_023_streaming_partial_results_real',
    catalog({
      checks:
        'A run sends at least one stream_chunk before agent_completed, chunk_index 0..n-1 in arrival order, each mirrored under data.',
      catches: 'buffered stream',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.say(uniqueRequest('Explain our monthly spend trend'))).finished();
      expect(frames).toStreamFinalResponse();
      await expect(frames.filter((f) => f.type === 'stream_chunk')).toMatchContract({ type: 'stream_chunk' });
    },
  );

  test(
    'test_024_message_ordering_real',
    catalog({
      checks:
        'Five numbered messages are listed 1..5 oldest first with created_at never decreasing; thread_history holds all ' +
        'five, in an order the contract leaves open.',
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
      await expect(history).toMatchContract({ type: 'thread_history' });
      expect((history.data?.messages as Message[]).map((m) => m.content).sort()).toEqual([...expected].sort());
    },
  );

  test(
    'test_025_critical_event_delivery_real',
    catalog({
      checks:
        'A cost request over user_message delivers all five golden-path event types, of one run, in golden-path order, to completion.',
      catches: 'event dropped',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const frames = await (await socket.say(uniqueRequest('How can we cut our inference cost'))).finished();
      // Every golden-path type present, in order, no holes: the matcher names whatever is missing.
      expect(frames).toFollowGoldenPath();
      await expect(frames).toMatchContract();
    },
  );
});
