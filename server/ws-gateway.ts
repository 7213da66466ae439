/**
 * The WebSocket at /ws (contract §4): handshake auth (Bearer header, jwt. subprotocol, single-use ticket),
 * subprotocol selection, per-user connection limit, client frames, idle heartbeats, and delivery of run events
 * to every open connection of the run's user, buffering them for recovery while the user has none.
 */
import { randomBytes } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { isAgentType, type AgentType } from './agents';
import { isObject, requestIdFor } from './http-util';
import { bearerToken, type App } from './routing';
import { parseRunContext, type EventSink } from './runs';
import { stamp } from './store';

export const CONNECTION_TIMEOUT_S = 60;
export const MAX_CONNECTIONS_PER_USER = 10;
const GOLDEN_PATH_EVENTS = ['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_completed'];
/** Buffered events per user awaiting recovery; the oldest are dropped beyond this. */
const RECOVERY_BUFFER_MAX = 1000;
const DEMO_USER = 'demo-user';

interface Connection {
  id: string;
  userId: string;
  ws: WebSocket;
  lastSeenMs: number;
  heartbeat?: NodeJS.Timeout;
}

type Frame = Record<string, unknown>;

const errorFrame = (code: string, message: string, details: Frame = {}): Frame => ({
  type: 'error_message',
  error_code: code,
  error_message: message,
  details,
  timestamp: stamp(),
});

/** The subprotocol list the client offered, in order. */
function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return typeof header === 'string'
    ? header
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
    : [];
}

const RAW_JWT = /^[\w-]+\.[\w-]+\.[\w-]*$/;

export class Gateway implements EventSink {
  private readonly wss: WebSocketServer;
  private readonly byUser = new Map<string, Set<Connection>>();
  /** Runs whose user lost every connection mid-run: their remaining events carry recovered:true. */
  private readonly recovering = new Set<string>();
  private readonly pending = new Map<string, Frame[]>();

  constructor(private readonly app: App) {
    this.wss = new WebSocketServer({
      noServer: true,
      // ws closes with 1009 when a message exceeds maxPayload; 0 would mean unlimited, so the fault uses a big cap.
      maxPayload: app.faults.has('oversized-frames-accepted') ? 64 * 1024 * 1024 : app.maxMessageSize,
      handleProtocols: (protocols) => {
        if (protocols.has('jwt-auth')) return 'jwt-auth';
        return [...protocols].find((p) => p.startsWith('jwt.')) ?? false;
      },
    });
    // The 101 answer carries the same headers as every other response.
    this.wss.on('headers', (headers, req) => {
      headers.push('x-content-type-options: nosniff', `x-request-id: ${requestIdFor(req, !app.faults.has('request-id-not-echoed'))}`);
    });
  }

  activeConnections(): number {
    let n = 0;
    for (const set of this.byUser.values()) for (const c of set) if (c.ws.readyState === WebSocket.OPEN) n++;
    return n;
  }

  private openConnections(userId: string): Connection[] {
    return [...(this.byUser.get(userId) ?? [])].filter((c) => c.ws.readyState === WebSocket.OPEN);
  }

  /** HTTP upgrade on the server: authenticate, then either 403 or open the socket. Never throws. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const requestId = requestIdFor(req, !this.app.faults.has('request-id-not-echoed'));
    const [pathname, search = ''] = (req.url ?? '/').split(/\?(.*)/s, 2);
    if (pathname !== '/ws') return this.refuse(socket, 404, 'Not Found', requestId);
    const userId = await this.authenticate(req, new URLSearchParams(search)).catch(() => undefined);
    if (!userId) return this.refuse(socket, 403, 'WebSocket authentication failed', requestId);
    if (socket.destroyed) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onOpen(ws, userId));
  }

  private refuse(socket: Duplex, status: number, text: string, requestId: string): void {
    if (socket.destroyed) return;
    const body = JSON.stringify({ detail: text });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `x-content-type-options: nosniff\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  /**
   * The user id, or undefined to refuse. Transports in contract order; the first one present is the only one
   * considered, so a bad header is not rescued by a good ticket.
   */
  private async authenticate(req: IncomingMessage, query: URLSearchParams): Promise<string | undefined> {
    const faults = this.app.faults;
    const viaToken = async (token: string | undefined) => {
      const verdict = await this.app.tokens.verify(token, 'access');
      return verdict.ok ? verdict.claims.sub : undefined;
    };
    if (req.headers.authorization !== undefined) return viaToken(bearerToken(req));

    const entry = offeredProtocols(req).find((p) => p.startsWith('jwt.'));
    if (entry !== undefined) {
      const rest = entry.slice('jwt.'.length);
      // A raw JWT has dots; base64url never does. The fault forgets to decode the base64url form.
      const token = RAW_JWT.test(rest) || faults.has('ws-subprotocol-auth-broken') ? rest : Buffer.from(rest, 'base64url').toString('utf8');
      return viaToken(token);
    }

    const ticketId = query.get('ticket');
    if (ticketId !== null) {
      const ticket = this.app.store.tickets.get(ticketId);
      if (!ticket || ticket.used || Date.now() > ticket.expiresAtMs) return undefined;
      if (this.app.store.revokedJtis.has(ticket.issuerJti)) return undefined;
      if (!faults.has('ticket-reusable')) ticket.used = true;
      return ticket.userId;
    }

    const queryToken = query.get('token');
    if (queryToken !== null && faults.has('ws-query-token-accepted')) return viaToken(queryToken);
    return faults.has('ws-demo-fallback') ? DEMO_USER : undefined;
  }

