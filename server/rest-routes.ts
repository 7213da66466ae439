/**
 * The backend REST API (contract §3): health and discovery, agents and runs, threads and messages, tickets.
 * Every protected handler starts with requireUser; thread handlers share one ownership check.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { AGENT_TYPES, CATALOG, isAgentType, toolObjects, type AgentType } from './agents';
import { BodyReader, detail, readJsonObject, statusOnly } from './http-util';
import { ok, requireUser, type App, type Call, type Reply, type Route } from './routing';
import { parseRunContext, type RunContext } from './runs';
import { messageListItem, runView, threadView, type Run, type Thread } from './store';
import { CONNECTION_TIMEOUT_S, MAX_CONNECTIONS_PER_USER } from './ws-gateway';

const VERSION = '1.0.0';
const OPENAPI_DOCUMENT = path.join(__dirname, '..', 'contract', 'openapi.yaml');

/** A tool list as the server writes it: names, or (tool-objects) {name, description}. */
const tools = (app: App, names: readonly string[]) => (app.latitudes.has('tool-objects') ? toolObjects(names) : names);

/** Timestamps the contract does not mark <ISO>: ISO like the rest, or (epoch-timestamps) numbers. */
const epochMs = (app: App, ms: number) => (app.latitudes.has('epoch-timestamps') ? ms : app.store.iso(ms));
const runTime = (app: App) => (ms: number) => (app.latitudes.has('epoch-timestamps') ? ms / 1000 : app.store.iso(ms));

/** The first 80 code points of the thread's last message. */
const preview = (t: Thread) => (t.messages.length ? [...t.messages[t.messages.length - 1].content].slice(0, 80).join('') : null);

/** List views; list-item-extras adds to each item a field the single view lacks. */
const runItem = (app: App, r: Run) =>
  app.latitudes.has('list-item-extras') ? { ...runView(r, runTime(app)), event_count: r.events.length } : runView(r, runTime(app));
const threadItem = (app: App, t: Thread) =>
  app.latitudes.has('list-item-extras') ? { ...threadView(t), last_message_preview: preview(t) } : threadView(t);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function health({ app }: Call): Promise<Reply> {
  if (app.faults.has('slow-health')) await sleep(2100);
  if (Date.now() < app.readyAtMs) return { status: 503, body: { status: 'unhealthy', startup_in_progress: true } };
  return ok({
    status: 'healthy',
    service: 'netra-backend',
    version: VERSION,
    environment: app.environment,
    timestamp: app.store.iso(Date.now()),
    ...(app.faults.has('health-uptime-dropped') ? {} : { uptime_seconds: (Date.now() - app.startedAtMs) / 1000 }),
  });
}

let published: Record<string, unknown> | undefined;

/**
 * The server's OpenAPI document, as a FastAPI service publishes its own at /openapi.json: this server implements
 * the contract, so it publishes the contract's document. Under health-uptime-dropped it describes what the
 * server then sends, as a generated document would.
 */
function openapi({ app }: Call): Reply {
  published ??= parse(readFileSync(OPENAPI_DOCUMENT, 'utf8')) as Record<string, unknown>;
  if (!app.faults.has('health-uptime-dropped')) return ok(published);
  const drifted = structuredClone(published) as { components: { schemas: Record<string, { required: string[]; properties: object }> } };
  const health = drifted.components.schemas.BackendHealth;
  health.required = health.required.filter((field) => field !== 'uptime_seconds');
  health.properties = Object.fromEntries(Object.entries(health.properties).filter(([field]) => field !== 'uptime_seconds'));
  return ok(drifted);
}

/** A thread the caller may use, or the contract's 404/403. */
function ownThread(app: App, userId: string, id: string): Thread {
  const access = app.store.accessThread(id, userId, !app.faults.has('thread-ownership-unchecked'));
  if (access.ok) return access.thread;
  throw access.reason === 'not_found' ? detail(404, 'Thread not found') : detail(403, 'Access denied');
}

