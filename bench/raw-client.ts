/**
 * The floor for the harness-overhead benchmark: the same supervisor runs as bench/overhead.spec.ts, made by a
 * minimal `ws` client with no fixtures, steps, transcripts or cleanup. Per run: mint a token for a fresh user, open
 * a socket, wait for connection_established, send user_message, wait for its agent_completed, close.
 *
 *   STAGING_BASE_URL=... JWT_SECRET_KEY=... BENCH_RUNS=50 npx tsx bench/raw-client.ts
 *
 * Prints one JSON line: { runs, totalMs, perRunMs }.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { contractClaims, signToken } from '../fixtures/client/tokens';
import { uniqueRequest } from '../fixtures/client/unique';

type Frame = Record<string, unknown>;

/** One supervisor run of a fresh user over a fresh socket, closed at the end. */
export async function rawRun(wsUrl: string, secret: string, environment: string, i: number): Promise<void> {
  const local = `bench-raw-${randomUUID().slice(0, 12)}`;
  const token = await signToken(
    contractClaims(
      { id: `e2e-${local}`, email: `${local}@staging.test`, permissions: ['read', 'write', 'chat', 'agent:execute'] },
      'access',
      environment,
    ),
    secret,
  );
  const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  const text = uniqueRequest(`bench run ${i}: cost and capacity review`);
  await new Promise<void>((resolve, reject) => {
    let runId: unknown;
    const timer = setTimeout(() => reject(new Error(`run ${i}: no agent_completed within 30 s`)), 30_000);
    ws.on('error', reject);
    ws.on('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.type === 'connection_established') ws.send(JSON.stringify({ type: 'user_message', content: text }));
      else if (frame.type === 'agent_started' && frame.task_description === text) runId = frame.run_id;
      else if (runId !== undefined && frame.run_id === runId && (frame.type === 'agent_completed' || frame.type === 'agent_error')) {
        clearTimeout(timer);
        if (frame.type !== 'agent_completed') reject(new Error(`run ${i} ended with ${String(frame.type)}`));
        else resolve();
      }
    });
  });
  await new Promise<void>((resolve) => {
    ws.once('close', () => resolve());
    ws.close(1000);
  });
}

async function main(): Promise<void> {
  const base = process.env.STAGING_BASE_URL;
  const secret = process.env.JWT_SECRET_KEY;
  if (!base || !secret) throw new Error('STAGING_BASE_URL and JWT_SECRET_KEY are required');
  const wsUrl = process.env.STAGING_WS_URL ?? `${base.replace(/^http/, 'ws').replace(/\/+$/, '')}/ws`;
  const environment = process.env.STAGING_ENVIRONMENT ?? 'staging';
  const runs = Number(process.env.BENCH_RUNS ?? '50');
  // One warm-up run, as the harness's first test also pays for module loading before it is timed.
  await rawRun(wsUrl, secret, environment, -1);
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await rawRun(wsUrl, secret, environment, i);
  const totalMs = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ runs, totalMs, perRunMs: totalMs / runs })}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`raw client failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