  private onOpen(ws: WebSocket, userId: string): void {
    // ws closes the socket itself after an error (1009 for an oversized frame); the listener only keeps it from throwing.
    ws.on('error', () => undefined);
    const others = this.openConnections(userId).filter((c) => c.ws !== ws);
    if (others.length >= MAX_CONNECTIONS_PER_USER && !this.app.faults.has('connection-limit-unenforced')) {
      ws.send(
        JSON.stringify(
          errorFrame('CONNECTION_LIMIT', `A user may hold ${MAX_CONNECTIONS_PER_USER} connections`, {
            max_connections_per_user: MAX_CONNECTIONS_PER_USER,
          }),
        ),
      );
      ws.close(1008, 'Connection limit reached');
      return;
    }
    // Opening with no other open connection while a run plays means every earlier connection closed mid-run.
    if (others.length === 0) this.markRecovering(userId);

    const conn: Connection = { id: `conn_${randomBytes(12).toString('hex')}`, userId, ws, lastSeenMs: Date.now() };
    const set = this.byUser.get(userId) ?? new Set();
    set.add(conn);
    this.byUser.set(userId, set);

    if (!this.app.faults.has('heartbeat-never-sent')) {
      conn.heartbeat = setTimeout(() => this.onIdle(conn), this.app.heartbeatIntervalS * 1000);
    }
    ws.on('pong', () => (conn.lastSeenMs = Date.now()));
    ws.on('message', (data, isBinary) => this.onFrame(conn, data, isBinary));
    ws.on('close', () => {
      clearTimeout(conn.heartbeat);
      set.delete(conn);
      if (set.size === 0) this.byUser.delete(userId);
      if (this.openConnections(userId).length === 0) this.markRecovering(userId);
    });

    const welcomeUserId = this.app.faults.has('welcome-user-id-truncated') ? userId.slice(0, 8) : userId;
    this.send(conn, {
      type: 'connection_established',
      data: {
        connection_id: conn.id,
        user_id: welcomeUserId,
        heartbeat_interval: this.app.heartbeatIntervalS,
        golden_path_events: GOLDEN_PATH_EVENTS,
      },
      timestamp: stamp(),
    });
    const buffered = this.pending.get(userId);
    if (buffered) {
      this.pending.delete(userId);
      for (const frame of buffered) {
        this.send(conn, frame);
        if (isTerminal(frame)) this.recovering.delete(frame.run_id as string);
      }
    }
  }

  private markRecovering(userId: string): void {
    if (this.app.faults.has('recovery-not-delivered')) return;
    for (const runId of this.app.engine.activeRunIds(userId)) this.recovering.add(runId);
  }

