/**
 * Conforming bodies and frames written by hand from docs/contract.md, one or more for every response with a body
 * schema and for every frame type, so the self-tests can prove the documents accept what the contract allows.
 */
const ISO = '2026-11-21T09:30:00.123Z';
const ISO_OFFSET = '2026-11-21T09:30:01+00:00';
const USER = 'usr_0123456789abcdef01234567';
const THREAD = 'thr_0123456789abcdef01234567';
const RUN = 'run_0123456789abcdef01234567';

const detail = (text: string) => ({ detail: text });
const user = { id: USER, email: 'ada@staging.test', name: 'ada', permissions: ['read', 'write', 'chat', 'agent:execute'] };
const tokenPair = { access_token: 'a.b.c', refresh_token: 'd.e.f', token_type: 'Bearer', expires_in: 900, user };
const thread = {
  id: THREAD,
  title: 'New conversation',
  created_at: ISO,
  updated_at: ISO_OFFSET,
  message_count: 0,
  metadata: { user_id: USER },
};
const message = (role: 'user' | 'assistant') => ({
  id: 'msg_1',
  thread_id: THREAD,
  role,
  content: 'héllo 👋',
  created_at: ISO,
  metadata: {},
});
const agentResult = {
  status: 'success',
  agent: 'data',
  run_id: RUN,
  thread_id: THREAD,
  response: 'R'.repeat(120),
  result: { estimated_monthly_savings: 3852 },
  tools_used: ['data_query', 'metrics_aggregator'],
  execution_time: 0.012,
  circuit_breaker_state: 'closed',
};
const agentFailure = { status: 'error', agent: 'triage', error: 'forced' };
const running = { run_id: RUN, agent_type: 'supervisor', status: 'running', thread_id: THREAD, started_at: ISO };
const run = { ...running, status: 'completed', completed_at: ISO };
const fastApi422 = { detail: [{ loc: ['body', 'email'], msg: 'Field required', type: 'missing' }] };
const notAuthenticated = detail('Not authenticated');
const invalidToken = detail('Invalid or expired token');
const protectedErrors = { 401: [invalidToken], 403: [notAuthenticated] };
const threadErrors = { 401: [invalidToken], 403: [notAuthenticated, detail('Access denied')], 404: [detail('Thread not found')] };

