import { randomUUID } from 'node:crypto';
import { test, expect, type Frame } from '../../fixtures';
import { catalog, category } from '../catalog';
import { AGENT_TYPES, GOLDEN_PATH, ISO_UTC } from '../../fixtures/client/contract';
import { lastFrame } from '../../fixtures/client/frames';
import { uniqueRequest } from '../../fixtures/client/unique';
import { shapes } from '../../fixtures/shapes';

/** Catalog row 1.5: users acting at once. */
const CONCURRENT_SOCKET_USERS = 7;

const { title, details } = category('core-01');

test.describe(title, details, () => {
  test(
    '1.1 test_health_check',
    catalog({ checks: '/health, /api/health → 200 healthy, netra-backend', catches: 'down' }),
    async ({ request, settings }) => {
      for (const path of ['/health', '/api/health']) {
        const response = await request.get(path);
        expect(response.status(), path).toBe(200);
        expect(await response.json(), path).toMatchObject(shapes.backendHealth(settings.environment));
      }
    },
  );

  test(
    '1.2 test_websocket_connection',
    catalog({ checks: 'ws(U); ping{timestamp:t} → opens, heartbeat_interval > 0; pong data.timestamp = t', catches: 'welcome, pong' }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      expect(socket.welcome.timestamp, 'connection_established timestamp').toMatch(ISO_UTC);
      expect(socket.welcome.data?.heartbeat_interval, 'connection_established heartbeat_interval').toEqual(expect.any(Number));
      expect(socket.welcome.data?.heartbeat_interval).toBeGreaterThan(0);
      const stamp = `core-1.2-${randomUUID()}`;
      const { pong } = await socket.ping(stamp);
      expect(pong.data?.timestamp, 'pong echoes the ping timestamp').toBe(stamp);
      expect(pong.timestamp).toMatch(ISO_UTC);
    },
  );

  test(
    '1.3 test_api_endpoints_for_agents',
    catalog({
      checks: 'discovery, mcp/config, mcp/servers, /api/agents A(U) → backend + auth; config non-empty; ≥1 server; 4 types',
      catches: 'agent routes',
    }),
    async ({ request, api }) => {
      const discovery = await request.get('/api/discovery/services');
      expect(discovery.status()).toBe(200);
      expect(await discovery.json(), 'discovery names the backend and the auth service').toMatchObject(shapes.discovery());

      const mcpConfig = await request.get('/api/mcp/config');
      expect(mcpConfig.status()).toBe(200);
      const config: unknown = await mcpConfig.json();
      expect(config, '/api/mcp/config is an object').toEqual(expect.any(Object));
      expect(Array.isArray(config), '/api/mcp/config is not an array').toBe(false);
      expect(Object.keys(config as object).length, '/api/mcp/config is not empty').toBeGreaterThan(0);

      const servers = await request.get('/api/mcp/servers');
      expect(servers.status()).toBe(200);
      expect(((await servers.json()).data as unknown[]).length, 'at least one MCP server').toBeGreaterThanOrEqual(1);

      const agents = await api.get('/api/agents');
      expect(agents.status()).toBe(200);
      const listed = (await agents.json()).agents as { type: string }[];
      expect(listed.map((a) => a.type).sort(), 'the four agent types').toEqual([...AGENT_TYPES].sort());
    },
  );

  test(
    '1.4 test_websocket_event_flow_real',
    catalog({
      checks: 'say(text) → 5 GP types; each: type, run_id, thread_id, user_id, agent_name, ISO timestamp, data mirror',
      catches: 'envelope',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const text = uniqueRequest('Walk me through last week’s agent activity');
      const frames = await (await socket.say(text)).finished();
      const types = frames.map((f) => f.type);
      for (const type of GOLDEN_PATH) expect(types, `the run has ${type}`).toContain(type);
      expect(frames, 'type, run_id, thread_id, user_id, agent_name, ISO timestamp and the data mirror on every event').toCarryEventFields();
      expect(new Set(frames.map((f) => f.user_id)), 'every event names the user').toEqual(new Set([user.id]));
      expect(new Set(frames.map((f) => f.run_id)).size, 'one run_id').toBe(1);
      expect(new Set(frames.map((f) => f.thread_id)).size, 'one thread_id').toBe(1);
      expect(lastFrame(frames)).toMatchObject({ type: 'agent_completed', status: 'completed' });
    },
  );

  test(
    '1.5 test_concurrent_websocket_real',
    catalog({
      checks: '7 users, socket + say, at once → 7 complete; each socket sees only own user_id, run_id',
      catches: 'cross-user leak',
    }),
    async ({ users, sockets }) => {
      const people = await Promise.all(Array.from({ length: CONCURRENT_SOCKET_USERS }, () => users.create()));
      const opened = await Promise.all(people.map((person) => sockets.open(person)));
      const runs = await Promise.all(opened.map((socket, i) => socket.say(uniqueRequest(`Concurrent usage summary for user ${i + 1}`))));
      const finished = await Promise.all(runs.map((run) => run.finished()));
      for (const [i, frames] of finished.entries()) {
        expect(lastFrame(frames), `user ${i + 1}'s run completes`).toMatchObject({ type: 'agent_completed', status: 'completed' });
        const seen = opened[i].frames.filter((f: Frame) => f.run_id !== undefined);
        expect(new Set(seen.map((f) => f.run_id)), `socket ${i + 1} sees only its own run`).toEqual(new Set([runs[i].runId]));
        expect(new Set(seen.map((f) => f.user_id)), `socket ${i + 1} sees only its own user_id`).toEqual(new Set([people[i].id]));
      }
      expect(new Set(runs.map((r) => r.runId)).size, 'distinct run_ids').toBe(CONCURRENT_SOCKET_USERS);
    },
  );
});