  /** Idle for heartbeat_interval: probe the peer and tell the client we are alive; drop peers silent too long. */
  private onIdle(conn: Connection): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - conn.lastSeenMs > CONNECTION_TIMEOUT_S * 1000) {
      conn.ws.terminate();
      return;
    }
    conn.ws.ping();
    this.send(conn, { type: 'heartbeat', data: { connection_id: conn.id }, timestamp: stamp() });
  }

  private send(conn: Connection, frame: Frame): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    conn.ws.send(JSON.stringify(frame));
    conn.heartbeat?.refresh();
  }

  deliver(userId: string, runId: string, frame: Frame): void {
    const own = this.openConnections(userId);
    if (own.length === 0) {
      if (this.app.faults.has('recovery-not-delivered')) return;
      this.recovering.add(runId);
      const buffer = this.pending.get(userId) ?? [];
      buffer.push({ ...frame, recovered: true });
      if (buffer.length > RECOVERY_BUFFER_MAX) buffer.shift();
      this.pending.set(userId, buffer);
      return;
    }
    const out = this.recovering.has(runId) ? { ...frame, recovered: true } : frame;
    if (isTerminal(frame)) this.recovering.delete(runId);
    const targets = this.app.faults.has('cross-user-event-leak') ? [...this.byUser.keys()].flatMap((u) => this.openConnections(u)) : own;
    for (const conn of targets) this.send(conn, out);
  }

  private onFrame(conn: Connection, data: RawData, isBinary: boolean): void {
    conn.lastSeenMs = Date.now();
    conn.heartbeat?.refresh();
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data).toString('utf8');
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      msg = undefined;
    }
    if (!isObject(msg)) {
      this.send(conn, errorFrame('JSON_PARSE_ERROR', `${isBinary ? 'Binary frame' : 'Frame'} is not a JSON object`));
      return;
    }
    if (typeof msg.type !== 'string' || msg.type === '') {
      this.send(conn, errorFrame('INVALID_MESSAGE', 'Frame has no type'));
      return;
    }
    // The body may be flat or under payload; payload fields win.
    const body: Frame = isObject(msg.payload) ? { ...msg, ...msg.payload } : msg;
    try {
      this.dispatch(conn, msg.type, body);
    } catch {
      this.send(conn, errorFrame('INTERNAL_ERROR', 'The frame could not be processed'));
    }
  }

  private dispatch(conn: Connection, type: string, body: Frame): void {
    const { store, engine } = this.app;
    switch (type) {
      case 'user_message':
      case 'message':
      case 'chat':
        return this.startRun(conn, 'supervisor', firstText(body.content, body.text, body.message), body);
      case 'start_agent':
        if (!isAgentType(body.agent_type)) {
          return this.send(
            conn,
            errorFrame('UNKNOWN_AGENT', `Unknown agent type ${JSON.stringify(body.agent_type ?? null)}`, {
              agent_type: body.agent_type ?? null,
            }),
          );
        }
        return this.startRun(conn, body.agent_type, firstText(body.user_request, body.content, body.text, body.message), body);
      case 'stop_agent': {
        const outcome = engine.stop(conn.userId, body.run_id);
        if (outcome === 'RUN_NOT_FOUND')
          return this.send(conn, errorFrame('RUN_NOT_FOUND', 'No such run', { run_id: body.run_id ?? null }));
        if (outcome === 'RUN_NOT_ACTIVE')
          return this.send(conn, errorFrame('RUN_NOT_ACTIVE', 'The run has already ended', { run_id: body.run_id }));
        return;
      }
      case 'get_thread_history': {
        if (body.thread_id === undefined || body.thread_id === null)
          return this.send(conn, errorFrame('INVALID_MESSAGE', 'thread_id is required'));
        const access = store.accessThread(body.thread_id, conn.userId);
        if (!access.ok) return this.send(conn, threadError(access.reason, body.thread_id));
        return this.send(conn, {
          type: 'thread_history',
          data: { thread_id: access.thread.id, messages: access.thread.messages },
          timestamp: stamp(),
        });
      }
      case 'ping':
        return this.send(conn, { type: 'pong', data: { timestamp: body.timestamp ?? stamp() }, timestamp: stamp() });
      case 'heartbeat':
        return this.send(conn, { type: 'heartbeat_ack', data: { status: 'healthy' }, timestamp: stamp() });
      default:
        return this.send(conn, { type: 'ack', received_type: type, status: 'acknowledged', timestamp: stamp() });
    }
  }

  private startRun(conn: Connection, agentType: AgentType, text: string | undefined, body: Frame): void {
    if (text === undefined || text.trim() === '') return this.send(conn, errorFrame('INVALID_MESSAGE', 'Message content is empty'));
    const ctx = parseRunContext(body.context);
    if (typeof ctx === 'string') return this.send(conn, errorFrame('INVALID_MESSAGE', ctx));
    const choice = this.app.engine.chooseThread(conn.userId, body.thread_id, text);
    if (!choice.ok) return this.send(conn, threadError(choice.reason, body.thread_id));
    this.app.engine.startWs(conn.userId, agentType, text, choice.thread, ctx);
  }

  close(): void {
    for (const set of this.byUser.values())
      for (const c of set) {
        clearTimeout(c.heartbeat);
        c.ws.terminate();
      }
    this.byUser.clear();
    this.wss.close();
  }
}

const isTerminal = (frame: Frame) => frame.type === 'agent_completed' || frame.type === 'agent_error';

function firstText(...candidates: unknown[]): string | undefined {
  return candidates.find((c): c is string => typeof c === 'string');
}

function threadError(reason: 'not_found' | 'denied', threadId: unknown): Frame {
  return reason === 'denied'
    ? errorFrame('THREAD_ACCESS_DENIED', 'The thread belongs to another user', { thread_id: threadId })
    : errorFrame('THREAD_NOT_FOUND', 'Thread not found', { thread_id: threadId ?? null });
}
