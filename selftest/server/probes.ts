/**
 * One probe per fault switch. A probe checks the single contract clause its fault breaks and returns a
 * description of the violation it saw, or undefined when the target behaved as the contract says.
 * faults.spec.ts runs every probe against a healthy server (all must pass) and against each faulty server (only
 * that fault's probe may fail), which proves each switch breaks its clause and nothing else the probes cover.
 * Probes make their own users and never depend on other probes, so they can all run at once on one server.
 * They assert only what the contract says, never one of the server's own decisions, so they also pass on a server
 * with every latitude switch on (latitudes.spec.ts).
 */
import { isTerminal } from '../../fixtures/client/contract';
import { lastFrame } from '../../fixtures/client/frames';
import { decodeToken, subprotocolFor, unsignedToken } from '../../fixtures/client/tokens';
import { uniqueRequest } from '../../fixtures/client/unique';
import { ownFields, runEventTypes } from '../../contract';
import type { FaultName } from '../../server/faults';
import type { RunningServer } from '../../server/index';
import { ALLOWED_ORIGIN, BYPASS_KEY, call, connect, eventually, mint, newUser, pause, request, runOf, upgrade } from './helpers';

export type Probe = (srv: RunningServer) => Promise<string | undefined>;

/** A REST probe: the status the contract wants for a request, or a violation naming what came back. */
async function expectStatus(
  srv: RunningServer,
  method: string,
  path: string,
  want: number,
  opts: Parameters<typeof call>[3] = {},
): Promise<string | undefined> {
  const r = await call(srv.url, method, path, opts);
  return r.status === want ? undefined : `${method} ${path} answered ${r.status}, expected ${want}`;
}

