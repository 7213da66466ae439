/**
 * All server state, in memory: users, threads and their messages, agent runs, WebSocket tickets and the token
 * bookkeeping (revoked jtis, spent refresh tokens). Ownership checks live here so REST and WebSocket share them,
 * and so does the clock: timestamps never go backwards and are written in one ISO form per server.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface User {
  id: string;
  email: string;
  name: string;
  permissions: string[];
  /** salt:sha256 for registered users; e2e users have no password. */
  passwordHash?: string;
}

export interface Thread {
  id: string;
  ownerId: string;
  title: string;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  /** updated_at in milliseconds, for ordering by activity whatever the timestamps' form. */
  updatedMs: number;
  archived: boolean;
  /** Creation order; breaks ties between equal timestamps. */
  seq: number;
  messages: Message[];
}

export interface Message {
  id: string;
  thread_id: string;
  role: 'user' | 'assistant';
  content: string;
  created_at: string;
  metadata: Record<string, unknown>;
}

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface Run {
  run_id: string;
  ownerId: string;
  agent_type: string;
  status: RunStatus;
  thread_id: string;
  startedMs: number;
  completedMs?: number;
  /** Event types in emitted order. */
  events: string[];
  seq: number;
}

export interface Ticket {
  id: string;
  userId: string;
  /** jti of the access token that asked for it: a ticket dies with that token. */
  issuerJti: string;
  expiresAtMs: number;
  used: boolean;
}

export type ThreadAccess = { ok: true; thread: Thread } | { ok: false; reason: 'not_found' | 'denied' };

export const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/** Milliseconds that never go backwards, so timestamps are non-decreasing even if the wall clock steps back. */
let lastMs = 0;
function monotonicNow(): number {
  lastMs = Math.max(lastMs, Date.now());
  return lastMs;
}

/** How the server writes an ISO timestamp. */
export type IsoFormat = (ms: number) => string;
export const isoMillis: IsoFormat = (ms) => new Date(ms).toISOString();
/** The iso-offset-seconds latitude: whole seconds with +00:00. */
export const isoSeconds: IsoFormat = (ms) => `${new Date(ms).toISOString().slice(0, 19)}+00:00`;

function hashPassword(password: string, salt = randomBytes(16).toString('hex')): string {
  return `${salt}:${createHash('sha256').update(`${salt}:${password}`).digest('hex')}`;
}

export class Store {
  private seq = 0;
  /** Formats every ISO timestamp the server sends. */
  readonly iso: IsoFormat;
  readonly users = new Map<string, User>();
  private readonly userIdByEmail = new Map<string, string>();
  private readonly threads = new Map<string, Thread>();
  private readonly threadsByOwner = new Map<string, Thread[]>();
  private readonly runs = new Map<string, Run>();
  private readonly runsByOwner = new Map<string, Run[]>();
  readonly tickets = new Map<string, Ticket>();
  readonly revokedJtis = new Set<string>();
  readonly spentRefreshJtis = new Set<string>();
  /** access jti -> the refresh token issued with it (logout revokes both). */
  readonly pairRefresh = new Map<string, { jti: string; exp: number }>();

  constructor(iso: IsoFormat = isoMillis) {
    this.iso = iso;
  }

  /** Now in milliseconds, never before an earlier reading. */
  now(): number {
    return monotonicNow();
  }

  /** Now as an ISO timestamp, never before an earlier one. */
  stamp(): string {
    return this.iso(monotonicNow());
  }

  nextSeq(): number {
    return ++this.seq;
  }

  // --- users ---
  userByEmail(email: string): User | undefined {
    const id = this.userIdByEmail.get(email.toLowerCase());
    return id === undefined ? undefined : this.users.get(id);
  }

  addUser(user: Omit<User, 'passwordHash'>, password?: string): User {
    const stored: User = { ...user, passwordHash: password === undefined ? undefined : hashPassword(password) };
    this.users.set(stored.id, stored);
    this.userIdByEmail.set(stored.email.toLowerCase(), stored.id);
    return stored;
  }

