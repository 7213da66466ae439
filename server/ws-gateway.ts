/**
 * The WebSocket at /ws (contract §4): handshake auth (Bearer header, jwt. subprotocol, single-use ticket),
 * subprotocol selection, per-user connection limit, client frames, idle heartbeats, and delivery of run events
 * to every open connection of the run's user, buffering them for recovery while the user has none. Every frame
 * leaves through send(), where the latitudes that change frames on the wire (extra and per-connection fields,
 * jitter) are applied.
 */
import { randomBytes } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { isAgentType, type AgentType } from './agents';
import { isObject, requestIdFor } from './http-util';
import { withExtraFields } from './latitudes';
import { bearerToken, type App } from './routing';
import { parseRunContext, type EventSink } from './runs';
import { messageListItem } from './store';

export const CONNECTION_TIMEOUT_S = 60;
export const MAX_CONNECTIONS_PER_USER = 10;
const GOLDEN_PATH_EVENTS = ['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_completed'];
/** Buffered events per user awaiting recovery; the oldest are dropped beyond this. */
const RECOVERY_BUFFER_MAX = 1000;
const DEMO_USER = 'demo-user';
/** jitter: upper bound of the random wait before each frame. */
const JITTER_MS = 20;
/** lazy-slot-release: how long a closed connection keeps its slot. */
const SLOT_RELEASE_MS = 300;

type Frame = Record<string, unknown>;

/** Whom a handshake authenticated, and the jti of the token it used (for a ticket: the token that issued it). */
interface Credential {
  userId: string;
  jti: string;
}

/** What a connection sends: a frame, or its close. */
type Outgoing = { frame: Frame } | { close: [code: number, reason: string] };

interface Connection {
  id: string;
  userId: string;
  /** The handshake token's jti, so logout can find the connection (logout-closes-sockets). */
  jti: string;
  ws: WebSocket;
  lastSeenMs: number;
  heartbeat?: NodeJS.Timeout;
  /** Frames written so far: the per-connection-fields seq. */
  written: number;
  /** Under jitter only: what waits to be written, in order. */
  outbox?: Outbox;
}

/** jitter: each item waits a random time, but never leaves before the one ahead of it. */
class Outbox {
  private readonly queue: { dueMs: number; item: Outgoing }[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly release: (item: Outgoing) => void,
    private readonly waitMs: () => number,
  ) {}

  push(item: Outgoing): void {
    const dueMs = Math.max(performance.now() + this.waitMs(), this.queue.at(-1)?.dueMs ?? 0);
    this.queue.push({ dueMs, item });
    this.arm();
  }

  /** Takes out everything still waiting. */
  drain(): Outgoing[] {
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.queue.splice(0).map((e) => e.item);
  }

