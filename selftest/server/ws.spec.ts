/** Contract §4, the socket itself: handshake auth, subprotocols, limits, client frames, heartbeat, oversize. */
import net from 'node:net';
import { expect, test } from '@playwright/test';
import type { AgentSocket } from '../../fixtures/client/agent-socket';
import { subprotocolFor } from '../../fixtures/client/tokens';
import {
  call,
  connect,
  newUser,
  pause,
  request,
  startTestServer,
  upgrade,
  type Frame,
  type ServerUser,
  serverForThisFile,
  SERVER_ISO,
} from './helpers';

const srv = serverForThisFile();

function expectError(frame: Frame, code: string): void {
  expect(frame).toMatchObject({
    type: 'error_message',
    error_code: code,
    error_message: expect.stringMatching(/.+/),
    details: expect.any(Object),
  });
  expect(frame.timestamp).toMatch(SERVER_ISO);
}

async function opened(wsUrl: string, opts: Parameters<typeof upgrade>[1]): Promise<AgentSocket> {
  const r = await upgrade(wsUrl, opts);
  expect(r.socket ? 'open' : r.error).toBe('open');
  return r.socket!;
}

test.describe('handshake', () => {
  test('Bearer header: connection_established with the full user id and the golden path', async () => {
    const user = await newUser(srv.url);
    const client = await opened(srv.wsUrl, { token: user.access, headers: { 'x-request-id': 'ws-rid-1' } });
    expect(client.upgradeHeaders).toMatchObject({ 'x-request-id': 'ws-rid-1', 'x-content-type-options': 'nosniff' });
    const welcome = await client.welcomed();
    expect(welcome.data).toEqual({
      connection_id: expect.stringMatching(/^conn_/),
      user_id: user.id,
      heartbeat_interval: 0.25,
      golden_path_events: ['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed', 'agent_completed'],
    });
    expect(welcome.timestamp).toMatch(SERVER_ISO);
    expect(client.protocol).toBe('');
    await client.close();
  });

  test('subprotocol: base64url and raw jwt. entries authenticate; selection follows the contract', async () => {
    const user = await newUser(srv.url);
    const b64 = subprotocolFor(user.access);
    const cases: [string[], string][] = [
      [['jwt-auth', b64], 'jwt-auth'],
      [[b64], b64],
      [[`jwt.${user.access}`], `jwt.${user.access}`],
    ];
    for (const [protocols, selected] of cases) {
      const client = await opened(srv.wsUrl, { protocols });
      expect(client.protocol).toBe(selected);
      expect((await client.welcomed()).data?.user_id).toBe(user.id);
      await client.close();
    }
    const withHeader = await opened(srv.wsUrl, { token: user.access, protocols: ['jwt-auth'] });
    expect(withHeader.protocol).toBe('jwt-auth');
    await withHeader.close();
  });

  test('rejected upgrades get HTTP 403 and no socket', async () => {
    const user = await newUser(srv.url);
    const revoked = await newUser(srv.url);
    await call(srv.url, 'POST', '/auth/logout', { token: revoked.access });
    const cases: [string, Parameters<typeof upgrade>[1]][] = [
      ['no token', {}],
      ['garbage Bearer', { token: 'invalid_token_12345' }],
      ['revoked Bearer', { token: revoked.access }],
      ['refresh Bearer', { token: user.refresh }],
      ['Basic scheme', { headers: { authorization: `Basic ${user.access}` } }],
      ['jwt. garbage', { protocols: [`jwt.${Buffer.from('garbage').toString('base64url')}`] }],
      ['jwt. revoked', { protocols: [subprotocolFor(revoked.access)] }],
      ['raw refresh', { protocols: [`jwt.${user.refresh}`] }],
      ['jwt-auth alone', { protocols: ['jwt-auth'] }],
      ['?token= only', { query: `?token=${user.access}` }],
      ['unknown ticket', { query: '?ticket=tkt_00000000000000000000000000000000' }],
      [
        'bad header wins over good ticket',
        {
          token: 'garbage',
          query: `?ticket=${(await call(srv.url, 'POST', '/api/websocket/ticket', { token: user.access })).body.ticket_id}`,
        },
      ],
    ];
    for (const [name, opts] of cases) expect((await upgrade(srv.wsUrl, opts)).status, name).toBe(403);
    expect((await upgrade(srv.url.replace('http', 'ws') + '/not-ws', { token: user.access })).status).toBe(404);
  });

  test('a ticket past its expires_at is refused', async () => {
    const user = await newUser(srv.url);
    const t = await call(srv.url, 'POST', '/api/websocket/ticket', { token: user.access, json: { ttl_seconds: 30 } });
    const realNow = Date.now;
    // The server runs in this process: move its clock 32 s ahead instead of waiting.
    Date.now = () => realNow() + 32_000;
    try {
      expect((await upgrade(t.body.websocket_url)).status).toBe(403);
    } finally {
      Date.now = realNow;
    }
  });

  test('10 connections per user: the 11th gets CONNECTION_LIMIT and 1008; slots are released; other users unaffected', async () => {
    const [user, other] = await Promise.all([newUser(srv.url), newUser(srv.url)]);
    const ten = await Promise.all(Array.from({ length: 10 }, () => connect(srv.wsUrl, { token: user.access })));
    expect(new Set(ten.map((c) => c.connectionId)).size).toBe(10);
    const eleventh = await opened(srv.wsUrl, { token: user.access });
    expectError(await eleventh.waitFor(() => true), 'CONNECTION_LIMIT');
    expect((await eleventh.closed).code).toBe(1008);
    expect(eleventh.frames.map((f) => f.type)).toEqual(['error_message']);
    expect(eleventh.malformed).toEqual([]);
    const pongs = await Promise.all(ten.map((c) => request(c, { type: 'ping' }, 'pong')));
    expect(pongs.map((p) => p.type)).toEqual(Array(10).fill('pong'));
    const otherSocket = await connect(srv.wsUrl, { token: other.access });
    await ten[0].close();
    const again = await connect(srv.wsUrl, { token: user.access });
    expect(again.frames[0].type).toBe('connection_established');
    await Promise.all([...ten, again, otherSocket].map((c) => c.close()));
  });
});