  passwordMatches(user: User, password: string): boolean {
    if (!user.passwordHash) return false;
    const [salt] = user.passwordHash.split(':');
    const a = Buffer.from(hashPassword(password, salt));
    const b = Buffer.from(user.passwordHash);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  // --- threads ---
  createThread(ownerId: string, title: string, metadata: Record<string, unknown>): Thread {
    const nowMs = monotonicNow();
    const now = this.iso(nowMs);
    const thread: Thread = {
      id: newId('thr'),
      ownerId,
      title,
      metadata: { ...metadata, user_id: ownerId },
      createdAt: now,
      updatedAt: now,
      updatedMs: nowMs,
      archived: false,
      seq: this.nextSeq(),
      messages: [],
    };
    this.threads.set(thread.id, thread);
    const list = this.threadsByOwner.get(ownerId) ?? [];
    list.push(thread);
    this.threadsByOwner.set(ownerId, list);
    return thread;
  }

  /** Unknown and archived threads are "not found" for everyone; live threads of others are "denied". */
  accessThread(id: unknown, userId: string, checkOwner = true): ThreadAccess {
    const thread = typeof id === 'string' ? this.threads.get(id) : undefined;
    if (!thread || thread.archived) return { ok: false, reason: 'not_found' };
    if (checkOwner && thread.ownerId !== userId) return { ok: false, reason: 'denied' };
    return { ok: true, thread };
  }

  /** The owner's thread that is already archived, if `id` names one. */
  archivedThread(id: string, userId: string): Thread | undefined {
    const thread = this.threads.get(id);
    return thread?.archived && thread.ownerId === userId ? thread : undefined;
  }

  /** The user's live threads, newest first: by creation, or by activity (updated_at, then creation). */
  listThreads(ownerId: string, byActivity = false): Thread[] {
    const live = (this.threadsByOwner.get(ownerId) ?? []).filter((t) => !t.archived);
    return live.sort((a, b) => (byActivity ? b.updatedMs - a.updatedMs : 0) || b.seq - a.seq);
  }

  /** Moves updated_at to now. */
  touch(thread: Thread): void {
    thread.updatedMs = monotonicNow();
    thread.updatedAt = this.iso(thread.updatedMs);
  }

  addMessage(thread: Thread, role: Message['role'], content: string, metadata: Record<string, unknown> = {}): Message {
    this.touch(thread);
    const message: Message = { id: newId('msg'), thread_id: thread.id, role, content, created_at: thread.updatedAt, metadata };
    thread.messages.push(message);
    return message;
  }

  // --- runs ---
  createRun(ownerId: string, agentType: string, threadId: string): Run {
    const run: Run = {
      run_id: newId('run'),
      ownerId,
      agent_type: agentType,
      status: 'running',
      thread_id: threadId,
      startedMs: monotonicNow(),
      events: [],
      seq: this.nextSeq(),
    };
    this.runs.set(run.run_id, run);
    const list = this.runsByOwner.get(ownerId) ?? [];
    list.push(run);
    this.runsByOwner.set(ownerId, list);
    return run;
  }

  /** Records the run's end; `atMs` is when it ended (it may be written later than that). */
  finishRun(run: Run, status: Exclude<RunStatus, 'running'>, atMs: number = monotonicNow()): void {
    run.status = status;
    run.completedMs = atMs;
  }

  run(id: unknown): Run | undefined {
    return typeof id === 'string' ? this.runs.get(id) : undefined;
  }

  /** The user's runs, newest first. */
  listRuns(ownerId: string): Run[] {
    return [...(this.runsByOwner.get(ownerId) ?? [])].sort((a, b) => b.seq - a.seq);
  }
}

export function threadView(t: Thread) {
  return {
    id: t.id,
    title: t.title,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    message_count: t.messages.length,
    metadata: t.metadata,
  };
}

/** A message as list views show it under list-item-extras: with a rough token count the single view lacks. */
export const messageListItem = (m: Message) => ({ ...m, token_estimate: Math.ceil(m.content.length / 4) });

/** A run as REST shows it; `time` writes started_at and completed_at. */
export function runView(r: Run, time: (ms: number) => string | number) {
  return {
    run_id: r.run_id,
    agent_type: r.agent_type,
    status: r.status,
    thread_id: r.thread_id,
    started_at: time(r.startedMs),
    ...(r.completedMs !== undefined ? { completed_at: time(r.completedMs) } : {}),
  };
}