/** A thread route's two checks, the thread (404/403) and its input (422), in the order the server is set to. */
async function threadWithInput<T>(call: Call, validate: () => Promise<T> | T): Promise<[Thread, T]> {
  const { app, req, params } = call;
  const userId = (await requireUser(app, req)).sub;
  if (app.latitudes.has('validation-before-resource')) {
    const input = await validate();
    return [ownThread(app, userId, params.id), input];
  }
  const thread = ownThread(app, userId, params.id);
  return [thread, await validate()];
}

function paging(query: URLSearchParams, defaultLimit: number): { limit: number; offset: number } {
  const q = new BodyReader(Object.fromEntries(query), 'query');
  const limit = q.int('limit', 1, 100, defaultLimit);
  const offset = q.int('offset', 0, Number.MAX_SAFE_INTEGER, 0);
  q.done();
  return { limit, offset };
}

/** POST /api/agents/execute and /api/agents/{type}: one REST run. */
async function execute(app: App, call: Call, type: AgentType | undefined): Promise<Reply> {
  const claims = await requireUser(app, call.req);
  const body = new BodyReader(await readJsonObject(call.req, false));
  let agent = type;
  if (!agent) {
    const given = body.string('type', { required: true });
    if (given !== undefined && !isAgentType(given)) {
      body.problems.push({ loc: ['body', 'type'], msg: `Input should be ${AGENT_TYPES.map((t) => `'${t}'`).join(', ')}`, type: 'enum' });
    } else agent = given;
  }
  const message = body.string('message', { required: true, nonEmpty: true });
  const topLevelFailure = app.latitudes.has('force-failure-in-context') ? undefined : body.boolean('force_failure');
  const ctx = parseRunContext(body.object('context'), topLevelFailure);
  if (typeof ctx === 'string') body.problems.push({ loc: ['body', 'context'], msg: ctx, type: 'value_error' });
  const threadId = body.string('thread_id');
  body.done();
  // done() has thrown if the type, message or context was missing or invalid.
  const [agentType, request, context] = [agent!, message!, ctx as RunContext];

  const choice = app.engine.chooseThread(claims.sub, threadId, request);
  if (!choice.ok) throw choice.reason === 'not_found' ? detail(404, 'Thread not found') : detail(403, 'Access denied');
  const outcome = app.engine.executeRest(claims.sub, agentType, request, choice.thread, context);
  if (!outcome.ok) {
    return {
      status: 500,
      body: {
        status: 'error',
        agent: agentType,
        error: `The ${agentType} agent failed: force_failure was set`,
        ...(app.latitudes.has('contract-fields-only') ? {} : { run_id: outcome.run.run_id }),
      },
    };
  }
  return ok({
    status: 'success',
    agent: agentType,
    run_id: outcome.run.run_id,
    thread_id: outcome.run.thread_id,
    response: outcome.plan.finalResponse,
    result: outcome.plan.result,
    tools_used: tools(app, outcome.plan.toolsUsed),
    execution_time: outcome.executionTimeS,
    circuit_breaker_state: 'closed',
  });
}