test.describe('client frames', () => {
  let user: ServerUser;
  let client: AgentSocket;

  test.beforeEach(async () => {
    user = await newUser(srv.url);
    client = await connect(srv.wsUrl, { token: user.access });
  });

  test.afterEach(async () => {
    await client.close();
  });

  test('ping echoes its timestamp (or sends server time); heartbeat is acked; other types are acked', async () => {
    expect((await request(client, { type: 'ping', timestamp: 12345.5 }, 'pong')).data).toEqual({ timestamp: 12345.5 });
    expect((await request(client, { type: 'ping', payload: { timestamp: 't-1' } }, 'pong')).data.timestamp).toBe('t-1');
    expect((await request(client, { type: 'ping' }, 'pong')).data.timestamp).toMatch(SERVER_ISO);
    const ack = await request(client, { type: 'heartbeat' }, 'heartbeat_ack');
    expect(ack.data).toEqual({ status: 'healthy' });
    expect(await request(client, { type: 'agent_execute' }, 'ack')).toMatchObject({
      type: 'ack',
      received_type: 'agent_execute',
      status: 'acknowledged',
      timestamp: expect.stringMatching(SERVER_ISO),
    });
  });

  test('bad frames get error_message and the socket stays open', async () => {
    for (const raw of ['not json', '[1,2]', '42', 'null']) expectError(await client.sendExpectingError(raw), 'JSON_PARSE_ERROR');
    expectError(await client.sendExpectingError({ no_type: true }), 'INVALID_MESSAGE');
    expectError(await client.sendExpectingError({ type: 'user_message', content: '' }), 'INVALID_MESSAGE');
    expectError(
      await client.sendExpectingError({ type: 'user_message', content: 'x', context: { simulate_delay_ms: 10_001 } }),
      'INVALID_MESSAGE',
    );
    expectError(await client.sendExpectingError({ type: 'start_agent', agent_type: 'bogus', user_request: 'x' }), 'UNKNOWN_AGENT');
    expectError(await client.sendExpectingError({ type: 'stop_agent', run_id: 'run_unknown' }), 'RUN_NOT_FOUND');
    expectError(await client.sendExpectingError({ type: 'get_thread_history', thread_id: 'thr_unknown' }), 'THREAD_NOT_FOUND');
    const from = client.frames.length;
    await client.sendRaw(Buffer.from('{"type":"ping","timestamp":"bin"}'));
    expect((await client.waitFor('pong', { from })).data?.timestamp).toBe('bin');
    expect(client.frames.filter((f) => f.type === 'agent_started')).toEqual([]);
  });

  test('thread history: own thread equals the REST list; foreign denied', async () => {
    const thread = (await call(srv.url, 'POST', '/api/threads', { token: user.access, json: {} })).body;
    for (const m of ['one', 'two', 'three'])
      await call(srv.url, 'POST', `/api/threads/${thread.id}/messages`, { token: user.access, json: { message: m } });
    const history = await request(client, { type: 'get_thread_history', thread_id: thread.id }, 'thread_history');
    const rest = await call(srv.url, 'GET', `/api/threads/${thread.id}/messages`, { token: user.access });
    expect(history.data).toEqual({ thread_id: thread.id, messages: rest.body.messages });
    const other = await newUser(srv.url);
    const foreign = (await call(srv.url, 'POST', '/api/threads', { token: other.access, json: {} })).body;
    expectError(await client.sendExpectingError({ type: 'get_thread_history', thread_id: foreign.id }), 'THREAD_ACCESS_DENIED');
  });

  test('a frame of max_message_size - 64 bytes is acked; one byte over closes 1009; reconnecting works', async () => {
    const max = (await call(srv.url, 'GET', '/ws/config')).body.websocket_config.max_message_size as number;
    const padded = (size: number) => {
      const shell = JSON.stringify({ type: 'padding_probe', pad: '' });
      return shell.replace('""', `"${'x'.repeat(size - shell.length)}"`);
    };
    expect(Buffer.byteLength(padded(max - 64))).toBe(max - 64);
    expect((await request(client, padded(max - 64), 'ack')).received_type).toBe('padding_probe');
    await client.sendRaw(padded(max + 1));
    expect((await client.closed).code).toBe(1009);
    const again = await connect(srv.wsUrl, { token: user.access });
    expect((await request(again, { type: 'ping' }, 'pong')).type).toBe('pong');
    await again.close();
    expect((await call(srv.url, 'GET', '/api/threads', { token: user.access })).status).toBe(200);
  });
});

