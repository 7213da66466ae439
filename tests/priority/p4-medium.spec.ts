import { randomUUID } from 'node:crypto';
import { test, expect, type Thread } from '../../fixtures';
import { FORCED_FAILURE } from '../../fixtures/client/contract';
import { percentile, timed } from '../../fixtures/client/time';
import { uniqueRequest } from '../../fixtures/client/unique';
import { catalog, category } from '../catalog';

/** Counts these tests are defined by (docs/catalog.md); thresholds come from settings. */
const SAMPLES = 5;
const SOCKET_USERS = 10;
const PINGS = 50;
const CONCURRENT_RUNS = 3;
const PARALLEL_WRITES = 20;
const BREAKER_FAILURES = 5;
const POOL_ROUNDS = 15;

const { title, details } = category('P4');

test.describe(title, details, () => {
  test(
    'test_056_response_time_p50',
    catalog({
      checks: 'Five /health requests all answer healthy in the configured environment, with a median latency within LATENCY_P50_MS.',
      catches: 'slow health',
    }),
    async ({ request, settings }) => {
      const durations: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const { value: response, ms } = await timed(() => request.get('/health'));
        durations.push(ms);
        await expect(response).toMatchContract('GET /health', 200, { environment: settings.environment });
      }
      expect(percentile(durations, 50), '/health median (ms) within LATENCY_P50_MS').toBeLessThanOrEqual(settings.latencyP50Ms);
    },
  );

  test(
    'test_057_response_time_p95',
    catalog({
      checks:
        'Five /api/discovery/services requests all answer the service map (backend and auth URLs, available true), with ' +
        'a p95 latency within LATENCY_P95_MS.',
      catches: 'slow discovery',
    }),
    async ({ request, settings }) => {
      const durations: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const { value: response, ms } = await timed(() => request.get('/api/discovery/services'));
        durations.push(ms);
        await expect(response).toMatchContract('GET /api/discovery/services', 200);
      }
      expect(percentile(durations, 95), 'discovery p95 (ms) within LATENCY_P95_MS').toBeLessThanOrEqual(settings.latencyP95Ms);
    },
  );

  test(
    'test_058_response_time_p99',
    catalog({
      checks: 'Five /api/mcp/servers requests all list at least one connected MCP server, with a p99 latency within LATENCY_P99_MS.',
      catches: 'slow listing',
    }),
    async ({ request, settings }) => {
      const durations: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const { value: response, ms } = await timed(() => request.get('/api/mcp/servers'));
        durations.push(ms);
        await expect(response).toMatchContract('GET /api/mcp/servers', 200);
      }
      expect(percentile(durations, 99), 'MCP server listing p99 (ms) within LATENCY_P99_MS').toBeLessThanOrEqual(settings.latencyP99Ms);
    },
  );

  test(
    'test_059_throughput_real',
    catalog({
      checks:
        '/health requested back to back for THROUGHPUT_WINDOW_S: the share of 200 healthy answers is at least ' +
        'MIN_SUCCESS_RATIO and they come at THROUGHPUT_MIN_RPS or more per second.',
      catches: 'sustained load',
    }),
    async ({ request, settings }) => {
      const windowMs = settings.throughputWindowS * 1000;
      const start = performance.now();
      let total = 0;
      let healthy = 0;
      while (performance.now() - start < windowMs) {
        const response = await request.get('/health');
        const body = (await response.json().catch(() => undefined)) as { status?: string } | undefined;
        total++;
        healthy += Number(response.status() === 200 && body?.status === 'healthy');
      }
      const elapsedS = (performance.now() - start) / 1000;
      expect(total, 'requests sent in the window').toBeGreaterThan(0);
      expect(healthy / total, `healthy share of ${total} /health answers within MIN_SUCCESS_RATIO`).toBeGreaterThanOrEqual(
        settings.minSuccessRatio,
      );
      expect(healthy / elapsedS, 'healthy answers per second within THROUGHPUT_MIN_RPS').toBeGreaterThanOrEqual(settings.throughputMinRps);
    },
  );

  test(
    'test_060_concurrent_connections_real',
    catalog({
      checks: 'Ten users open sockets at once: each opens as its own user with a distinct connection id and answers ping.',
      catches: 'cross-wired upgrades',
    }),
    async ({ users, sockets }) => {
      const everyone = await Promise.all(Array.from({ length: SOCKET_USERS }, () => users.create()));
      // sockets.open asserts each welcome names the user who connected, so a cross-wired upgrade fails here.
      const opened = await Promise.all(everyone.map((u) => sockets.open(u)));
      expect(new Set(opened.map((s) => s.connectionId)).size, 'distinct connection_ids').toBe(SOCKET_USERS);
      await Promise.all(opened.map((socket) => expect(socket).toAnswerPing()));
    },
  );

  test(
    'test_061_sustained_ping',
    catalog({
      checks:
        'Fifty pings, one at a time, on one socket are each answered by a pong (echo or server time), one pong per ping, ' +
        'with a p95 round trip within WS_PING_MS.',
      catches: 'socket decay',
      was: 'memory_usage_real',
    }),
    async ({ sockets, user, settings }) => {
      const socket = await sockets.open(user);
      const from = socket.frames.length;
      const rtts: number[] = [];
      for (let i = 0; i < PINGS; i++) {
        const { pong, rttMs, answer } = await socket.ping();
        await expect(pong, `pong #${i + 1}`).toMatchContract({ type: 'pong' });
        expect(answer, `pong #${i + 1} echoes its ping or carries the server time`).toBeDefined();
        rtts.push(rttMs);
      }
      expect(
        socket.frames.slice(from).filter((f) => f.type === 'pong'),
        'one pong per ping',
      ).toHaveLength(PINGS);
      expect(percentile(rtts, 95), 'ping round trip p95 (ms) within WS_PING_MS').toBeLessThanOrEqual(settings.wsPingMs);
    },
  );

  test(
    'test_062_concurrent_runs',
    catalog({
      checks: "Three users each send a user_message at once: every run completes on the golden path and carries its own user's id.",
      catches: 'starvation',
      was: 'cpu_usage',
    }),
    async ({ users, sockets }) => {
      const everyone = await Promise.all(Array.from({ length: CONCURRENT_RUNS }, () => users.create()));
      const socketsByUser = await Promise.all(everyone.map((u) => sockets.open(u)));
      const runs = await Promise.all(
        socketsByUser.map((socket, i) => socket.say(uniqueRequest(`Summarise weekly agent usage for team ${i}`))),
      );
      const results = await Promise.all(runs.map((run) => run.finished()));
      results.forEach((frames, i) => {
        expect(frames, `run of user ${i + 1}`).toFollowGoldenPath();
        expect(new Set(frames.map((f) => f.user_id)), `run of user ${i + 1} belongs to that user`).toEqual(new Set([everyone[i].id]));
      });
    },
  );

  test(
    'test_063_concurrent_thread_writes',
    catalog({
      checks:
        "Twenty thread creations at once all succeed as the user's threads with the titles sent and distinct ids, and " +
        '?limit=100 lists every one of them.',
      catches: 'lost writes',
      was: 'database_connection_pool_real',
    }),
    async ({ api, user }) => {
      const responses = await Promise.all(
        Array.from({ length: PARALLEL_WRITES }, (_, i) => api.post('/api/threads', { data: { title: `parallel ${i}` } })),
      );
      for (const [i, response] of responses.entries())
        await expect(response, `thread #${i}`).toMatchContract('POST /api/threads', 200, {
          title: `parallel ${i}`,
          metadata: { user_id: user.id },
        });
      const ids = ((await Promise.all(responses.map((r) => r.json()))) as Thread[]).map((t) => t.id);
      expect(new Set(ids).size, 'distinct thread ids').toBe(PARALLEL_WRITES);
      const list = await api.get('/api/threads?limit=100');
      await expect(list).toMatchContract('GET /api/threads', 200);
      expect(((await list.json()) as Thread[]).map((t) => t.id).sort(), 'the list holds every thread written').toEqual([...ids].sort());
    },
  );

  test(
    'test_064_read_after_write',
    catalog({
      checks:
        "A thread's title is read (priming any cache), changed with PUT, and then read at once by GET and by the list: " +
        'both show the new title, and updated_at is not before created_at.',
      catches: 'stale cache',
      was: 'cache_hit_rate',
    }),
    async ({ api, user }) => {
      const thread = await user.createThread({ title: 'before the write' });
      // Prime any read cache with the old title before writing.
      await expect(await api.get(`/api/threads/${thread.id}`)).toMatchContract('GET /api/threads/{id}', 200, { title: 'before the write' });
      const title = `after the write ${randomUUID()}`;
      const put = await api.put(`/api/threads/${thread.id}`, { data: { title } });
      await expect(put).toMatchContract('PUT /api/threads/{id}', 200, { id: thread.id, title });
      const [one, list] = await Promise.all([api.get(`/api/threads/${thread.id}`), api.get('/api/threads?limit=100')]);
      await expect(one, 'GET shows the new title').toMatchContract('GET /api/threads/{id}', 200, { id: thread.id, title });
      await expect(list).toMatchContract('GET /api/threads', 200);
      expect(((await list.json()) as Thread[]).find((t) => t.id === thread.id)?.title, 'the list shows the new title').toBe(title);
      const fetched = (await one.json()) as Thread;
      expect(Date.parse(fetched.updated_at), 'updated_at ≥ created_at').toBeGreaterThanOrEqual(Date.parse(fetched.created_at));
    },
  );

  test(
    'test_065_cold_start',
    catalog({
      checks:
        'The first request of a new context to /health and to /auth/health each answers healthy (the backend in the ' +
        'configured environment) within COLD_START_MS.',
      catches: 'cold start',
    }),
    async ({ playwright, settings }) => {
      const checks = [
        { url: `${settings.baseUrl}/health`, operation: 'GET /health', fields: { environment: settings.environment } },
        { url: `${settings.authUrl}/auth/health`, operation: 'GET /auth/health', fields: {} },
      ];
      for (const check of checks) {
        const context = await playwright.request.newContext();
        try {
          const { value: response, ms } = await timed(() => context.get(check.url));
          await expect(response, check.url).toMatchContract(check.operation, 200, check.fields);
          expect(ms, `first request of a new context to ${check.url} (ms) within COLD_START_MS`).toBeLessThanOrEqual(settings.coldStartMs);
        } finally {
          await context.dispose();
        }
      }
    },
  );

  test(
    'test_066_warm_start',
    catalog({
      checks: 'After a warm-up request, five /health requests on the same context each answer healthy within WARM_MS.',
      catches: 'slow steady state',
    }),
    async ({ request, settings }) => {
      await expect(await request.get('/health'), 'warm-up request').toMatchContract('GET /health', 200);
      for (let i = 0; i < SAMPLES; i++) {
        const { value: response, ms } = await timed(() => request.get('/health'));
        await expect(response, `warm /health #${i + 1}`).toMatchContract('GET /health', 200);
        expect(ms, `warm /health #${i + 1} (ms) within WARM_MS`).toBeLessThanOrEqual(settings.warmMs);
      }
    },
  );

  test(
    'test_067_partial_disconnect',
    catalog({
      checks:
        "Of a user's two sockets, the first closes with 1000; the second still answers ping and receives a whole " +
        'supervisor run (golden path, chunks joining to the final response).',
      catches: 'close kills siblings',
      was: 'graceful_shutdown',
    }),
    async ({ sockets, user }) => {
      const [first, second] = [await sockets.open(user), await sockets.open(user)];
      expect((await first.close(1000)).code).toBe(1000);
      await expect(second).toAnswerPing();
      const frames = await (await second.say(uniqueRequest('Report yesterday agent error rates'))).finished();
      expect(frames, 'the remaining socket gets the whole run').toFollowGoldenPath();
      expect(frames).toStreamFinalResponse();
    },
  );

  test(
    'test_068_circuit_breaker_real',
    catalog({
      checks:
        'Five REST triage runs with force_failure each fail with 500 {"status":"error","agent":"triage"}; the next ' +
        'normal triage run still succeeds.',
      catches: 'breaker stuck',
    }),
    async ({ api }) => {
      for (let i = 0; i < BREAKER_FAILURES; i++) {
        const failed = await api.post('/api/agents/execute', {
          data: { type: 'triage', message: uniqueRequest(`Classify failing request ${i}`), ...FORCED_FAILURE },
        });
        await expect(failed, `forced failure #${i + 1}`).toMatchContract('POST /api/agents/execute', 500, {
          status: 'error',
          agent: 'triage',
        });
      }
      const normal = await api.post('/api/agents/execute', {
        data: { type: 'triage', message: uniqueRequest('Classify a normal request') },
      });
      await expect(normal, 'the normal run after the failures').toMatchContract('POST /api/agents/execute', 200, { agent: 'triage' });
    },
  );

  test(
    'test_069_connection_slot_release',
    catalog({
      checks:
        'With the 10 connections /ws/config allows open, an 11th upgrade is accepted, told CONNECTION_LIMIT and closed ' +
        '1008; after one of the 10 closes, a new socket opens (retried for up to SETTLE_MS while the slot is freed) and ' +
        'answers ping.',
      catches: 'slot leak',
      was: 'retry_backoff',
    }),
    async ({ sockets, user, request, settings }) => {
      const config = await request.get('/ws/config');
      await expect(config).toMatchContract('GET /ws/config', 200);
      const limit = (await config.json()).websocket_config.max_connections_per_user as number;
      const held = await Promise.all(Array.from({ length: limit }, () => sockets.open(user)));
      const over = await sockets.upgrade({ user });
      expect(over.status, `connection #${limit + 1} is accepted`).toBe(101);
      const error = await over.socket!.waitFor('error_message', { timeout: settings.wsHandshakeMs });
      await expect(error, `connection #${limit + 1} is told CONNECTION_LIMIT`).toMatchContract({
        type: 'error_message',
        error_code: 'CONNECTION_LIMIT',
      });
      expect((await over.socket!.closedWithin(settings.wsHandshakeMs))?.code, `connection #${limit + 1} is closed 1008`).toBe(1008);
      expect((await held[0].close(1000)).code).toBe(1000);
      // A target may free the slot a moment after the close: a refused attempt is told CONNECTION_LIMIT and closed.
      await expect(async () => {
        const again = await sockets.open(user);
        await expect(again, 'the released slot is usable').toAnswerPing();
        expect(
          again.frames.filter((f) => f.type === 'error_message'),
          'the new socket is not told CONNECTION_LIMIT',
        ).toEqual([]);
      }, 'a new socket opens in the released slot').toPass({ timeout: settings.settleMs });
    },
  );

  test(
    'test_070_connection_pooling_real',
    catalog({
      checks:
        'Two users alternate 15 rounds of thread listings over one shared keep-alive context: every answer lists only the ' +
        "asking user's own thread.",
      catches: 'auth per connection',
    }),
    async ({ users, request }) => {
      const [u1, u2] = await Promise.all([users.create(), users.create()]);
      const [t1, t2] = await Promise.all([u1.createThread(), u2.createThread()]);
      // One shared keep-alive context; only the Authorization header tells the users apart.
      for (let round = 0; round < POOL_ROUNDS; round++) {
        for (const [who, own] of [
          [u1, t1],
          [u2, t2],
        ] as const) {
          const response = await request.get('/api/threads', { headers: { Authorization: `Bearer ${who.accessToken}` } });
          await expect(response, `round ${round + 1}`).toMatchContract('GET /api/threads', 200);
          expect(
            ((await response.json()) as Thread[]).map((t) => t.id),
            `round ${round + 1}: ${who.id} sees only its own thread`,
          ).toEqual([own.id]);
        }
      }
    },
  );
});
