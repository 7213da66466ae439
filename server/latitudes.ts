/**
 * Latitude switches: the mirror image of the fault switches (faults.ts). Where the contract leaves a target room,
 * the server made one choice ("Decisions of this project" in docs/contract.md); each latitude makes it take another
 * choice that is just as conforming. A fault breaks a clause and the tests that check it must fail; a latitude keeps
 * every clause and every test must still pass. docs/latitudes.md is generated from this table.
 */

import { SwitchSet, type SwitchKind } from './switches';

export interface LatitudeSpec {
  name: string;
  /** Contract section and the words that leave the room. */
  clause: string;
  /** What the server sends when the switch is on. */
  does: string;
}

const ROOM = 'v1.1 "Room left to targets":';

const LATITUDE_TABLE = [
  // Extra data
  {
    name: 'extra-fields',
    clause: `${ROOM} "a conforming target may send more fields anywhere"`,
    does:
      'every JSON object of REST and auth bodies (errors included), every WebSocket frame and its data gain x_server_note and ' +
      'x_trace (varying values; client metadata keys come back as sent); issued JWTs carry a scope claim and a kid header',
  },
  {
    name: 'list-item-extras',
    clause: `${ROOM} "a conforming target may send more fields anywhere" (list items too)`,
    does:
      'list items carry fields the single view lacks: GET /api/threads items last_message_preview, GET .../messages items and ' +
      'thread_history messages token_estimate, GET /api/agents/runs items event_count',
  },
  {
    name: 'per-connection-fields',
    clause: `${ROOM} "more fields anywhere"; §4 "Events of a run go to every open connection of its user"`,
    does: 'every frame carries top-level connection_id and seq (a per-connection counter), so one run event differs between two sockets',
  },
  {
    name: 'contract-fields-only',
    clause: `${ROOM} "Bodies and frames below are written as the fields they must have"`,
    does:
      "nothing beyond the contract's fields where the server adds some: /auth/me has no name, a forced failure's 500 body no " +
      'run_id, error_message details is {}',
  },
  // Order and counts
  {
    name: 'history-newest-first',
    clause: `§4 thread_history {"messages":[Message]} has no order (REST messages are "oldest first"); ${ROOM} "the order of a list"`,
    does: 'thread_history data.messages come newest first (REST stays oldest first)',
  },
  {
    name: 'overlapping-tools',
    clause: `§4 "per tool call: tool_executing ...; then tool_completed" (only each pair's order); ${ROOM} "the order of a list"`,
    does: 'each (sub-)agent sends all its tool_executing frames, then the tool_completed frames in reverse order; duration stays per pair',
  },
  {
    name: 'repeated-tool',
    clause: `§4 content "data uses tools data_query and metrics_aggregator ..."; ${ROOM} "how many times something happens"`,
    does: 'each (sub-)agent calls its first tool twice (two pairs, distinct execution_ids); REST tools_used lists every call',
  },
  {
    name: 'multi-thinking',
    clause: `§4 "agent_thinking (>= 1)"; ${ROOM} "how many times something happens beyond a stated minimum"`,
    does: 'each (sub-)agent sends two agent_thinking frames before its tools; step_number still counts 1, 2, ... across the run',
  },
  {
    name: 'supervisor-thinks',
    clause:
      '§4 a supervisor run sends "each sub-agent\'s agent_thinking (>= 1)" (its own is not ruled out); ' +
      `${ROOM} "how many times something happens"`,
    does: "a supervisor run first sends an agent_thinking of its own (agent_name supervisor, step_number 1), before triage's",
  },
  {
    name: 'small-chunks',
    clause: '§4 stream_chunk "(>= 1 for a response) ... the chunks joined in order equal the final response" (no size)',
    does: 'stream_chunks carry 8 Unicode code points each (never half a surrogate pair; emoji sequences may be split)',
  },
  // Time
  {
    name: 'late-persistence',
    clause:
      `${ROOM} "an effect the contract promises without a moment (the assistant message of a completed run, a run's final ` +
      'status) may take a short, bounded time to become visible"',
    does:
      "the assistant message of a finished run and the run's final status (with completed_at) are written 400 ms after the run " +
      'ends (agent_completed / agent_error sent, or the execute response ready); until then the run reads running',
  },
  {
    name: 'jitter',
    clause: '§5 timing gives only upper bounds ("first agent event < 15 s", "/health p95 < 2 s")',
    does: 'REST and auth responses wait a random 0-40 ms, WebSocket frames a random 0-20 ms, keeping their order on each connection',
  },
  // Form
  {
    name: 'epoch-timestamps',
    clause:
      '§3 discovery and /ws/health "timestamp", runs "started_at","completed_at" are not marked <ISO>; ' +
      `${ROOM} "the type or form of a value"`,
    does:
      "discovery and /ws/health timestamp are epoch milliseconds (integers); runs' started_at/completed_at are epoch seconds " +
      'with a fraction',
  },
  {
    name: 'iso-offset-seconds',
    clause: `Terms: "<ISO> = ISO-8601 UTC timestamp string"; ${ROOM} "the type or form of a value"`,
    does:
      'every ISO timestamp is whole seconds with a +00:00 suffix (2026-11-29T10:00:00+00:00): frames, threads, messages, ' +
      'health, tickets, expiries',
  },
  {
    name: 'pong-server-time',
    clause: '§4 ping: {"type":"pong","data":{"timestamp":<echo or server time>}}',
    does: "pong data.timestamp is the server's time (ISO), never the echo",
  },
  {
    name: 'ticket-url-plain',
    clause:
      '§3 ticket {"ticket_id","expires_at","websocket_url"} (the URL\'s form is not given); ' +
      '§4 the ticket travels as "query ?ticket=<ticket_id>"',
    does: 'websocket_url is the WebSocket URL without ?ticket=',
  },
  {
    name: 'force-failure-in-context',
    clause:
      '§3 execute body {"type","message","context"?,"thread_id"?} has no top-level force_failure; ' +
      '§4 "Run context switches: ... force_failure"',
    does: 'REST execute reads force_failure only under context; a top-level one is ignored',
  },
  {
    name: 'plain-status-errors',
    clause:
      '§3 "Wrong method: 405"; runs/{id} "404 unknown, 403 another user\'s"; "unknown type 404"; §2 409, refresh/logout/me 401, ' +
      'test-auth 503/403: statuses without a body',
    does:
      '405 is text/plain "Method Not Allowed"; the other status-only errors are {"error":{"code","message"}}; every {detail} ' +
      'the contract gives stays',
  },
  {
    name: 'validation-detail-string',
    clause:
      'Terms: "for 422 validation errors detail may instead be FastAPI\'s list ... a test of a 422 asserts ... that detail is ' +
      'present, not its form"',
    does: "422 bodies carry detail as one string instead of FastAPI's list",
  },
  {
    name: 'limit-welcome-first',
    clause: '§4 "the 11th is accepted, sent error_message CONNECTION_LIMIT, and closed 1008" (a welcome before it is not ruled out)',
    does: 'the 11th connection gets connection_established, then the CONNECTION_LIMIT error, then close 1008',
  },
  {
    name: 'rest-events-empty',
    clause: '§3 runs/{id} "events":[<type>...] "in emitted order"; execute: "REST runs send no WebSocket events"',
    does: "a REST run's events list is empty",
  },
  {
    name: 'archived-delete-200',
    clause: '§3 DELETE "200 {"status":"archived"}; later GET gives 404" (a second DELETE is not given)',
    does: 'DELETE of the owner\'s already archived thread answers 200 {"status":"archived"}; every other route still answers 404',
  },
  {
    name: 'cors-preflight-200',
    clause:
      '§3 CORS: the allow-list "gets access-control-allow-origin echoing it; any other origin ... gets no access-control-allow-origin"',
    does: 'preflights answer 200 instead of 204 (allowed origin, CORS headers) or 400 (other origins, no access-control-allow-* header)',
  },
  {
    name: 'discovery-trailing-slash',
    clause: `§3 discovery {"services":{"backend":{"url","ws_url"},"auth":{"url"}}}; ${ROOM} "the type or form of a value"`,
    does: 'discovery backend.url and auth.url end with / (ws_url unchanged)',
  },
  {
    name: 'tool-objects',
    clause: `§3 /api/agents "tools":[...], MCP "tools":[...], AgentResult "tools_used":[...]; ${ROOM} "the type or form of a value"`,
    does: 'those tool lists hold {"name","description"} objects instead of names',
  },
  {
    name: 'metadata-merge',
    clause: '§3 PUT /api/threads/{id} "200 Thread with new title/metadata" (replace or merge is not said)',
    does: 'PUT merges the sent metadata into the old object instead of replacing it',
  },
  {
    name: 'threads-by-activity',
    clause: '§3 GET /api/threads "[Thread] newest first" (by creation or by activity is not said)',
    does: 'threads come newest activity first: updated_at descending, creation order breaking ties',
  },
  {
    name: 'lazy-slot-release',
    clause:
      `§4 "A user may hold 10 connections"; ${ROOM} an effect promised without a moment "may take a short, bounded time to ` +
      'become visible"',
    does: 'a closed connection keeps its slot in the per-user limit for 300 ms after it closed',
  },
  {
    name: 'logout-closes-sockets',
    clause: '§2 logout: "the bearer token\'s jti is revoked"; §4 checks tokens at the handshake (sockets already open are not mentioned)',
    does:
      'logout closes (1008) every open connection that authenticated with the logged-out token: header, subprotocol or a ticket ' +
      'it issued',
  },
  {
    name: 'logout-keeps-refresh',
    clause: '§2 logout: "the bearer token\'s jti is revoked" (the refresh token of its pair is not mentioned)',
    does: 'logout revokes only the access token; the refresh token of the same pair keeps working',
  },
  {
    name: 'minimal-content',
    clause: '§4 "Agent content": "final_response is >= 100 characters and contains every topic word"; result holds the topic fields',
    does:
      'final_response is >= 100 characters naming the topic words of the request, quoting nothing and avoiding spend, latency, ' +
      'usage, utilization, growth, request, volume, model; tool results are {}; result holds only the topic fields (triage: {})',
  },
  {
    name: 'heartbeat-always',
    clause: `§4 "When idle for heartbeat_interval seconds the server sends heartbeat"; ${ROOM} "how many times something happens"`,
    does: 'heartbeat frames come every heartbeat_interval, busy or idle',
  },
  {
    name: 'ws-degraded',
    clause: '§3 /ws/health {"status":"healthy"|"degraded",...}',
    does: '/ws/health reports status degraded',
  },
  {
    name: 'multi-mcp-servers',
    clause: '§3 /api/mcp/servers ">= 1 server"',
    does: '/api/mcp/servers lists a second connected server',
  },
  {
    name: 'non-bearer-401',
    clause: '§3 "No header: 403 ... Invalid, expired, revoked or refresh token: 401" (another scheme or an empty credential is neither)',
    does:
      'an Authorization header with another scheme or an empty credential is 401 "Invalid or expired token" on backend routes ' +
      '(no header at all stays 403)',
  },
  {
    name: 'validation-before-resource',
    clause: '§3 thread routes answer 422 and "same 404/403 as the thread" without saying which is checked first',
    does: 'thread routes check the body and query (422) before the thread (404, then 403)',
  },
] as const satisfies readonly LatitudeSpec[];