export const restRoutes: Route[] = [
  { method: 'GET', path: '/health', handler: health },
  { method: 'GET', path: '/api/health', handler: health },
  { method: 'GET', path: '/openapi.json', handler: openapi },
  {
    method: 'GET',
    path: '/health/ready',
    handler: ({ app }) => {
      const starting = Date.now() < app.readyAtMs;
      const checks = { database: 'ok', auth: 'ok', agents: starting ? 'starting' : 'ok' };
      return starting ? { status: 503, body: { status: 'not_ready', checks } } : ok({ status: 'ready', checks });
    },
  },
  {
    method: 'GET',
    path: '/api/discovery/services',
    handler: ({ app }) => {
      const url = app.latitudes.has('discovery-trailing-slash') ? `${app.url}/` : app.url;
      return ok({
        services: { backend: { url, ws_url: app.wsUrl }, auth: { url } },
        available: true,
        timestamp: epochMs(app, Date.now()),
      });
    },
  },
  {
    method: 'GET',
    path: '/api/mcp/servers',
    handler: ({ app }) => {
      const servers = [
        {
          name: 'netra-mcp',
          status: 'connected',
          version: VERSION,
          capabilities: {
            tools: tools(app, CATALOG.supervisor.tools),
            resources: ['threads', 'agent_runs', 'usage_metrics'],
            prompts: ['optimize_costs', 'detect_anomalies', 'plan_capacity'],
          },
          description: "The platform's own MCP server: agent tools, threads and usage metrics.",
        },
      ];
      if (app.latitudes.has('multi-mcp-servers')) {
        servers.push({
          name: 'netra-docs-mcp',
          status: 'connected',
          version: VERSION,
          capabilities: { tools: tools(app, ['docs_search']), resources: ['runbooks'], prompts: ['explain_metric'] },
          description: 'Platform documentation and runbooks.',
        });
      }
      return ok({ data: servers });
    },
  },
  {
    method: 'GET',
    path: '/api/mcp/config',
    handler: () => ok({ transport: 'websocket', servers: ['netra-mcp'], tool_timeout_seconds: 30, max_concurrent_tools: 5 }),
  },
  {
    method: 'GET',
    path: '/ws/health',
    handler: ({ app }) =>
      ok({
        status: app.latitudes.has('ws-degraded') ? 'degraded' : 'healthy',
        active_connections: app.activeConnections(),
        timestamp: epochMs(app, Date.now()),
      }),
  },
  {
    method: 'GET',
    path: '/ws/config',
    handler: ({ app }) =>
      ok({
        websocket_config: {
          heartbeat_interval: app.heartbeatIntervalS,
          connection_timeout: CONNECTION_TIMEOUT_S,
          max_message_size: app.maxMessageSize,
          max_connections_per_user: MAX_CONNECTIONS_PER_USER,
        },
      }),
  },
  {
    method: 'GET',
    path: '/api/agents',
    handler: async ({ app, req }) => {
      if (!app.faults.has('route-unprotected')) await requireUser(app, req);
      return ok({ agents: AGENT_TYPES.map((type) => ({ type, ...CATALOG[type], tools: tools(app, CATALOG[type].tools) })) });
    },
  },
  { method: 'POST', path: '/api/agents/execute', handler: (call) => execute(call.app, call, undefined) },
  {
    method: 'GET',
    path: '/api/agents/runs',
    handler: async ({ app, req }) => {
      const claims = await requireUser(app, req);
      return ok({ runs: app.store.listRuns(claims.sub).map((r) => runItem(app, r)) });
    },
  },
  {
    method: 'GET',
    path: '/api/agents/runs/:id',
    handler: async ({ app, req, params }) => {
      const claims = await requireUser(app, req);
      const run = app.store.run(params.id);
      if (!run) throw statusOnly(404, 'Run not found');
      if (run.ownerId !== claims.sub) throw statusOnly(403, 'Access denied');
      return ok({ ...runView(run, runTime(app)), events: [...run.events] });
    },
  },
  {
    method: 'POST',
    path: '/api/agents/:type',
    handler: async (call) => {
      const type = call.params.type;
      if (!isAgentType(type)) {
        await requireUser(call.app, call.req);
        throw statusOnly(404, `Agent type '${type}' not found`);
      }
      return execute(call.app, call, type);
    },
  },
  {
    method: 'POST',
    path: '/api/threads',
    handler: async ({ app, req }) => {
      const claims = await requireUser(app, req);
      const body = new BodyReader(await readJsonObject(req, true));
      const title = body.string('title');
      const metadata = body.object('metadata');
      body.done();
      return ok(threadView(app.store.createThread(claims.sub, title ?? 'New conversation', metadata ?? {})));
    },
  },
  {
    method: 'GET',
    path: '/api/threads',
    handler: async ({ app, req, query }) => {
      const claims = await requireUser(app, req);
      const { limit, offset } = paging(query, 20);
      const threads = app.store.listThreads(claims.sub, app.latitudes.has('threads-by-activity'));
      if (app.faults.has('threads-oldest-first')) threads.reverse();
      return ok(threads.slice(offset, offset + limit).map((t) => threadItem(app, t)));
    },
  },
  {
    method: 'GET',
    path: '/api/threads/:id',
    handler: async ({ app, req, params }) => ok(threadView(ownThread(app, (await requireUser(app, req)).sub, params.id))),
  },
  {
    method: 'PUT',
    path: '/api/threads/:id',
    handler: async (call) => {
      const { app, req } = call;
      const [thread, { title, metadata }] = await threadWithInput(call, async () => {
        const body = new BodyReader(await readJsonObject(req, false));
        const fields = { title: body.string('title'), metadata: body.object('metadata') };
        body.done();
        return fields;
      });
      if (title !== undefined) thread.title = title;
      const kept = app.latitudes.has('metadata-merge') ? thread.metadata : {};
      if (metadata !== undefined) thread.metadata = { ...kept, ...metadata, user_id: thread.ownerId };
      app.store.touch(thread);
      return ok(threadView(thread));
    },
  },
  {
    method: 'DELETE',
    path: '/api/threads/:id',
    handler: async ({ app, req, params }) => {
      const userId = (await requireUser(app, req)).sub;
      if (app.latitudes.has('archived-delete-200') && app.store.archivedThread(params.id, userId)) return ok({ status: 'archived' });
      ownThread(app, userId, params.id).archived = true;
      return ok({ status: 'archived' });
    },
  },
  {
    method: 'GET',
    path: '/api/threads/:id/messages',
    handler: async (call) => {
      const [thread, { limit, offset }] = await threadWithInput(call, () => paging(call.query, 50));
      return ok({
        thread_id: thread.id,
        messages: call.app.latitudes.has('list-item-extras')
          ? thread.messages.slice(offset, offset + limit).map(messageListItem)
          : thread.messages.slice(offset, offset + limit),
        total: thread.messages.length,
        limit,
        offset,
      });
    },
  },
  {
    method: 'POST',
    path: '/api/threads/:id/messages',
    handler: async (call) => {
      const [thread, { message, metadata }] = await threadWithInput(call, async () => {
        const body = new BodyReader(await readJsonObject(call.req, false));
        const fields = { message: body.string('message', { required: true, nonEmpty: true }), metadata: body.object('metadata') };
        body.done();
        return fields;
      });
      return ok(call.app.store.addMessage(thread, 'user', message!, metadata ?? {}));
    },
  },
  {
    method: 'POST',
    path: '/api/websocket/ticket',
    handler: async ({ app, req }) => {
      const claims = await requireUser(app, req);
      const body = new BodyReader(await readJsonObject(req, true));
      const ttl = body.int('ttl_seconds', 30, 3600, 300);
      body.done();
      const id = `tkt_${randomBytes(16).toString('hex')}`;
      let expiresAtMs = Date.now() + ttl * 1000;
      // A whole-second expires_at is rounded up and is then the real expiry: the ticket still lives ttl_seconds.
      if (app.latitudes.has('iso-offset-seconds')) expiresAtMs = Math.ceil(expiresAtMs / 1000) * 1000;
      app.store.tickets.set(id, { id, userId: claims.sub, issuerJti: claims.jti, expiresAtMs, used: false });
      const websocketUrl = app.latitudes.has('ticket-url-plain') ? app.wsUrl : `${app.wsUrl}?ticket=${id}`;
      return ok({ ticket_id: id, expires_at: app.store.iso(expiresAtMs), websocket_url: websocketUrl });
    },
  },
];