  private arm(): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      while (this.queue.length > 0 && this.queue[0].dueMs <= performance.now()) this.release(this.queue.shift()!.item);
      this.arm();
    }, this.queue[0].dueMs - performance.now());
  }
}

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
  /** lazy-slot-release: per user, when each recently closed connection gives its slot back. */
  private readonly heldSlots = new Map<string, number[]>();
  /** extra-fields: one decorated copy per frame, so every connection of a user gets the same fields. */
  private readonly decorated = new WeakMap<Frame, Frame>();
  /** jitter: run frames in delivery order, so frames rescued from closed connections' outboxes keep their order. */
  private readonly deliveryOrder = new WeakMap<Frame, number>();
  private delivered = 0;

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

  /** Slots of the per-user limit in use: open connections, or (lazy-slot-release) also those closed moments ago. */
  private slotsTaken(userId: string): number {
    if (!this.app.latitudes.has('lazy-slot-release')) return this.openConnections(userId).length;
    const now = Date.now();
    const held = (this.heldSlots.get(userId) ?? []).filter((until) => until > now);
    this.heldSlots.set(userId, held);
    return (this.byUser.get(userId)?.size ?? 0) + held.length;
  }

  /** HTTP upgrade on the server: authenticate, then either 403 or open the socket. Never throws. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const requestId = requestIdFor(req, !this.app.faults.has('request-id-not-echoed'));
    const [pathname, search = ''] = (req.url ?? '/').split(/\?(.*)/s, 2);
    if (pathname !== '/ws') return this.refuse(socket, 404, 'Not Found', requestId);
    const credential = await this.authenticate(req, new URLSearchParams(search)).catch(() => undefined);
    if (!credential) return this.refuse(socket, 403, 'WebSocket authentication failed', requestId);
    if (socket.destroyed) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onOpen(ws, credential));
  }

  private refuse(socket: Duplex, status: number, text: string, requestId: string): void {
    if (socket.destroyed) return;
    const { latitudes } = this.app;
    const body = JSON.stringify(latitudes.has('extra-fields') ? withExtraFields({ detail: text }, latitudes.random) : { detail: text });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `x-content-type-options: nosniff\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  /**
   * Who the handshake authenticates, or undefined to refuse. Transports in contract order; the first one present
   * is the only one considered, so a bad header is not rescued by a good ticket.
   */
  private async authenticate(req: IncomingMessage, query: URLSearchParams): Promise<Credential | undefined> {
    const faults = this.app.faults;
    const viaToken = async (token: string | undefined) => {
      const verdict = await this.app.tokens.verify(token, 'access');
      return verdict.ok ? { userId: verdict.claims.sub, jti: verdict.claims.jti } : undefined;
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
      return { userId: ticket.userId, jti: ticket.issuerJti };
    }

    const queryToken = query.get('token');
    if (queryToken !== null && faults.has('ws-query-token-accepted')) return viaToken(queryToken);
    return faults.has('ws-demo-fallback') ? { userId: DEMO_USER, jti: '' } : undefined;
  }

  private onOpen(ws: WebSocket, { userId, jti }: Credential): void {
    // ws closes the socket itself after an error (1009 for an oversized frame); the listener only keeps it from throwing.
    ws.on('error', () => undefined);
    const { faults, latitudes } = this.app;
    const conn: Connection = { id: `conn_${randomBytes(12).toString('hex')}`, userId, jti, ws, lastSeenMs: Date.now(), written: 0 };
    if (latitudes.has('jitter'))
      conn.outbox = new Outbox(
        (item) => this.release(conn, item),
        () => latitudes.random() * JITTER_MS,
      );
    if (this.slotsTaken(userId) >= MAX_CONNECTIONS_PER_USER && !faults.has('connection-limit-unenforced')) {
      if (latitudes.has('limit-welcome-first')) this.welcome(conn);
      this.send(
        conn,
        this.error('CONNECTION_LIMIT', `A user may hold ${MAX_CONNECTIONS_PER_USER} connections`, {
          max_connections_per_user: MAX_CONNECTIONS_PER_USER,
        }),
      );
      this.closeConnection(conn, 1008, 'Connection limit reached');
      return;
    }
    // Opening with no other open connection while a run plays means every earlier connection closed mid-run.
    const first = this.openConnections(userId).length === 0;
    if (first) {
      this.rescue(userId);
      this.markRecovering(userId);
    }

    const set = this.byUser.get(userId) ?? new Set();
    set.add(conn);
    this.byUser.set(userId, set);

    if (!faults.has('heartbeat-never-sent')) {
      const beatMs = this.app.heartbeatIntervalS * 1000;
      // heartbeat-always beats on a fixed interval; otherwise every frame in or out postpones the next beat.
      conn.heartbeat = latitudes.has('heartbeat-always')
        ? setInterval(() => this.beat(conn), beatMs)
        : setTimeout(() => this.beat(conn), beatMs);
    }
    ws.on('pong', () => (conn.lastSeenMs = Date.now()));
    ws.on('message', (data, isBinary) => this.onFrame(conn, data, isBinary));
    ws.on('close', () => {
      clearTimeout(conn.heartbeat);
      this.rescue(userId);
      set.delete(conn);
      if (set.size === 0) this.byUser.delete(userId);
      if (latitudes.has('lazy-slot-release'))
        this.heldSlots.set(userId, [...(this.heldSlots.get(userId) ?? []), Date.now() + SLOT_RELEASE_MS]);
      if (this.openConnections(userId).length === 0) this.markRecovering(userId);
    });

    this.welcome(conn);
    const buffered = this.pending.get(userId);
    if (buffered) {
      this.pending.delete(userId);
      for (const frame of buffered) {
        this.send(conn, frame);
        if (isTerminal(frame)) this.recovering.delete(frame.run_id as string);
      }
    }
  }

  private welcome(conn: Connection): void {
    const userId = this.app.faults.has('welcome-user-id-truncated') ? conn.userId.slice(0, 8) : conn.userId;
    this.send(conn, {
      type: 'connection_established',
      data: {
        connection_id: conn.id,
        user_id: userId,
        heartbeat_interval: this.app.heartbeatIntervalS,
        golden_path_events: GOLDEN_PATH_EVENTS,
      },
      timestamp: this.app.store.stamp(),
    });
  }

  private markRecovering(userId: string): void {
    if (this.app.faults.has('recovery-not-delivered')) return;
    for (const runId of this.app.engine.activeRunIds(userId)) this.recovering.add(runId);
  }

  /** Closes (1008) every open connection whose handshake used the token with this jti. */
  closeAuthenticatedBy(jti: string): void {
    for (const set of this.byUser.values())
      for (const c of set) if (c.jti === jti && c.ws.readyState === WebSocket.OPEN) this.closeConnection(c, 1008, 'Token revoked');
  }

  /** Every heartbeat_interval (idle, or always): probe the peer and tell the client we are alive; drop peers silent too long. */
  private beat(conn: Connection): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - conn.lastSeenMs > CONNECTION_TIMEOUT_S * 1000) {
      conn.ws.terminate();
      return;
    }
    conn.ws.ping();
    this.send(conn, { type: 'heartbeat', data: { connection_id: conn.id }, timestamp: this.app.store.stamp() });
  }

  /** Traffic postpones the idle heartbeat (not under heartbeat-always). */
  private postponeHeartbeat(conn: Connection): void {
    if (!this.app.latitudes.has('heartbeat-always')) conn.heartbeat?.refresh();
  }

  private send(conn: Connection, frame: Frame): void {
    if (conn.outbox) conn.outbox.push({ frame });
    else this.write(conn, frame);
  }

  private closeConnection(conn: Connection, code: number, reason: string): void {
    if (conn.outbox) conn.outbox.push({ close: [code, reason] });
    else conn.ws.close(code, reason);
  }

  /** Writes a frame now; false when the connection is no longer open. */
  private write(conn: Connection, frame: Frame): boolean {
    if (conn.ws.readyState !== WebSocket.OPEN) return false;
    conn.ws.send(JSON.stringify(this.onWire(conn, frame)));
    this.postponeHeartbeat(conn);
    return true;
  }

  /** The frame as this connection gets it: extra-fields and per-connection-fields add to it. */
  private onWire(conn: Connection, frame: Frame): Frame {
    const { latitudes } = this.app;
    let out = frame;
    if (latitudes.has('extra-fields')) {
      out = this.decorated.get(frame) ?? (withExtraFields(frame, latitudes.random) as Frame);
      this.decorated.set(frame, out);
    }
    conn.written++;
    return latitudes.has('per-connection-fields') ? { ...out, connection_id: conn.id, seq: conn.written } : out;
  }

  /** An outbox item whose wait is over. A run frame that finds its connection closed is rescued for recovery. */
  private release(conn: Connection, item: Outgoing): void {
    if ('close' in item) conn.ws.close(...item.close);
    else if (!this.write(conn, item.frame)) this.rescue(conn.userId, [item.frame]);
  }

  /**
   * jitter: run frames still waiting in the outbox of a connection that has closed. With another connection open the
   * user got them there; with none they are buffered for recovery, ahead of frames delivered after them.
   */
  private rescue(userId: string, stranded: Frame[] = []): void {
    const frames = [...stranded];
    for (const c of this.byUser.get(userId) ?? []) {
      if (!c.outbox || c.ws.readyState === WebSocket.OPEN) continue;
      for (const item of c.outbox.drain()) if ('frame' in item) frames.push(item.frame);
    }
    const order = (f: Frame) => this.deliveryOrder.get(f) ?? 0;
    const runFrames = [...new Set(frames.filter((f) => this.deliveryOrder.has(f)))].sort((a, b) => order(a) - order(b));
    if (runFrames.length > 0 && this.openConnections(userId).length === 0) this.buffer(userId, runFrames, 'first');
  }

  /** Frames for a user without an open connection wait for the next one, flagged recovered (the recovery faults drop them). */
  private buffer(userId: string, frames: Frame[], where: 'first' | 'last'): void {
    if (this.app.faults.has('recovery-not-delivered')) return;
    for (const f of frames) this.recovering.add(f.run_id as string);
    if (this.app.faults.has('recovery-buffer-dropped')) return;
    const flagged = frames.map((f) => {
      const copy = { ...f, recovered: true };
      if (this.app.latitudes.has('jitter')) this.deliveryOrder.set(copy, this.deliveryOrder.get(f) ?? ++this.delivered);
      return copy;
    });
    const buffer = this.pending.get(userId) ?? [];
    if (where === 'first') buffer.unshift(...flagged);
    else buffer.push(...flagged);
    while (buffer.length > RECOVERY_BUFFER_MAX) buffer.shift();
    this.pending.set(userId, buffer);
  }

  deliver(userId: string, runId: string, frame: Frame): void {
    const own = this.openConnections(userId);
    if (own.length === 0) {
      this.rescue(userId);
      this.buffer(userId, [frame], 'last');
      return;
    }
    const out = this.recovering.has(runId) ? { ...frame, recovered: true } : frame;
    if (isTerminal(frame)) this.recovering.delete(runId);
    if (this.app.latitudes.has('jitter')) this.deliveryOrder.set(out, ++this.delivered);
    const targets = this.app.faults.has('cross-user-event-leak') ? [...this.byUser.keys()].flatMap((u) => this.openConnections(u)) : own;
    for (const conn of targets) this.send(conn, out);
  }

  private onFrame(conn: Connection, data: RawData, isBinary: boolean): void {
    conn.lastSeenMs = Date.now();
    this.postponeHeartbeat(conn);
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
      this.send(conn, this.error('JSON_PARSE_ERROR', `${isBinary ? 'Binary frame' : 'Frame'} is not a JSON object`));
      return;
    }
    if (typeof msg.type !== 'string' || msg.type === '') {
      this.send(conn, this.error('INVALID_MESSAGE', 'Frame has no type'));
      return;
    }
    // The body may be flat or under payload; payload fields win.
    const body: Frame = isObject(msg.payload) ? { ...msg, ...msg.payload } : msg;
    try {
      this.dispatch(conn, msg.type, body);
    } catch {
      this.send(conn, this.error('INTERNAL_ERROR', 'The frame could not be processed'));
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
            this.error('UNKNOWN_AGENT', `Unknown agent type ${JSON.stringify(body.agent_type ?? null)}`, {
              agent_type: body.agent_type ?? null,
            }),
          );
        }
        return this.startRun(conn, body.agent_type, firstText(body.user_request, body.content, body.text, body.message), body);
      case 'stop_agent': {
        const outcome = engine.stop(conn.userId, body.run_id);
        if (outcome === 'RUN_NOT_FOUND')
          return this.send(conn, this.error('RUN_NOT_FOUND', 'No such run', { run_id: body.run_id ?? null }));
        if (outcome === 'RUN_NOT_ACTIVE')
          return this.send(conn, this.error('RUN_NOT_ACTIVE', 'The run has already ended', { run_id: body.run_id }));
        return;
      }
      case 'get_thread_history': {
        if (body.thread_id === undefined || body.thread_id === null)
          return this.send(conn, this.error('INVALID_MESSAGE', 'thread_id is required'));
        const access = store.accessThread(body.thread_id, conn.userId);
        if (!access.ok) return this.send(conn, this.threadError(access.reason, body.thread_id));
        const newestFirst = this.app.latitudes.has('history-newest-first');
        const messages = newestFirst ? [...access.thread.messages].reverse() : access.thread.messages;
        return this.send(conn, {
          type: 'thread_history',
          data: {
            thread_id: access.thread.id,
            messages: this.app.latitudes.has('list-item-extras') ? messages.map(messageListItem) : messages,
          },
          timestamp: store.stamp(),
        });
      }
      case 'ping': {
        const echo = this.app.latitudes.has('pong-server-time') ? undefined : body.timestamp;
        return this.send(conn, { type: 'pong', data: { timestamp: echo ?? store.stamp() }, timestamp: store.stamp() });
      }
      case 'heartbeat':
        return this.send(conn, { type: 'heartbeat_ack', data: { status: 'healthy' }, timestamp: store.stamp() });
      default:
        return this.send(conn, { type: 'ack', received_type: type, status: 'acknowledged', timestamp: store.stamp() });
    }
  }

  private startRun(conn: Connection, agentType: AgentType, text: string | undefined, body: Frame): void {
    if (text === undefined || text.trim() === '') return this.send(conn, this.error('INVALID_MESSAGE', 'Message content is empty'));
    const ctx = parseRunContext(body.context);
    if (typeof ctx === 'string') return this.send(conn, this.error('INVALID_MESSAGE', ctx));
    const choice = this.app.engine.chooseThread(conn.userId, body.thread_id, text);
    if (!choice.ok) return this.send(conn, this.threadError(choice.reason, body.thread_id));
    this.app.engine.startWs(conn.userId, agentType, text, choice.thread, ctx);
  }

  /** An error_message frame; `details` names the offending id or value (contract-fields-only: {}). */
  private error(code: string, message: string, details: Frame = {}): Frame {
    return {
      type: 'error_message',
      error_code: code,
      error_message: message,
      details: this.app.latitudes.has('contract-fields-only') ? {} : details,
      timestamp: this.app.store.stamp(),
    };
  }

  private threadError(reason: 'not_found' | 'denied', threadId: unknown): Frame {
    return reason === 'denied'
      ? this.error('THREAD_ACCESS_DENIED', 'The thread belongs to another user', { thread_id: threadId })
      : this.error('THREAD_NOT_FOUND', 'Thread not found', { thread_id: threadId ?? null });
  }

  close(): void {
    for (const set of this.byUser.values())
      for (const c of set) {
        clearTimeout(c.heartbeat);
        c.outbox?.drain();
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