/** Conforming bodies by operation, then status. */
export const RESPONSE_SAMPLES: Record<string, Record<number, unknown[]>> = {
  'GET /auth/health': { 200: [{ status: 'healthy', service: 'auth-service', timestamp: ISO }] },
  'POST /auth/e2e/test-auth': { 200: [tokenPair], 401: [detail('Invalid or missing E2E bypass key')] },
  'POST /auth/register': { 200: [tokenPair, { ...tokenPair, user: { ...user, name: null } }], 422: [fastApi422] },
  'POST /auth/login': { 200: [tokenPair], 401: [detail('Invalid credentials')], 422: [fastApi422] },
  'POST /auth/refresh': { 200: [tokenPair], 422: [fastApi422] },
  'POST /auth/logout': { 200: [{ status: 'success' }] },
  'POST /auth/validate': {
    200: [
      { valid: true, user_id: USER, email: 'ada@staging.test', permissions: ['read'], expires_at: ISO },
      { valid: true, user_id: USER, email: null, permissions: [], expires_at: ISO_OFFSET },
      ...['missing_token', 'invalid_token', 'expired_token', 'revoked_token', 'wrong_token_type'].map((error) => ({ valid: false, error })),
    ],
  },
  'GET /auth/me': { 200: [{ user_id: USER, email: 'ada@staging.test', permissions: ['read'], token_expires_at: ISO }] },
  'GET /health': {
    200: [{ status: 'healthy', service: 'netra-backend', version: '1.0.0', environment: 'staging', timestamp: ISO, uptime_seconds: 1.5 }],
    503: [{ status: 'unhealthy', startup_in_progress: true }],
  },
  'GET /api/health': {
    200: [{ status: 'healthy', service: 'netra-backend', version: '2.3.4-rc.1+b7', environment: 'qa', timestamp: ISO, uptime_seconds: 9 }],
    503: [{ status: 'unhealthy', startup_in_progress: true }],
  },
  'GET /health/ready': {
    200: [{ status: 'ready', checks: { database: 'ok', auth: 'ok', agents: 'ok' } }],
    503: [
      { status: 'not_ready', checks: { database: 'ok', auth: 'ok', agents: 'starting' } },
      { status: 'not_ready', checks: { cache: false } },
    ],
  },
  'GET /api/discovery/services': {
    200: [
      {
        services: { backend: { url: 'https://api.example', ws_url: 'wss://api.example/ws' }, auth: { url: 'https://auth.example' } },
        available: true,
        timestamp: ISO,
      },
    ],
  },
  'GET /api/mcp/servers': {
    200: [
      {
        data: [
          {
            name: 'netra-mcp',
            status: 'connected',
            version: '1.0.0',
            capabilities: { tools: [{ name: 'data_query' }], resources: [], prompts: ['plan_capacity'] },
            description: 'The MCP server.',
          },
        ],
      },
    ],
  },
  'GET /api/mcp/config': { 200: [{ transport: 'websocket' }] },
  'GET /ws/health': {
    200: [
      { status: 'healthy', active_connections: 0, timestamp: ISO },
      { status: 'degraded', active_connections: 12, timestamp: ISO_OFFSET },
    ],
  },
  'GET /ws/config': {
    200: [{ websocket_config: { heartbeat_interval: 30, connection_timeout: 60, max_message_size: 65536, max_connections_per_user: 10 } }],
  },
  'GET /api/agents': {
    200: [
      {
        agents: ['triage', 'data', 'optimization', 'supervisor'].map((type) => ({
          type,
          name: type,
          description: `The ${type} agent`,
          tools: [],
        })),
      },
    ],
    ...protectedErrors,
  },
  'POST /api/agents/execute': {
    200: [agentResult],
    422: [fastApi422, detail('Unknown agent type')],
    500: [agentFailure],
    ...protectedErrors,
  },
  'POST /api/agents/{type}': { 200: [agentResult], 422: [fastApi422], 500: [{ ...agentFailure, run_id: RUN }], ...protectedErrors },
  'GET /api/agents/runs': { 200: [{ runs: [] }, { runs: [run, running, { ...running, completed_at: null }] }], ...protectedErrors },
  'GET /api/agents/runs/{run_id}': { 200: [{ ...run, events: ['agent_started', 'agent_completed'] }], 401: [invalidToken] },
  'POST /api/threads': { 200: [thread, { ...thread, title: null }], ...protectedErrors },
  'GET /api/threads': { 200: [[], [thread]], 422: [fastApi422], ...protectedErrors },
  'GET /api/threads/{id}': { 200: [thread], ...threadErrors },
  'PUT /api/threads/{id}': { 200: [{ ...thread, title: 'Renamed', metadata: { user_id: USER, topic: 'cost' } }], ...threadErrors },
  'DELETE /api/threads/{id}': { 200: [{ status: 'archived' }], ...threadErrors },
  'GET /api/threads/{id}/messages': {
    200: [{ thread_id: THREAD, messages: [message('user'), message('assistant')], total: 2, limit: 50, offset: 0 }],
    ...threadErrors,
  },
  'POST /api/threads/{id}/messages': { 200: [message('user')], 422: [fastApi422], ...threadErrors },
  'POST /api/websocket/ticket': {
    200: [{ ticket_id: 'tkt_1', expires_at: ISO, websocket_url: 'wss://api.example/ws?ticket=tkt_1' }],
    422: [fastApi422],
    ...protectedErrors,
  },
  '*': { 404: [detail('Not Found')] },
};

const envelope = (type: string, agent = 'data') => ({
  type,
  run_id: RUN,
  thread_id: THREAD,
  user_id: USER,
  agent_name: agent,
  timestamp: ISO,
});

