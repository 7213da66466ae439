/**
 * `npm run bench:server`: a load check of the reference server, run as its own process (`npm run server`) so the
 * client load does not share its event loop.
 *   1. 100 sequential supervisor runs over one WebSocket at AGENT_STEP_DELAY_MS=0 -> runs/s.
 *   2. 200 concurrent authenticated connections (20 users x 10), each answering a ping -> handshake latency.
 * Exits 1 if any run or connection fails. Timings are printed, never asserted.
 */
import { randomBytes } from 'node:crypto';
import { startReferenceServer } from '../bench/measure';
import { AgentSocket, NO_OBSERVER } from '../fixtures/client/agent-socket';
import { lastFrame } from '../fixtures/client/frames';
import { percentile } from '../fixtures/client/time';

const RUNS = 100;
const USERS = 20;
const SOCKETS_PER_USER = 10;
const TIMEOUT_MS = 30_000;
/** Every wait of a socket: the load check fails on a stall, it does not measure one. */
const TIMEOUTS = {
  handshakeMs: TIMEOUT_MS,
  firstEventMs: TIMEOUT_MS,
  runCompleteMs: TIMEOUT_MS,
  quietMs: TIMEOUT_MS,
  pingMs: TIMEOUT_MS / 5,
  closeMs: TIMEOUT_MS,
  clockSkewMs: 30_000,
};

async function newUser(url: string, key: string, n: number): Promise<string> {
  const res = await fetch(`${url}/auth/e2e/test-auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-e2e-bypass-key': key },
    body: JSON.stringify({ email: `bench-${n}-${randomBytes(4).toString('hex')}@staging.test` }),
  });
  if (res.status !== 200) throw new Error(`test-auth answered ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

let sockets = 0;

/** Opens an authenticated socket; resolves with it and the ms from upgrade request to connection_established. */
async function open(wsUrl: string, token: string): Promise<{ socket: AgentSocket; handshakeMs: number }> {
  const t0 = performance.now();
  const upgrade = await AgentSocket.connect({
    url: wsUrl,
    label: `ws#${++sockets}`,
    headers: { authorization: `Bearer ${token}` },
    maxPayload: 16 * 1024 * 1024,
    observer: NO_OBSERVER,
    timeouts: TIMEOUTS,
    clock: () => performance.now(),
  });
  if (!upgrade.socket) throw new Error(`upgrade refused: ${upgrade.error}`);
  await upgrade.socket.welcomed();
  return { socket: upgrade.socket, handshakeMs: performance.now() - t0 };
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

async function sequentialRuns(wsUrl: string, token: string): Promise<void> {
  const { socket } = await open(wsUrl, token);
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const end = lastFrame(await (await socket.say(`bench run ${i}: cost and capacity review`)).finished());
    if (end.type !== 'agent_completed' || end.status !== 'completed')
      throw new Error(`run ${i} ended with ${end.type} ${String(end.status)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  await socket.close();
  console.log(`sequential supervisor runs: ${RUNS} in ${seconds.toFixed(2)} s = ${(RUNS / seconds).toFixed(1)} runs/s`);
}

async function concurrentConnections(url: string, wsUrl: string, key: string): Promise<void> {
  const tokens = await Promise.all(Array.from({ length: USERS }, (_, i) => newUser(url, key, i)));
  const opened = await Promise.all(tokens.flatMap((token) => Array.from({ length: SOCKETS_PER_USER }, () => open(wsUrl, token))));
  const pongs = await Promise.all(opened.map(async ({ socket }, i) => (await socket.ping(i)).answer === 'echo'));
  if (!pongs.every(Boolean)) throw new Error('a pong did not echo its ping');
  const health = (await (await fetch(`${url}/ws/health`)).json()) as { active_connections: number };
  await Promise.all(opened.map(({ socket }) => socket.close()));
  const handshakes = opened.map((o) => o.handshakeMs);
  console.log(
    `concurrent connections: ${opened.length} open (${USERS} users x ${SOCKETS_PER_USER}), all ponged, ` +
      `/ws/health active_connections ${health.active_connections}`,
  );
  const at = (p: number) => ms(percentile(handshakes, p));
  console.log(`handshake latency: p50 ${at(50)}, p95 ${at(95)}, p99 ${at(99)}, max ${ms(Math.max(...handshakes))}`);
}

async function main(): Promise<void> {
  const key = randomBytes(16).toString('hex');
  const server = await startReferenceServer({
    PORT: '0',
    AGENT_STEP_DELAY_MS: '0',
    E2E_OAUTH_SIMULATION_KEY: key,
    JWT_SECRET_KEY: randomBytes(32).toString('hex'),
  });
  const wsUrl = `${server.url.replace(/^http/, 'ws')}/ws`;
  try {
    await sequentialRuns(wsUrl, await newUser(server.url, key, 0));
    await concurrentConnections(server.url, wsUrl, key);
  } finally {
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
