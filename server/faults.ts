/**
 * Fault switches: named, deliberate regressions. Each one breaks exactly one clause of the contract so the
 * harness can prove that the test which is meant to catch that regression really fails on it. Each switch is
 * declared once, here: docs/faults.md's table is generated from it (scripts/docs-tables.ts), and fault coverage
 * (scripts/fault-coverage.ts) finds the tests expected to fail through `caughtBy`.
 */
import { SwitchSet, type SwitchKind } from './switches';

export interface FaultSpec {
  name: string;
  /** Contract section and the words of the clause the switch breaks. */
  clause: string;
  /** What a client observes when the switch is on. */
  breaks: string;
  /**
   * The regressions, as the tests' catalog names them in `catches` (tests/catalog.ts), that this switch is: every
   * test whose `catches` (or one of its comma-separated parts) is one of these must fail when the switch is on.
   */
  caughtBy: readonly string[];
}

const FAULT_TABLE = [
  // §1 tokens
  {
    name: 'alg-none-accepted',
    clause: '§1 "A token with alg other than HS256 (including none) MUST be rejected"',
    breaks: 'unsigned alg:none tokens with valid claims are accepted (REST, validate, upgrade)',
    caughtBy: ['alg none'],
  },
  {
    name: 'expiry-ignored',
    clause: '§1 valid for access when "exp in the future"',
    breaks: 'expired tokens are accepted',
    caughtBy: ['expiry ignored', 'lax header path'],
  },
  {
    name: 'refresh-accepted-as-access',
    clause: '§1 valid for access when "token_type == access"',
    breaks: 'a refresh token works as a Bearer access token',
    caughtBy: ['type unchecked', 'lax header path', 'lax subprotocol'],
  },
  {
    name: 'issuer-unchecked',
    clause: '§1 valid for access when "iss and aud match" (iss)',
    breaks: 'tokens with a foreign iss are accepted',
    caughtBy: ['iss unchecked'],
  },
  {
    name: 'test-header-bypass',
    clause: '§1 "Headers that look like test switches MUST NOT relax any check"',
    breaks: 'REST requests carrying X-Test-Mode are served as a demo user without a valid token',
    caughtBy: ['REST header bypass'],
  },
  // §2 auth service
  {
    name: 'refresh-reusable',
    clause: '§2 refresh "old refresh token is spent" / §1 refresh tokens are single-use',
    breaks: 'a refresh token can be exchanged again and again',
    caughtBy: ['replay'],
  },
  {
    name: 'logout-not-revoking',
    clause: '§2 logout "the bearer token\'s jti is revoked"',
    breaks: 'logout answers success but the token keeps working',
    caughtBy: ['no revocation', 'revoked works'],
  },
  {
    name: 'bypass-key-unchecked',
    clause: '§2 test-auth "401 key missing or wrong"',
    breaks: '/auth/e2e/test-auth issues tokens without the right X-E2E-Bypass-Key',
    caughtBy: ['open bypass'],
  },
  // §3 backend REST
  {
    name: 'route-unprotected',
    clause: '§3 "Protected routes take Authorization: Bearer" (GET /api/agents)',
    breaks: 'GET /api/agents answers 200 with no or a bad token',
    caughtBy: ['unprotected route', 'catalog, auth'],
  },
  {
    name: 'cors-reflect-any-origin',
    clause: '§3 "any other origin gets no access-control-allow-origin header"',
    breaks: 'every Origin is echoed in access-control-allow-origin',
    caughtBy: ['reflecting CORS', 'lax allow-list'],
  },
  {
    name: 'request-id-not-echoed',
    clause: '§3 x-request-id "echoes the request\'s x-request-id when given"',
    breaks: "a fresh x-request-id is always sent instead of the caller's",
    caughtBy: ['burst mix-up', 'no correlation'],
  },
  {
    name: 'nosniff-success-only',
    clause: '§3 "Every response carries x-content-type-options: nosniff"',
    breaks: 'error responses (4xx/5xx) lack x-content-type-options',
    caughtBy: ['success-only headers'],
  },
  {
    name: 'thread-ownership-unchecked',
    clause: '§3 threads "403 {"detail":"Access denied"} if another user\'s"',
    breaks: "REST thread routes serve and change another user's thread",
    caughtBy: ['thread ACL', 'message ACL', 'cross-user leak'],
  },
  {
    name: 'threads-oldest-first',
    clause: '§3 GET /api/threads "newest first"',
    breaks: 'the thread list comes oldest first',
    caughtBy: ['sort order'],
  },
  {
    name: 'force-failure-ignored',
    clause: '§3 execute / §4 run context: "force_failure: true" makes the run fail',
    breaks: 'force_failure is ignored; the run succeeds',
    caughtBy: ['failure sticks', 'masked failure', 'breaker stuck', 'cross-user trip'],
  },
  // §4 WebSocket handshake
  {
    name: 'ws-subprotocol-auth-broken',
    clause: '§4 handshake token from "a subprotocol entry jwt.<base64url(jwt)>"',
    breaks: 'a valid jwt.<base64url> subprotocol token gets HTTP 403',
    caughtBy: ['forged token', 'socket dropped', 'per-transport bugs', 'lax subprotocol'],
  },
  {
    name: 'ticket-reusable',
    clause: '§4 "?ticket=<ticket_id> (single-use)"',
    breaks: 'a ticket opens any number of sockets',
    caughtBy: ['ticket replay'],
  },
  {
    name: 'ws-query-token-accepted',
    clause: '§4 "A token given only as ?token= counts as missing"',
    breaks: 'an upgrade authenticated only by ?token= is accepted',
    caughtBy: ['extra transport'],
  },
  {
    name: 'ws-demo-fallback',
    clause: '§4 "Missing ... token: the upgrade is rejected with HTTP 403"',
    breaks: 'an upgrade without any token opens as a shared demo user',
    caughtBy: ['open upgrade', 'demo fallback', 'agent path'],
  },
  // §4 frames and runs
  {
    name: 'welcome-user-id-truncated',
    clause: '§4 connection_established "(user_id in full)"',
    breaks: 'connection_established data.user_id is cut to 8 characters',
    caughtBy: ['no welcome', 'socket path'],
  },
  {
    name: 'agent-thinking-dropped',
    clause: '§4 run events "2. agent_thinking (>= 1)"',
    breaks: 'runs send no agent_thinking',
    caughtBy: ['event dropped', 'step counter'],
  },
  {
    name: 'thinking-after-tools',
    clause: '§4 run events "in this order" (thinking before tool calls)',
    breaks: "each agent's agent_thinking comes after its tool pairs",
    caughtBy: ['phase order'],
  },
  {
    name: 'tool-completed-renamed',
    clause: '§4 run events "then tool_completed"',
    breaks: 'tool_completed is sent as tool_result',
    caughtBy: ['renamed events', 'tool pairing', 'tools skipped'],
  },
  {
    name: 'data-not-mirrored',
    clause: '§4 "the same fields mirrored under data"',
    breaks: 'run events carry no data object',
    caughtBy: ['missing fields', 'envelope', 'context lost'],
  },
  {
    name: 'chunks-mismatch',
    clause: '§4 stream_chunk "the chunks joined in order equal the final response"',
    breaks: 'the last stream_chunk is never sent',
    caughtBy: ['chunks ≠ answer'],
  },
  {
    name: 'cross-user-event-leak',
    clause: '§4 Isolation "Events of a run go to ... no other user"',
    breaks: 'run events are broadcast to every open connection',
    caughtBy: ['event leak', 'isolation', 'cross-user event leak'],
  },
  {
    name: 'recovery-not-delivered',
    clause: '§4 Recovery "remaining events are delivered on that user\'s next connection"',
    breaks: 'events emitted while the user had no connection are lost',
    caughtBy: ['disconnect loss', 'recovery unlogged'],
  },
  {
    name: 'recovery-buffer-dropped',
    clause: '§4 Recovery "its remaining events are delivered on that user\'s next connection, each with recovered: true, in order"',
    breaks: 'events buffered while the user had no connection are dropped, yet the later live events still carry recovered: true',
    caughtBy: ['disconnect loss', 'recovery unlogged'],
  },
  {
    name: 'heartbeat-never-sent',
    clause: '§4 "When idle for heartbeat_interval seconds the server sends heartbeat"',
    breaks: 'idle connections never get a heartbeat frame',
    caughtBy: ['no liveness'],
  },
  {
    name: 'connection-limit-unenforced',
    clause: '§4 "A user may hold 10 connections; the 11th ... closed 1008"',
    breaks: 'an 11th connection is opened normally',
    caughtBy: ['no per-user cap', 'slot leak'],
  },
  {
    name: 'oversized-frames-accepted',
    clause: '§4 "larger than max_message_size: close 1009"',
    breaks: 'frames over max_message_size are processed',
    caughtBy: ['unbounded frames', 'session poisoned'],
  },
  {
    name: 'stop-ignored',
    clause: '§4 stop_agent "the run ends with agent_completed status:cancelled"',
    breaks: 'stop_agent is silently ignored and the run completes',
    caughtBy: ['stop ignored'],
  },
  {
    name: 'supervisor-skips-data',
    clause: '§4 "A supervisor run delegates to triage, then data, then optimization"',
    breaks: 'supervisor runs never delegate to the data agent',
    caughtBy: ['delegation order', 'sub-agent skipped', 'delegation', 'no delegation'],
  },
  {
    name: 'assistant-message-not-saved',
    clause: '§4 "on completion, an assistant message equal to final_response"',
    breaks: "the run's thread never receives the assistant message",
    caughtBy: ['not persisted', 'run not in thread'],
  },
  // §4 agent content
  {
    name: 'short-answers',
    clause: '§4 content "final_response is >= 100 characters and contains every topic word"',
    breaks: 'final_response is a short generic sentence without topic words',
    caughtBy: ['slow, shallow', 'no value', 'no usable output', 'hollow agent'],
  },
  {
    name: 'savings-missing',
    clause: '§4 content "cost or saving -> estimated_monthly_savings"',
    breaks: 'result lacks estimated_monthly_savings',
    caughtBy: ['no savings', 'subject routing'],
  },
  {
    name: 'health-uptime-dropped',
    clause: '§3 GET /health 200 {..., "uptime_seconds":<number>}',
    breaks: '/health and /api/health lack uptime_seconds, and the OpenAPI document the server publishes says so (contract drift)',
    caughtBy: ['health schema drift', 'status routes', 'down'],
  },
  // §5 timing
  { name: 'slow-health', clause: '§5 "/health p95 < 2 s"', breaks: '/health and /api/health take 2.1 s', caughtBy: ['slow health'] },
] as const satisfies readonly FaultSpec[];

export type FaultName = (typeof FAULT_TABLE)[number]['name'];

export const FAULTS: readonly FaultSpec[] = FAULT_TABLE;

export const FAULT_KIND: SwitchKind<FaultName> = { noun: 'fault', variable: 'STAGING_FAULTS', names: FAULT_TABLE.map((f) => f.name) };

/** The fault switches that are on. */
export class FaultSet extends SwitchSet<FaultName> {
  constructor(names: readonly string[]) {
    super(FAULT_KIND, names);
  }
}
