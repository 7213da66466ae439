import { randomUUID } from 'node:crypto';
import { test, expect, type Thread } from '../../fixtures';
import { catalog, category } from '../catalog';
import { percentile, timed } from '../../fixtures/client/time';
import { uniqueRequest } from '../../fixtures/client/unique';
import { shapes } from '../../fixtures/shapes';

/** Counts fixed by the catalog rows (suites.md P4); thresholds come from settings. */
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
    catalog({ checks: '5 × /health → all 200 healthy; median ≤ LATENCY_P50_MS', catches: 'slow health' }),
    async ({ request, settings }) => {
      const durations: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const { value: response, ms } = await timed(() => request.get('/health'));
        durations.push(ms);
        expect(response.status()).toBe(200);
        expect(await response.json()).toMatchObject(shapes.backendHealth(settings.environment));
      }
      expect(percentile(durations, 50), '/health median (ms) within LATENCY_P50_MS').toBeLessThanOrEqual(settings.latencyP50Ms);
    },
  );

  test(
    'test_057_response_time_p95',
    catalog({
      checks: '5 × /api/discovery/services → all 200, backend url, available true; p95 ≤ LATENCY_P95_MS',
      catches: 'slow discovery',
    }),
    async ({ request, settings }) => {
      const durations: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const { value: response, ms } = await timed(() => request.get('/api/discovery/services'));
        durations.push(ms);
        expect(response.status()).toBe(200);
        expect(await response.json()).toMatchObject(shapes.discovery());
      }
      expect(percentile(durations, 95), 'discovery p95 (ms) within LATENCY_P95_MS').toBeLessThanOrEqual(settings.latencyP95Ms);
    },
  );

  test(
    'test_058_response_time_p99',
    catalog({ checks: '5 × /api/mcp/servers → all 200, data non-empty; p99 ≤ LATENCY_P99_MS', catches: 'slow listing' }),
    async ({ request, settings }) => {
      const durations: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const { value: response, ms } = await timed(() => request.get('/api/mcp/servers'));
        durations.push(ms);
        expect(response.status()).toBe(200);
        const { data } = (await response.json()) as { data: unknown[] };
        expect(data.length, 'at least one MCP server listed').toBeGreaterThanOrEqual(1);
        for (const server of data) expect(server).toMatchObject(shapes.mcpServer());
      }
      expect(percentile(durations, 99), 'MCP server listing p99 (ms) within LATENCY_P99_MS').toBeLessThanOrEqual(settings.latencyP99Ms);
    },
  );

  test(
    'test_059_throughput_real',
    catalog({
      checks: '/health back-to-back for THROUGHPUT_WINDOW_S → healthy share ≥ MIN_SUCCESS_RATIO; rate ≥ THROUGHPUT_MIN_RPS',
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
    catalog({ checks: '10 users open sockets at once → all open, all pong', catches: 'cross-wired upgrades' }),
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
      checks: '50 pings, one at a time → each answered by a pong; p95 RTT ≤ WS_PING_MS',
      catches: 'socket decay',
      was: 'memory_usage_real',
    }),
    async ({ sockets, user, settings }) => {
      const socket = await sockets.open(user);
      const from = socket.frames.length;
      const stamps = Array.from({ length: PINGS }, (_, i) => `p4-061-${i}-${randomUUID()}`);
      const rtts: number[] = [];
      for (const stamp of stamps) {
        const { pong, rttMs } = await socket.ping(stamp);
        expect(pong.data?.timestamp, 'pong echoes its ping timestamp').toBe(stamp);
        rtts.push(rttMs);
      }
      const pongs = socket.frames.slice(from).filter((f) => f.type === 'pong');
      expect(
        pongs.map((p) => p.data?.timestamp),
        `${PINGS} pongs, one per ping, in order`,
      ).toEqual(stamps);
      expect(percentile(rtts, 95), 'ping round trip p95 (ms) within WS_PING_MS').toBeLessThanOrEqual(settings.wsPingMs);
    },
  );

  test(
    'test_062_concurrent_runs',
    catalog({ checks: '3 users say at once → all complete', catches: 'starvation', was: 'cpu_usage' }),
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
      checks: '20 parallel POST /api/threads → 20 × 200, distinct ids; ?limit=100 lists all',
      catches: 'lost writes',
      was: 'database_connection_pool_real',
    }),
    async ({ api, user }) => {
      const responses = await Promise.all(
        Array.from({ length: PARALLEL_WRITES }, (_, i) => api.post('/api/threads', { data: { title: `parallel ${i}` } })),
      );
      expect(responses.map((r) => r.status())).toEqual(Array(PARALLEL_WRITES).fill(200));
      const created = (await Promise.all(responses.map((r) => r.json()))) as Thread[];
      for (const thread of created) expect(thread).toMatchObject(shapes.thread(user.id));
      const ids = created.map((t) => t.id);
      expect(new Set(ids).size, 'distinct thread ids').toBe(PARALLEL_WRITES);
      const list = await api.get('/api/threads?limit=100');
      expect(list.status()).toBe(200);
      expect(((await list.json()) as Thread[]).map((t) => t.id).sort(), 'the list holds every thread written').toEqual([...ids].sort());
    },
  );

  test(
    'test_064_read_after_write',
    catalog({
      checks: 'PUT T title; at once GET T, list → both show new title; updated_at ≥ created_at',
      catches: 'stale cache',
      was: 'cache_hit_rate',
    }),
    async ({ api, user }) => {
      const thread = await user.createThread({ title: 'before the write' });
      // Prime any read cache with the old title before writing.
      expect((await api.get(`/api/threads/${thread.id}`)).status()).toBe(200);
      const title = `after the write ${randomUUID()}`;
      const put = await api.put(`/api/threads/${thread.id}`, { data: { title } });
      expect(put.status()).toBe(200);
      expect(await put.json()).toMatchObject({ id: thread.id, title });
      const [one, list] = await Promise.all([api.get(`/api/threads/${thread.id}`), api.get('/api/threads?limit=100')]);
      expect(one.status()).toBe(200);
      expect(list.status()).toBe(200);
      const fetched = (await one.json()) as Thread;
      expect(fetched.title, 'GET shows the new title').toBe(title);
      expect(((await list.json()) as Thread[]).find((t) => t.id === thread.id)?.title, 'the list shows the new title').toBe(title);
      expect(Date.parse(fetched.updated_at), 'updated_at ≥ created_at').toBeGreaterThanOrEqual(Date.parse(fetched.created_at));
    },
  );

  test(
    'test_065_cold_start',
    catalog({
      checks: 'first request, new context: /health, /auth/health → 200, valid bodies, each ≤ COLD_START_MS',
      catches: 'cold start',
    }),
    async ({ playwright, settings }) => {
      const checks = [
        { url: `${settings.baseUrl}/health`, shape: shapes.backendHealth(settings.environment) },
        { url: `${settings.authUrl}/auth/health`, shape: shapes.authHealth() },
      ];
      for (const check of checks) {
        const context = await playwright.request.newContext();
        try {
          const { value: response, ms } = await timed(() => context.get(check.url));
          expect(response.status(), check.url).toBe(200);
          expect(await response.json(), check.url).toMatchObject(check.shape);
          expect(ms, `first request of a new context to ${check.url} (ms) within COLD_START_MS`).toBeLessThanOrEqual(settings.coldStartMs);
        } finally {
          await context.dispose();
        }
      }
    },
  );

  test(
    'test_066_warm_start',
    catalog({ checks: 'warm-up; 5 × /health, same context → 200 healthy, each ≤ WARM_MS', catches: 'slow steady state' }),
    async ({ request, settings }) => {
      const warmUp = await request.get('/health');
      expect(warmUp.status(), 'warm-up request').toBe(200);
      for (let i = 0; i < SAMPLES; i++) {
        const { value: response, ms } = await timed(() => request.get('/health'));
        expect(response.status()).toBe(200);
        expect((await response.json()).status).toBe('healthy');
        expect(ms, `warm /health #${i + 1} (ms) within WARM_MS`).toBeLessThanOrEqual(settings.warmMs);
      }
    },
  );

  test(
    'test_067_partial_disconnect',
    catalog({
      checks: '2 sockets; close #1; say on #2 → #2 pongs, gets whole run',
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
    catalog({ checks: '5 × force_failure triage; normal call → 5 × FAIL500(triage); ok(triage)', catches: 'breaker stuck' }),
    async ({ api }) => {
      for (let i = 0; i < BREAKER_FAILURES; i++) {
        const failed = await api.post('/api/agents/execute', {
          data: { type: 'triage', message: uniqueRequest(`Classify failing request ${i}`), force_failure: true },
        });
        await expect(failed, `forced failure #${i + 1}`).toBeAgentFailure('triage');
      }
      await expect(
        await api.post('/api/agents/execute', { data: { type: 'triage', message: uniqueRequest('Classify a normal request') } }),
      ).toBeAgentResult('triage');
    },
  );

  test(
    'test_069_connection_slot_release',
    catalog({
      checks: '10 sockets; 11th; close one; open again → 11th ERR(CONNECTION_LIMIT), close 1008; new one opens',
      catches: 'slot leak',
      was: 'retry_backoff',
    }),
    async ({ sockets, user, request, settings }) => {
      const config = await request.get('/ws/config');
      expect(config.status()).toBe(200);
      const { websocket_config: wsConfig } = await config.json();
      expect(wsConfig).toMatchObject(shapes.wsConfig().websocket_config);
      const limit = wsConfig.max_connections_per_user as number;
      const held = await Promise.all(Array.from({ length: limit }, () => sockets.open(user)));
      const over = await sockets.upgrade({ user });
      expect(over.status, `connection #${limit + 1} is accepted`).toBe(101);
      const error = await over.socket!.waitFor('error_message', { timeout: settings.wsHandshakeMs });
      expect(error, `connection #${limit + 1} is told CONNECTION_LIMIT`).toBeErrorFrame('CONNECTION_LIMIT');
      expect((await over.socket!.closedWithin(settings.wsHandshakeMs))?.code, `connection #${limit + 1} is closed 1008`).toBe(1008);
      expect((await held[0].close(1000)).code).toBe(1000);
      const again = await sockets.open(user);
      await expect(again, 'the released slot is usable').toAnswerPing();
    },
  );

  test(
    'test_070_connection_pooling_real',
    catalog({
      checks: 'U1, U2 alternate 15 × /api/threads on one keep-alive context → each sees only its own thread',
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
          expect(response.status(), `round ${round + 1}`).toBe(200);
          expect(
            ((await response.json()) as Thread[]).map((t) => t.id),
            `round ${round + 1}: ${who.id} sees only its own thread`,
          ).toEqual([own.id]);
        }
      }
    },
  );
});
