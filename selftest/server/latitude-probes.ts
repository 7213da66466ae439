/**
 * One probe per latitude switch. A probe looks at the one place where its latitude makes the server choose
 * differently and returns what it saw of the latitude's choice, or undefined when the server made its default
 * choice (docs/contract.md, "Decisions of this project"). latitudes.spec.ts runs every probe against a default
 * server (all undefined) and against a server with one latitude on (only that latitude's probe sees something),
 * which proves each latitude changes what goes over the wire and touches nothing the other probes look at.
 * Probes make their own users and never depend on each other, so they can all run at once on one server.
 */
import type { AgentSocket } from '../../fixtures/client/agent-socket';
import { decodeToken } from '../../fixtures/client/tokens';
import type { RunningServer } from '../../server/index';
import type { LatitudeName } from '../../server/latitudes';
import { ALLOWED_ORIGIN, call, connect, newUser, pause, request, runOf, upgrade, type Frame } from './helpers';

export type LatitudeProbe = (srv: RunningServer) => Promise<string | undefined>;

/** The observations that show the latitude's choice, joined; undefined when there is none. */
const seen = (...observations: (string | false)[]) => observations.filter(Boolean).join('; ') || undefined;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const ofType = (frames: Frame[], type: string) => frames.filter((f) => f.type === type);

/** A fresh user's welcomed socket, and the access token it opened with. */
async function socketOf(srv: RunningServer): Promise<{ client: AgentSocket; access: string }> {
  const user = await newUser(srv.url);
  return { client: await connect(srv.wsUrl, { token: user.access }), access: user.access };
}

/** Ten open connections of a fresh user, for the probes of the per-user limit. */
async function tenConnections(srv: RunningServer): Promise<{ access: string; ten: AgentSocket[] }> {
  const user = await newUser(srv.url);
  return { access: user.access, ten: await Promise.all(Array.from({ length: 10 }, () => connect(srv.wsUrl, { token: user.access }))) };
}

/** Milliseconds from `start` until it and `done` have resolved. */
async function roundTrip(start: () => unknown, done: Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await Promise.all([start(), done]);
  return performance.now() - t0;
}