test('idle sockets get heartbeat frames naming their connection; traffic postpones them', async () => {
  // A 1 s interval leaves room for a loaded machine between the pings below.
  const slow = await startTestServer({ heartbeatIntervalS: 1 });
  const user = await newUser(slow.url);
  const client = await connect(slow.wsUrl, { token: user.access });
  try {
    const beat = await client.waitFor('heartbeat', { timeout: 3000 });
    expect(beat.data).toEqual({ connection_id: client.connectionId });
    expect(beat.timestamp).toMatch(SERVER_ISO);
    const from = client.frames.length;
    for (let i = 0; i < 10; i++) {
      await request(client, { type: 'ping' }, 'pong');
      await pause(150);
    }
    expect(client.frames.slice(from).filter((f) => f.type === 'heartbeat')).toEqual([]);
  } finally {
    await client.close();
    await slow.close();
  }
});

test('garbage on the wire never takes the server down', async () => {
  const send = (payload: string) =>
    new Promise<string>((resolve) => {
      const socket = net.connect(srv.port, '127.0.0.1', () => socket.end(payload));
      let got = '';
      socket.on('data', (d) => (got += d.toString()));
      socket.on('close', () => resolve(got));
      socket.on('error', () => resolve(got));
    });
  expect(await send('\u0000\u0001 not http at all\r\n\r\n')).toMatch(/^HTTP\/1.1 400/);
  const refused = await send('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nx-request-id: raw-1\r\n\r\n');
  expect(refused).toMatch(/^HTTP\/1.1 403/);
  expect(refused).toContain('x-request-id: raw-1\r\n');
  expect(refused).toContain('x-content-type-options: nosniff\r\n');
  const user = await newUser(srv.url);
  expect(
    await send(`GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nAuthorization: Bearer ${user.access}\r\n\r\n`),
  ).toMatch(/^HTTP\/1.1 400/);
  expect((await call(srv.url, 'GET', '/health')).status).toBe(200);
});