export type LatitudeName = (typeof LATITUDE_TABLE)[number]['name'];

export const LATITUDES: readonly LatitudeSpec[] = LATITUDE_TABLE;

export const LATITUDE_KIND: SwitchKind<LatitudeName> = {
  noun: 'latitude',
  variable: 'STAGING_LATITUDES',
  names: LATITUDE_TABLE.map((l) => l.name),
};

/** mulberry32: a small seeded generator of numbers in [0, 1), so a run under latitudes can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const SEED = 20_261_129;

/** The latitude switches that are on, and the one source of randomness they use (jitter, extra field values). */
export class LatitudeSet extends SwitchSet<LatitudeName> {
  readonly random = seededRandom(SEED);

  constructor(names: readonly string[]) {
    super(LATITUDE_KIND, names);
  }
}

const NOTES = ['served by the reference server', 'latitude extra-fields', 'not part of the contract'];
/** Entries of these objects are the client's own values: the object gains extra fields, its entries stay as sent. */
const CLIENT_ENTRIES = new Set(['metadata', 'details']);
/** A pong may echo any JSON value the client sent as its timestamp. */
const ECHOED = 'timestamp';

/**
 * A copy of `value` in which every object gains x_server_note and x_trace (extra-fields). An object reached twice
 * (a run event's field and its mirror under data) gets the same copy, so mirrored values stay equal.
 */
export function withExtraFields(value: unknown, random: () => number): unknown {
  const copies = new Map<object, unknown>();
  const hex = () =>
    Math.floor(random() * 4_294_967_296)
      .toString(16)
      .padStart(8, '0');
  const visit = (v: unknown, keepEntries: boolean): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    const known = copies.get(v);
    if (known !== undefined) return known;
    let copy: unknown;
    if (Array.isArray(v)) copy = v.map((item) => visit(item, false));
    else {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = keepEntries || k === ECHOED ? item : visit(item, CLIENT_ENTRIES.has(k));
      if (!('x_server_note' in out)) out.x_server_note = NOTES[Math.floor(random() * NOTES.length)];
      if (!('x_trace' in out)) out.x_trace = `trc_${hex()}${hex()}`;
      copy = out;
    }
    copies.set(v, copy);
    return copy;
  };
  return visit(value, false);
}
