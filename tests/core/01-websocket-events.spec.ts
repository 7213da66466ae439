import { randomUUID } from 'node:crypto';
import { test, expect, type Frame } from '../../fixtures';
import { catalog, category } from '../catalog';
import { lastFrame } from '../../fixtures/client/frames';
import { uniqueRequest } from '../../fixtures/client/unique';

/** Catalog row 1.5: users acting at once. */
const CONCURRENT_SOCKET_USERS = 7;

const { title, details } = category('core-01');

test.describe(title, details, () => {
  test(
    '1.1 test_health_check',
    catalog({
      checks: '/health and /api/health both answer 200 with the healthy netra-backend body naming the configured environment.',
      catches: 'down',
    }),
    async ({ request, settings }) => {
      for (const path of ['/health', '/api/health'] as const) {
        await expect(await request.get(path), path).toMatchContract(`GET ${path}`, 200, { environment: settings.environment });
      }
    },
  );

  test(
    '1.2 test_websocket_connection',
    catalog({
      checks:
        "A user's socket opens with a welcome naming the user and a positive heartbeat interval; a ping with a timestamp " +
        "is answered by a pong whose data.timestamp is the ping's timestamp echoed or the server's time.",
      catches: 'welcome, pong',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      await expect(socket.welcome).toMatchContract({ type: 'connection_established', data: { user_id: user.id } });
      expect(socket.welcome.data?.heartbeat_interval, 'connection_established heartbeat_interval').toBeGreaterThan(0);
      const { pong, answer } = await socket.ping(`core-1.2-${randomUUID()}`);
      await expect(pong).toMatchContract({ type: 'pong' });
      // The contract's pong carries "<echo or server time>"; answer is undefined when data.timestamp is neither.
      expect(answer, 'pong data.timestamp is the echo or the server time').toBeDefined();
    },
  );

  test(
    '1.3 test_api_endpoints_for_agents',
    catalog({
      checks:
        'Discovery names the backend (http and ws URLs) and the auth service; /api/mcp/config is a non-empty object; ' +
        '/api/mcp/servers lists at least one server; /api/agents, with a token, lists the four agent types.',
      catches: 'agent routes',
    }),
    async ({ request, api }) => {
      await expect(await request.get('/api/discovery/services'), 'discovery').toMatchContract('GET /api/discovery/services', 200, {
        services: {
          backend: { url: expect.stringMatching(/^https?:\/\//), ws_url: expect.stringMatching(/^wss?:\/\//) },
          auth: { url: expect.stringMatching(/^https?:\/\//) },
        },
      });
      await expect(await request.get('/api/mcp/config'), 'a non-empty object').toMatchContract('GET /api/mcp/config', 200);
      await expect(await request.get('/api/mcp/servers'), 'at least one MCP server').toMatchContract('GET /api/mcp/servers', 200);
      await expect(await api.get('/api/agents'), 'the four agent types are listed').toMatchContract('GET /api/agents', 200);
    },
  );

  test(
    '1.4 test_websocket_event_flow_real',
    catalog({
      checks:
        'A user_message run delivers every golden-path event type, in order, to completion; every event carries type, ' +
        "the run's run_id and thread_id, the user's id, agent_name and an ISO timestamp, with its own fields mirrored under data.",
      catches: 'envelope',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const run = await socket.say(uniqueRequest('Walk me through last week’s agent activity'));
      const started = await run.started();
      const frames = await run.finished();
      // Every golden-path type present, in order, no holes: the matcher names whatever is missing.
      expect(frames).toFollowGoldenPath();
      await expect(frames, 'the run envelope and the data mirror on every event').toMatchContract({
        run_id: run.runId,
        thread_id: started.thread_id,
        user_id: user.id,
      });
    },
  );

  test(
    '1.5 test_concurrent_websocket_real',
    catalog({
      checks:
        'Seven users each open a socket and send a user_message at once: every run completes with its own run_id, and ' +
        "each socket receives run frames of its own user's run only.",
      catches: 'cross-user event leak',
    }),
    async ({ users, sockets }) => {
      const people = await Promise.all(Array.from({ length: CONCURRENT_SOCKET_USERS }, () => users.create()));
      const opened = await Promise.all(people.map((person) => sockets.open(person)));
      const runs = await Promise.all(opened.map((socket, i) => socket.say(uniqueRequest(`Concurrent usage summary for user ${i + 1}`))));
      const finished = await Promise.all(runs.map((run) => run.finished()));
      for (const [i, frames] of finished.entries()) {
        await expect(lastFrame(frames), `user ${i + 1}'s run completes`).toMatchContract({ type: 'agent_completed', status: 'completed' });
        const seen = opened[i].frames.filter((f: Frame) => f.run_id !== undefined);
        expect(new Set(seen.map((f) => f.run_id)), `socket ${i + 1} sees only its own run`).toEqual(new Set([runs[i].runId]));
        expect(new Set(seen.map((f) => f.user_id)), `socket ${i + 1} sees only its own user_id`).toEqual(new Set([people[i].id]));
      }
      expect(new Set(runs.map((r) => r.runId)).size, 'distinct run_ids').toBe(CONCURRENT_SOCKET_USERS);
    },
  );
});