export const PROBES: Record<FaultName, Probe> = {
  // §1
  'alg-none-accepted': async (srv) => {
    const u = await newUser(srv.url);
    return expectStatus(srv, 'GET', '/api/threads', 401, { token: unsignedToken(decodeToken(u.access).claims) });
  },
  'expiry-ignored': async (srv) => {
    const now = Math.floor(Date.now() / 1000);
    return expectStatus(srv, 'GET', '/api/threads', 401, { token: await mint({ iat: now - 1000, exp: now - 120 }) });
  },
  'refresh-accepted-as-access': async (srv) => expectStatus(srv, 'GET', '/api/threads', 401, { token: (await newUser(srv.url)).refresh }),
  'issuer-unchecked': async (srv) => expectStatus(srv, 'GET', '/api/threads', 401, { token: await mint({ iss: 'other-issuer' }) }),
  'test-header-bypass': (srv) => expectStatus(srv, 'GET', '/api/threads', 403, { headers: { 'x-test-mode': 'true' } }),
  // §2
  'refresh-reusable': async (srv) => {
    const u = await newUser(srv.url);
    const first = await call(srv.url, 'POST', '/auth/refresh', { json: { refresh_token: u.refresh } });
    if (first.status !== 200) return `first refresh answered ${first.status}`;
    return expectStatus(srv, 'POST', '/auth/refresh', 401, { json: { refresh_token: u.refresh } });
  },
  'logout-not-revoking': async (srv) => {
    const u = await newUser(srv.url);
    const out = await call(srv.url, 'POST', '/auth/logout', { token: u.access });
    if (out.status !== 200) return `logout answered ${out.status}`;
    return expectStatus(srv, 'GET', '/api/threads', 401, { token: u.access });
  },
  'bypass-key-unchecked': (srv) =>
    expectStatus(srv, 'POST', '/auth/e2e/test-auth', 401, { headers: { 'x-e2e-bypass-key': `${BYPASS_KEY}-wrong` }, json: {} }),
  // §3
  'route-unprotected': (srv) => expectStatus(srv, 'GET', '/api/agents', 403),
  'cors-reflect-any-origin': async (srv) => {
    const r = await call(srv.url, 'OPTIONS', '/api/threads', {
      headers: { origin: 'https://malicious-site.example', 'access-control-request-method': 'POST' },
    });
    const good = await call(srv.url, 'OPTIONS', '/api/threads', {
      headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST' },
    });
    if (good.headers.get('access-control-allow-origin') !== ALLOWED_ORIGIN) return 'the allowed origin is not echoed';
    const acao = r.headers.get('access-control-allow-origin');
    return acao === null ? undefined : `a foreign origin got access-control-allow-origin: ${acao}`;
  },
  'request-id-not-echoed': async (srv) => {
    const r = await call(srv.url, 'GET', '/auth/health', { headers: { 'x-request-id': 'probe-req-42' } });
    return r.headers.get('x-request-id') === 'probe-req-42' ? undefined : `x-request-id came back as ${r.headers.get('x-request-id')}`;
  },
  'nosniff-success-only': async (srv) => {
    const r = await call(srv.url, 'GET', '/api/no-such-route');
    return r.headers.get('x-content-type-options') === 'nosniff' ? undefined : `a ${r.status} reply lacks x-content-type-options: nosniff`;
  },
  'thread-ownership-unchecked': async (srv) => {
    const [u1, u2] = await Promise.all([newUser(srv.url), newUser(srv.url)]);
    const t = await call(srv.url, 'POST', '/api/threads', { token: u1.access, json: { title: 'private' } });
    return expectStatus(srv, 'GET', `/api/threads/${t.body.id}`, 403, { token: u2.access });
  },
  'threads-oldest-first': async (srv) => {
    const u = await newUser(srv.url);
    const a = await call(srv.url, 'POST', '/api/threads', { token: u.access, json: { title: 'A' } });
    const b = await call(srv.url, 'POST', '/api/threads', { token: u.access, json: { title: 'B' } });
    const list = await call(srv.url, 'GET', '/api/threads', { token: u.access });
    const ids = (list.body as { id: string }[]).map((t) => t.id).join(',');
    return ids === `${b.body.id},${a.body.id}` ? undefined : 'threads are not listed newest first';
  },
  'force-failure-ignored': async (srv) => {
    const u = await newUser(srv.url);
    return expectStatus(srv, 'POST', '/api/agents/execute', 500, {
      token: u.access,
      json: { type: 'triage', message: 'fail please', context: { force_failure: true } },
    });
  },
  // §4 handshake
  'ws-subprotocol-auth-broken': async (srv) => {
    const u = await newUser(srv.url);
    const r = await upgrade(srv.wsUrl, { protocols: [subprotocolFor(u.access)] });
    if (!r.socket) return `a valid jwt.<base64url> subprotocol got HTTP ${r.status}`;
    await r.socket.close();
    return undefined;
  },
  'ticket-reusable': async (srv) => {
    const u = await newUser(srv.url);
    const t = await call(srv.url, 'POST', '/api/websocket/ticket', { token: u.access, json: {} });
    const first = await upgrade(srv.wsUrl, { query: `?ticket=${t.body.ticket_id}` });
    if (!first.socket) return `a fresh ticket got HTTP ${first.status}`;
    await first.socket.close();
    const second = await upgrade(srv.wsUrl, { query: `?ticket=${t.body.ticket_id}` });
    if (!second.socket) return undefined;
    await second.socket.close();
    return 'a spent ticket opened a second socket';
  },
  'ws-query-token-accepted': async (srv) => {
    const u = await newUser(srv.url);
    const r = await upgrade(srv.wsUrl, { query: `?token=${u.access}` });
    if (!r.socket) return undefined;
    const welcome = await r.socket.welcomed();
    await r.socket.close();
    // Opening as someone else is the missing-token clause (ws-demo-fallback), not this one.
    return welcome.data?.user_id === u.id ? 'an upgrade with only ?token= was authenticated by it' : undefined;
  },
  'ws-demo-fallback': async (srv) => {
    const r = await upgrade(srv.wsUrl);
    if (!r.socket) return undefined;
    await r.socket.close();
    return 'an upgrade without any token was accepted';
  },
  // §4 frames and runs
  'welcome-user-id-truncated': async (srv) => {
    const u = await newUser(srv.url);
    const client = await connect(srv.wsUrl, { token: u.access });
    const welcome = await client.welcomed();
    await client.close();
    return welcome.data?.user_id === u.id ? undefined : `welcome user_id ${String(welcome.data?.user_id)} is not ${u.id}`;
  },
  'agent-thinking-dropped': async (srv) => {
    const frames = await runOf(srv, 'data', 'summarise usage');
    return frames.some((f) => f.type === 'agent_thinking') ? undefined : 'the run sent no agent_thinking';
  },
  'thinking-after-tools': async (srv) => {
    const frames = await runOf(srv, 'supervisor', 'summarise usage');
    const toolsSeen = new Set<string>();
    for (const f of frames) {
      if (f.type === 'tool_executing') toolsSeen.add(f.agent_name);
      if (f.type === 'agent_thinking' && toolsSeen.has(f.agent_name)) return `${f.agent_name} thought after its tool calls`;
    }
    return undefined;
  },
  'tool-completed-renamed': async (srv) => {
    const frames = await runOf(srv, 'data', 'summarise usage');
    const executing = frames.filter((f) => f.type === 'tool_executing').length;
    const completed = frames.filter((f) => f.type === 'tool_completed').length;
    return executing > 0 && executing === completed ? undefined : `${executing} tool_executing but ${completed} tool_completed`;
  },
  'data-not-mirrored': async (srv) => {
    const frames = await runOf(srv, 'triage', 'summarise usage');
    for (const f of frames) {
      for (const k of runEventTypes().includes(f.type) ? ownFields(f.type) : []) {
        if (JSON.stringify(f.data?.[k]) !== JSON.stringify(f[k])) return `${f.type}.${k} is not mirrored under data`;
      }
    }
    return undefined;
  },
  'chunks-mismatch': async (srv) => {
    const frames = await runOf(srv, 'data', 'summarise usage');
    const joined = frames
      .filter((f) => f.type === 'stream_chunk')
      .map((f) => f.content)
      .join('');
    return joined === lastFrame(frames).final_response ? undefined : 'stream_chunks do not join to final_response';
  },
  'cross-user-event-leak': async (srv) => {
    const [owner, other] = await Promise.all([newUser(srv.url), newUser(srv.url)]);
    const bystander = await connect(srv.wsUrl, { token: other.access });
    const client = await connect(srv.wsUrl, { token: owner.access });
    const frames = await (await client.startAgent('triage', uniqueRequest('summarise usage'))).finished();
    await request(bystander, { type: 'ping' }, 'pong'); // frames sent before the pong have arrived
    const leaked = bystander.frames.filter((f) => f.run_id === frames[0].run_id).length;
    await Promise.all([client.close(), bystander.close()]);
    return leaked === 0 ? undefined : `another user received ${leaked} frames of the run`;
  },
  'recovery-buffer-dropped': async (srv) => {
    const u = await newUser(srv.url);
    const first = await connect(srv.wsUrl, { token: u.access });
    const slowed = await first.startAgent('data', uniqueRequest('summarise usage'), { context: { simulate_delay_ms: 60 } });
    const started = await slowed.started();
    await first.close();
    await pause(150); // events emitted now must wait for the next connection
    const second = await connect(srv.wsUrl, { token: u.access });
    try {
      await second.waitFor((f) => f.run_id === started.run_id && isTerminal(f));
    } catch {
      return undefined; // nothing came back at all: the recovery-not-delivered probe's clause
    } finally {
      await second.close();
    }
    const rest = second.frames.filter((f) => f.run_id === started.run_id);
    // Unflagged events are recovery-not-delivered's clause; flagged ones promise every remaining event, in order.
    if (!rest.some((f) => f.recovered === true)) return undefined;
    const logged = await call(srv.url, 'GET', `/api/agents/runs/${started.run_id}`, { token: u.access });
    const seen = [...first.frames.filter((f) => f.run_id === started.run_id), ...rest].map((f) => f.type);
    return seen.join() === logged.body.events.join()
      ? undefined
      : `the two connections got ${seen.length} of the run's ${logged.body.events.length} events: recovery lost some`;
  },
  'recovery-not-delivered': async (srv) => {
    const u = await newUser(srv.url);
    const first = await connect(srv.wsUrl, { token: u.access });
    const slowed = await first.startAgent('data', uniqueRequest('summarise usage'), { context: { simulate_delay_ms: 60 } });
    const started = await slowed.started();
    await first.close();
    const second = await connect(srv.wsUrl, { token: u.access });
    try {
      const done = await second.waitFor((f) => f.run_id === started.run_id && f.type === 'agent_completed');
      return done.recovered === true ? undefined : 'agent_completed after reconnecting lacks recovered: true';
    } catch {
      return "the run's remaining events never reached the next connection";
    } finally {
      await second.close();
    }
  },
  'heartbeat-never-sent': async (srv) => {
    const u = await newUser(srv.url);
    const client = await connect(srv.wsUrl, { token: u.access });
    try {
      const beat = await client.waitFor('heartbeat', { timeout: 2000 });
      return beat.data?.connection_id === client.connectionId ? undefined : 'heartbeat names another connection';
    } catch {
      return 'no heartbeat while idle';
    } finally {
      await client.close();
    }
  },
  'connection-limit-unenforced': async (srv) => {
    const u = await newUser(srv.url);
    const ten = await Promise.all(Array.from({ length: 10 }, () => connect(srv.wsUrl, { token: u.access })));
    const { socket: eleventh, status } = await upgrade(srv.wsUrl, { token: u.access });
    try {
      if (!eleventh) return `the 11th upgrade got HTTP ${status}`;
      await eleventh.waitFor(() => true);
      const code = (await eleventh.closedWithin(1000))?.code ?? 'none';
      const limited = eleventh.frames.some((f) => f.type === 'error_message' && f.error_code === 'CONNECTION_LIMIT');
      return limited && code === 1008
        ? undefined
        : `11th connection: frames ${eleventh.frames.map((f) => f.type).join(',') || 'none'}, close ${code}`;
    } finally {
      await Promise.all(ten.map((c) => c.close()));
      await eleventh?.close();
    }
  },
  'oversized-frames-accepted': async (srv) => {
    const u = await newUser(srv.url);
    const client = await connect(srv.wsUrl, { token: u.access });
    const size = (await call(srv.url, 'GET', '/ws/config')).body.websocket_config.max_message_size as number;
    const frame = JSON.stringify({ type: 'oversized_probe', pad: '' });
    const from = client.frames.length;
    await client.sendRaw(frame.replace('""', `"${'x'.repeat(size + 1 - frame.length)}"`)); // max_message_size + 1 bytes
    const acked = await client.waitFor('ack', { from, timeout: 3000 }).then(
      () => true,
      () => false,
    );
    const code = (await client.closedWithin(0))?.code ?? 'none';
    await client.close();
    return !acked && code === 1009 ? undefined : `an oversized frame got ${acked ? 'an ack' : `close ${code}`}`;
  },
  'stop-ignored': async (srv) => {
    const u = await newUser(srv.url);
    const client = await connect(srv.wsUrl, { token: u.access });
    const slowed = await client.startAgent('optimization', uniqueRequest('reduce cost'), { context: { simulate_delay_ms: 150 } });
    const end = lastFrame(await slowed.stop());
    await client.close();
    return end.type === 'agent_completed' && end.status === 'cancelled'
      ? undefined
      : `stopped run ended with ${end.type} status ${String(end.status)}`;
  },
  'supervisor-skips-data': async (srv) => {
    const frames = await runOf(srv, 'supervisor', 'summarise usage');
    const order = [...new Set(frames.filter((f) => f.type === 'tool_executing').map((f) => f.agent_name))].join(',');
    return order === 'triage,data,optimization' ? undefined : `supervisor delegated to ${order}`;
  },
  'assistant-message-not-saved': async (srv) => {
    const u = await newUser(srv.url);
    const thread = await call(srv.url, 'POST', '/api/threads', { token: u.access, json: {} });
    const client = await connect(srv.wsUrl, { token: u.access });
    const frames = await (await client.startAgent('triage', uniqueRequest('summarise usage'), { threadId: thread.body.id })).finished();
    await client.close();
    // Contract v1.1: the assistant message may take a short, bounded time to become visible.
    const saved = await eventually(async () => {
      const list = await call(srv.url, 'GET', `/api/threads/${thread.body.id}/messages`, { token: u.access });
      const lastMessage = list.body.messages[list.body.messages.length - 1];
      return lastMessage?.role === 'assistant' && lastMessage.content === lastFrame(frames).final_response;
    });
    return saved ? undefined : 'the thread lacks the assistant answer';
  },
  // §4 content
  'short-answers': async (srv) => {
    const answer: string = lastFrame(await runOf(srv, 'data', 'cost and capacity review')).final_response;
    const missing = ['cost', 'capacity'].filter((w) => !answer.toLowerCase().includes(w));
    return answer.length >= 100 && missing.length === 0
      ? undefined
      : `final_response has ${answer.length} chars, lacks ${missing.join(', ') || 'nothing'}`;
  },
  'savings-missing': async (srv) => {
    const result = lastFrame(await runOf(srv, 'optimization', 'cut our cost')).result;
    return typeof result.estimated_monthly_savings === 'number' && result.estimated_monthly_savings > 0
      ? undefined
      : 'result lacks estimated_monthly_savings';
  },
  // §5
  'health-uptime-dropped': async (srv) => {
    const r = await call(srv.url, 'GET', '/health');
    return typeof r.body?.uptime_seconds === 'number' ? undefined : `/health has no uptime_seconds: ${r.text.slice(0, 200)}`;
  },
  'slow-health': async (srv) => {
    const t0 = performance.now();
    const r = await call(srv.url, 'GET', '/health');
    const ms = performance.now() - t0;
    return r.status === 200 && ms < 2000 ? undefined : `/health took ${Math.round(ms)} ms (status ${r.status})`;
  },
};