/** A run event with `own` at top level and mirrored under `data`. */
export const runEvent = (type: string, own: Record<string, unknown>, agent = 'data') => ({
  ...envelope(type, agent),
  ...own,
  data: { ...own },
});

/** Conforming server frames by type. */
export const FRAME_SAMPLES: Record<string, Record<string, unknown>[]> = {
  connection_established: [
    {
      type: 'connection_established',
      data: {
        connection_id: 'conn_1',
        user_id: USER,
        heartbeat_interval: 30,
        golden_path_events: ['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_completed'],
      },
      timestamp: ISO,
    },
  ],
  agent_started: [runEvent('agent_started', { status: 'started', task_description: 'How can I cut cost?' }, 'supervisor')],
  agent_thinking: [runEvent('agent_thinking', { reasoning: 'Look at usage.', step_number: 1 })],
  tool_executing: [runEvent('tool_executing', { tool_name: 'data_query', parameters: { days: 30 }, execution_id: 'exec_1' })],
  tool_completed: [
    runEvent('tool_completed', { tool_name: 'data_query', execution_id: 'exec_1', results: { rows: 3 }, duration: 0.004, success: true }),
  ],
  stream_chunk: [runEvent('stream_chunk', { content: 'Request: ', chunk_index: 0 }, 'supervisor')],
  agent_completed: [
    runEvent(
      'agent_completed',
      { status: 'completed', final_response: 'Done.', result: { intent: 'x' }, execution_time_ms: 12.5 },
      'supervisor',
    ),
    { ...runEvent('agent_completed', { status: 'cancelled', final_response: '', result: {}, execution_time_ms: 3 }), recovered: true },
  ],
  agent_error: [runEvent('agent_error', { error_code: 'AGENT_FAILED', error_message: 'The triage agent failed' }, 'triage')],
  error_message: [{ type: 'error_message', error_code: 'RUN_NOT_FOUND', error_message: 'No such run', details: {}, timestamp: ISO_OFFSET }],
  thread_history: [{ type: 'thread_history', data: { thread_id: THREAD, messages: [message('user')] }, timestamp: ISO }],
  pong: [
    { type: 'pong', data: { timestamp: 1763717400123 }, timestamp: ISO },
    { type: 'pong', data: { timestamp: ISO }, timestamp: ISO },
  ],
  heartbeat: [{ type: 'heartbeat', data: { connection_id: 'conn_1' }, timestamp: ISO }],
  heartbeat_ack: [{ type: 'heartbeat_ack', data: { status: 'healthy' }, timestamp: ISO }],
  ack: [{ type: 'ack', received_type: 'custom_event', status: 'acknowledged', timestamp: ISO }],
};

/** Conforming client frames (flat and under `payload`). */
export const CLIENT_FRAME_SAMPLES: Record<string, unknown>[] = [
  { type: 'user_message', content: 'Hello' },
  { type: 'message', payload: { text: 'Hello', thread_id: THREAD } },
  { type: 'chat', message: 'Hello', context: { simulate_delay_ms: 200, force_failure: false } },
  { type: 'start_agent', agent_type: 'optimization', user_request: 'Cut cost', thread_id: THREAD },
  { type: 'start_agent', payload: { agent_type: 'triage', user_request: 'Anomalies?', context: { force_failure: true } } },
  { type: 'stop_agent', run_id: RUN },
  { type: 'stop_agent', payload: { run_id: RUN } },
  { type: 'get_thread_history', thread_id: THREAD },
  { type: 'ping' },
  { type: 'ping', timestamp: 1763717400123 },
  { type: 'heartbeat' },
  { type: 'custom_event', anything: true },
];

/** The same value with an extra field added to every object in it, at every depth. */
export function withExtraFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withExtraFields);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = { x_extra_field: { nested: [1, 'two', null] } };
  for (const [k, v] of Object.entries(value)) out[k] = withExtraFields(v);
  return out;
}