export const LATITUDE_PROBES: Record<LatitudeName, LatitudeProbe> = {
  // Extra data
  'extra-fields': async (srv) => {
    const { client, access } = await socketOf(srv);
    await client.close();
    const health = await call(srv.url, 'GET', '/health');
    const { header, claims } = decodeToken(access);
    return seen(
      Object.keys(health.body).some((k) => k.startsWith('x_')) && '/health has x_ fields',
      'kid' in header && 'the access token has a kid header',
      'scope' in claims && 'the access token has a scope claim',
      Object.keys(client.welcome).some((k) => k.startsWith('x_')) && 'connection_established has x_ fields',
    );
  },
  'list-item-extras': async (srv) => {
    const u = await newUser(srv.url);
    const run = await call(srv.url, 'POST', '/api/agents/execute', { token: u.access, json: { type: 'triage', message: 'list me' } });
    const threads = await call(srv.url, 'GET', '/api/threads', { token: u.access });
    const messages = await call(srv.url, 'GET', `/api/threads/${run.body.thread_id}/messages`, { token: u.access });
    const runs = await call(srv.url, 'GET', '/api/agents/runs', { token: u.access });
    return seen(
      'last_message_preview' in threads.body[0] && 'thread list items have last_message_preview',
      'token_estimate' in messages.body.messages[0] && 'message list items have token_estimate',
      'event_count' in runs.body.runs[0] && 'run list items have event_count',
    );
  },
  'per-connection-fields': async (srv) => {
    const { client } = await socketOf(srv);
    await client.close();
    const { welcome } = client;
    return seen('connection_id' in welcome && 'seq' in welcome && `connection_established has connection_id and seq ${welcome.seq}`);
  },
  'contract-fields-only': async (srv) => {
    const { client, access } = await socketOf(srv);
    const error: Frame = await client.sendExpectingError({ type: 'stop_agent', run_id: 'run_unknown' });
    await client.close();
    const me = await call(srv.url, 'GET', '/auth/me', { token: access });
    const failed = await call(srv.url, 'POST', '/api/agents/execute', {
      token: access,
      json: { type: 'triage', message: 'fail', context: { force_failure: true } },
    });
    return seen(
      !('name' in me.body) && '/auth/me has no name',
      !('run_id' in failed.body) && 'the 500 body has no run_id',
      !('run_id' in error.details) && 'error details do not name the run',
    );
  },
  // Order and counts
  'history-newest-first': async (srv) => {
    const { client, access } = await socketOf(srv);
    const thread = await call(srv.url, 'POST', '/api/threads', { token: access, json: {} });
    for (const message of ['one', 'two'])
      await call(srv.url, 'POST', `/api/threads/${thread.body.id}/messages`, { token: access, json: { message } });
    const history = await request(client, { type: 'get_thread_history', thread_id: thread.body.id }, 'thread_history');
    await client.close();
    return seen(history.data.messages[0].content === 'two' && 'thread_history lists the newest message first');
  },
  'overlapping-tools': async (srv) => {
    const tools = (await runOf(srv, 'data', 'review usage')).filter((f) => f.type.startsWith('tool_'));
    return seen(tools[0].type === tools[1].type && `tool frames come as ${tools.map((f) => f.type).join(',')}`);
  },
  'repeated-tool': async (srv) => {
    const names = ofType(await runOf(srv, 'data', 'review usage'), 'tool_executing').map((f) => f.tool_name);
    return seen(new Set(names).size < names.length && `tools called: ${names.join(',')}`);
  },
  'multi-thinking': async (srv) => {
    const thinking = ofType(await runOf(srv, 'data', 'review usage'), 'agent_thinking');
    return seen(thinking.length > 1 && `the data agent thinks ${thinking.length} times`);
  },
  'supervisor-thinks': async (srv) => {
    const thinking = ofType(await runOf(srv, 'supervisor', 'review usage'), 'agent_thinking');
    return seen(thinking.some((f) => f.agent_name === 'supervisor') && 'the supervisor sends agent_thinking of its own');
  },
  'small-chunks': async (srv) => {
    const chunks = ofType(await runOf(srv, 'data', 'review usage'), 'stream_chunk').map((f) => [...(f.content as string)].length);
    return seen(Math.max(...chunks) <= 8 && `${chunks.length} chunks of at most ${Math.max(...chunks)} code points`);
  },
  // Time
  'late-persistence': async (srv) => {
    const u = await newUser(srv.url);
    const r = await call(srv.url, 'POST', '/api/agents/execute', { token: u.access, json: { type: 'triage', message: 'persist' } });
    const run = await call(srv.url, 'GET', `/api/agents/runs/${r.body.run_id}`, { token: u.access });
    return seen(run.body.status === 'running' && 'right after the execute response the run still reads running');
  },
  jitter: async (srv) => {
    // A protocol-level pong is answered by the WebSocket library at once: the baseline a JSON pong is compared with.
    const { client } = await socketOf(srv);
    const extra: number[] = [];
    for (let i = 0; i < 40; i++) {
      const control = await roundTrip(() => client.ws.ping(), new Promise((resolve) => client.ws.once('pong', resolve)));
      const from = client.frames.length;
      const frame = await roundTrip(() => client.send({ type: 'ping' }), client.waitFor('pong', { from }));
      extra.push(frame - control);
    }
    await client.close();
    return seen(median(extra) > 4 && `pong frames come ${median(extra).toFixed(1)} ms later than protocol pongs (median of 40)`);
  },
  // Form
  'epoch-timestamps': async (srv) => {
    const u = await newUser(srv.url);
    await call(srv.url, 'POST', '/api/agents/execute', { token: u.access, json: { type: 'triage', message: 'when' } });
    const discovery = await call(srv.url, 'GET', '/api/discovery/services');
    const wsHealth = await call(srv.url, 'GET', '/ws/health');
    const runs = await call(srv.url, 'GET', '/api/agents/runs', { token: u.access });
    return seen(
      typeof discovery.body.timestamp === 'number' && 'discovery timestamp is a number',
      typeof wsHealth.body.timestamp === 'number' && '/ws/health timestamp is a number',
      typeof runs.body.runs[0].started_at === 'number' && 'started_at is a number',
    );
  },
  'iso-offset-seconds': async (srv) => {
    const { client } = await socketOf(srv);
    await client.close();
    const health = await call(srv.url, 'GET', '/health');
    return seen(
      health.body.timestamp.endsWith('+00:00') && `/health timestamp ${health.body.timestamp}`,
      String(client.welcome.timestamp).endsWith('+00:00') && `frame timestamp ${client.welcome.timestamp}`,
    );
  },
  'pong-server-time': async (srv) => {
    const { client } = await socketOf(srv);
    const pong = await request(client, { type: 'ping', timestamp: 12345 }, 'pong');
    await client.close();
    return seen(pong.data.timestamp !== 12345 && `pong answers timestamp 12345 with ${pong.data.timestamp}`);
  },
  'ticket-url-plain': async (srv) => {
    const u = await newUser(srv.url);
    const ticket = await call(srv.url, 'POST', '/api/websocket/ticket', { token: u.access, json: {} });
    return seen(!ticket.body.websocket_url.includes('?ticket=') && `websocket_url is ${ticket.body.websocket_url}`);
  },
  'force-failure-in-context': async (srv) => {
    const u = await newUser(srv.url);
    const r = await call(srv.url, 'POST', '/api/agents/execute', {
      token: u.access,
      json: { type: 'triage', message: 'fail?', force_failure: true },
    });
    return seen(r.status === 200 && 'a top-level force_failure is ignored');
  },
  'plain-status-errors': async (srv) => {
    const u = await newUser(srv.url);
    const wrongMethod = await call(srv.url, 'DELETE', '/api/discovery/services');
    const unknownRun = await call(srv.url, 'GET', '/api/agents/runs/run_unknown', { token: u.access });
    return seen(
      wrongMethod.headers.get('content-type')?.startsWith('text/plain') === true && `405 body ${JSON.stringify(wrongMethod.text)}`,
      unknownRun.body?.detail === undefined && `runs/{id} 404 body ${unknownRun.text}`,
    );
  },
  'validation-detail-string': async (srv) => {
    const u = await newUser(srv.url);
    const r = await call(srv.url, 'POST', '/api/threads', { token: u.access, json: { title: 5 } });
    return seen(typeof r.body.detail === 'string' && `422 detail ${JSON.stringify(r.body.detail)}`);
  },
  'limit-welcome-first': async (srv) => {
    const { access, ten } = await tenConnections(srv);
    const { socket: eleventh, status } = await upgrade(srv.wsUrl, { token: access });
    try {
      if (!eleventh) return `the 11th upgrade got HTTP ${status}`;
      const first = await eleventh.waitFor(() => true, { timeout: 3000 });
      return seen(first.type === 'connection_established' && 'the 11th connection is welcomed before CONNECTION_LIMIT');
    } finally {
      await Promise.all(ten.map((c) => c.close()));
      await eleventh?.close();
    }
  },
  'rest-events-empty': async (srv) => {
    const u = await newUser(srv.url);
    const r = await call(srv.url, 'POST', '/api/agents/execute', { token: u.access, json: { type: 'triage', message: 'events' } });
    const run = await call(srv.url, 'GET', `/api/agents/runs/${r.body.run_id}`, { token: u.access });
    return seen(run.body.events.length === 0 && 'a REST run lists no events');
  },
  'archived-delete-200': async (srv) => {
    const u = await newUser(srv.url);
    const thread = await call(srv.url, 'POST', '/api/threads', { token: u.access, json: {} });
    await call(srv.url, 'DELETE', `/api/threads/${thread.body.id}`, { token: u.access });
    const again = await call(srv.url, 'DELETE', `/api/threads/${thread.body.id}`, { token: u.access });
    return seen(again.status === 200 && 'deleting an archived thread again answers 200');
  },
  'cors-preflight-200': async (srv) => {
    const preflight = (origin: string) =>
      call(srv.url, 'OPTIONS', '/api/threads', { headers: { origin, 'access-control-request-method': 'POST' } });
    const [allowed, other] = await Promise.all([preflight(ALLOWED_ORIGIN), preflight('https://malicious-site.example')]);
    return seen(allowed.status === 200 && 'an allowed preflight answers 200', other.status === 200 && 'a foreign preflight answers 200');
  },
  'discovery-trailing-slash': async (srv) => {
    const { services } = (await call(srv.url, 'GET', '/api/discovery/services')).body;
    return seen(services.backend.url.endsWith('/') && `backend.url ${services.backend.url}, auth.url ${services.auth.url}`);
  },
  'tool-objects': async (srv) => {
    const u = await newUser(srv.url);
    const agents = await call(srv.url, 'GET', '/api/agents', { token: u.access });
    const mcp = await call(srv.url, 'GET', '/api/mcp/servers');
    const run = await call(srv.url, 'POST', '/api/agents/execute', { token: u.access, json: { type: 'triage', message: 'tools' } });
    return seen(
      typeof agents.body.agents[0].tools[0] === 'object' && `/api/agents tools hold ${JSON.stringify(agents.body.agents[0].tools[0])}`,
      typeof mcp.body.data[0].capabilities.tools[0] === 'object' && 'MCP tools are objects',
      typeof run.body.tools_used[0] === 'object' && 'tools_used holds objects',
    );
  },
  'metadata-merge': async (srv) => {
    const u = await newUser(srv.url);
    const thread = await call(srv.url, 'POST', '/api/threads', { token: u.access, json: { metadata: { first: 1 } } });
    const put = await call(srv.url, 'PUT', `/api/threads/${thread.body.id}`, { token: u.access, json: { metadata: { second: 2 } } });
    return seen(put.body.metadata.first === 1 && 'PUT kept the earlier metadata key');
  },
  'threads-by-activity': async (srv) => {
    const u = await newUser(srv.url);
    const older = await call(srv.url, 'POST', '/api/threads', { token: u.access, json: { title: 'older' } });
    await call(srv.url, 'POST', '/api/threads', { token: u.access, json: { title: 'newer' } });
    await pause(5); // the message must be a later millisecond than the newer thread
    await call(srv.url, 'POST', `/api/threads/${older.body.id}/messages`, { token: u.access, json: { message: 'bump' } });
    const list = await call(srv.url, 'GET', '/api/threads', { token: u.access });
    return seen(list.body[0].id === older.body.id && 'the older thread with a new message comes first');
  },
  'lazy-slot-release': async (srv) => {
    const { access, ten } = await tenConnections(srv);
    await ten[0].close();
    const { socket: next, status } = await upgrade(srv.wsUrl, { token: access });
    try {
      if (!next) return `the upgrade after a close got HTTP ${status}`;
      const outcome = await Promise.race([
        next.closed.then((c) => `closed ${c.code}`),
        request(next, { type: 'ping' }, 'pong', 3000).then(() => 'open'),
      ]);
      return seen(outcome !== 'open' && `a connection opened right after one of ten closed was refused (${outcome})`);
    } finally {
      await Promise.all(ten.map((c) => c.close()));
      await next?.close();
    }
  },
  'logout-closes-sockets': async (srv) => {
    const { client, access } = await socketOf(srv);
    await call(srv.url, 'POST', '/auth/logout', { token: access });
    const outcome = await Promise.race([
      client.closed.then((c) => `closed ${c.code}`),
      request(client, { type: 'ping' }, 'pong', 3000).then(() => 'open'),
    ]);
    await client.close();
    return seen(outcome !== 'open' && `logout ${outcome} the socket its token opened`);
  },
  'logout-keeps-refresh': async (srv) => {
    const u = await newUser(srv.url);
    await call(srv.url, 'POST', '/auth/logout', { token: u.access });
    const r = await call(srv.url, 'POST', '/auth/refresh', { json: { refresh_token: u.refresh } });
    return seen(r.status === 200 && 'the refresh token of a logged-out pair still works');
  },
  'minimal-content': async (srv) => {
    const request = 'cost review';
    const frames = await runOf(srv, 'data', request);
    const answer: string = frames[frames.length - 1].final_response;
    const results = ofType(frames, 'tool_completed').map((f) => Object.keys(f.results).length);
    return seen(
      !answer.includes(request) && `final_response does not quote the request: ${JSON.stringify(answer)}`,
      Math.max(...results) === 0 && 'every tool_completed.results is {}',
    );
  },
  'heartbeat-always': async (srv) => {
    const { client } = await socketOf(srv);
    const from = client.frames.length;
    const until = performance.now() + 800;
    while (performance.now() < until) {
      await request(client, { type: 'ping' }, 'pong');
      await pause(50);
    }
    await client.close();
    const beats = ofType(client.frames.slice(from), 'heartbeat').length;
    return seen(beats >= 2 && `${beats} heartbeats on a connection busy with a ping every 50 ms`);
  },
  'ws-degraded': async (srv) => {
    const health = await call(srv.url, 'GET', '/ws/health');
    return seen(health.body.status !== 'healthy' && `/ws/health status ${health.body.status}`);
  },
  'multi-mcp-servers': async (srv) => {
    const servers = (await call(srv.url, 'GET', '/api/mcp/servers')).body.data;
    return seen(servers.length > 1 && `${servers.length} MCP servers`);
  },
  'non-bearer-401': async (srv) => {
    const r = await call(srv.url, 'GET', '/api/threads', { headers: { authorization: 'Basic dXNlcjpwYXNzd29yZA==' } });
    return seen(r.status === 401 && 'a Basic Authorization header answers 401');
  },
  'validation-before-resource': async (srv) => {
    const u = await newUser(srv.url);
    const r = await call(srv.url, 'PUT', '/api/threads/thr_unknown', { token: u.access, json: { title: 5 } });
    return seen(r.status === 422 && 'a bad body on an unknown thread answers 422');
  },
};
