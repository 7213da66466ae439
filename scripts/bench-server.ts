/**
 * `npm run bench:server`: a load check of the reference server, run as its own process (`npm run server`) so the
 * client load does not share its event loop.
 *   1. 100 sequential supervisor runs over one WebSocket at AGENT_STEP_DELAY_MS=0 -> runs/s.
 *   2. 200 concurrent authenticated connections (20 users x 10), each answering a ping -> handshake latency.
 * Exits 1 if any run or connection fails. Timings are printed, never asserted.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import WebSocket from 'ws';

const RUNS = 100;
const USERS = 20;
const SOCKETS_PER_USER = 10;
const TIMEOUT_MS = 30_000;

type Frame = Record<string, unknown>;

function startServerProcess(env: Record<string, string>): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: path.join(__dirname, '..'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /ready at (\S+)/.exec(out)?.[1];
      if (url) resolve({ url, stop: () => (child.kill('SIGTERM'), exited) });
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code} before it was ready`)));
  });
}

async function newUser(url: string, key: string, n: number): Promise<string> {
  const res = await fetch(`${url}/auth/e2e/test-auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-e2e-bypass-key': key },
    body: JSON.stringify({ email: `bench-${n}-${randomBytes(4).toString('hex')}@staging.test` }),
  });
  if (res.status !== 200) throw new Error(`test-auth answered ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** An open socket that keeps its frames, so a waiter registered late still finds one that already came. */
class Socket {
  readonly frames: Frame[] = [];
  private waiting: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void; timer: NodeJS.Timeout }[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      this.waiting = this.waiting.filter((w) => {
        if (!w.pred(frame)) return true;
        clearTimeout(w.timer);
        w.resolve(frame);
        return false;
      });
    });
  }

  /** The first frame from index `from` on that matches. */
  next(pred: (f: Frame) => boolean, from = 0): Promise<Frame> {
    const seen = this.frames.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      this.waiting.push({ pred, resolve, timer });
    });
  }
}

/** Opens an authenticated socket; resolves with it and the ms from upgrade request to connection_established. */
function open(wsUrl: string, token: string): Promise<{ socket: Socket; handshakeMs: number }> {
  const t0 = performance.now();
  const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
  const socket = new Socket(ws);
  const welcome = socket.next((f) => f.type === 'connection_established');
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    welcome.then(() => resolve({ socket, handshakeMs: performance.now() - t0 }), reject);
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function sequentialRuns(wsUrl: string, token: string): Promise<void> {
  const { socket } = await open(wsUrl, token);
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) {
    const text = `bench run ${i}: cost and capacity review`;
    const from = socket.frames.length;
    socket.ws.send(JSON.stringify({ type: 'user_message', content: text }));
    const runId = (await socket.next((f) => f.type === 'agent_started' && f.task_description === text, from)).run_id;
    const end = await socket.next((f) => f.run_id === runId && (f.type === 'agent_completed' || f.type === 'agent_error'), from);
    if (end.type !== 'agent_completed' || end.status !== 'completed')
      throw new Error(`run ${i} ended with ${end.type} ${String(end.status)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  socket.ws.close();
  console.log(`sequential supervisor runs: ${RUNS} in ${seconds.toFixed(2)} s = ${(RUNS / seconds).toFixed(1)} runs/s`);
}

async function concurrentConnections(url: string, wsUrl: string, key: string): Promise<void> {
  const tokens = await Promise.all(Array.from({ length: USERS }, (_, i) => newUser(url, key, i)));
  const opened = await Promise.all(tokens.flatMap((token) => Array.from({ length: SOCKETS_PER_USER }, () => open(wsUrl, token))));
  const pongs = await Promise.all(
    opened.map(async ({ socket }, i) => {
      const pong = socket.next((f) => f.type === 'pong', socket.frames.length);
      socket.ws.send(JSON.stringify({ type: 'ping', timestamp: i }));
      return ((await pong).data as { timestamp: unknown }).timestamp === i;
    }),
  );
  if (!pongs.every(Boolean)) throw new Error('a pong did not echo its ping');
  const health = (await (await fetch(`${url}/ws/health`)).json()) as { active_connections: number };
  for (const { socket } of opened) socket.ws.close();
  const sorted = opened.map((o) => o.handshakeMs).sort((a, b) => a - b);
  console.log(
    `concurrent connections: ${opened.length} open (${USERS} users x ${SOCKETS_PER_USER}), all ponged, /ws/health active_connections ${health.active_connections}`,
  );
  console.log(
    `handshake latency: p50 ${ms(percentile(sorted, 50))}, p95 ${ms(percentile(sorted, 95))}, p99 ${ms(percentile(sorted, 99))}, max ${ms(sorted[sorted.length - 1])}`,
  );
}

async function main(): Promise<void> {
  const key = randomBytes(16).toString('hex');
  const server = await startServerProcess({
    PORT: '0',
    AGENT_STEP_DELAY_MS: '0',
    E2E_OAUTH_SIMULATION_KEY: key,
    JWT_SECRET_KEY: randomBytes(32).toString('hex'),
    STAGING_FAULTS: '',
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
