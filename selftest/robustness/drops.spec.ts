import { randomBytes } from 'node:crypto';
import { test, expect } from '@playwright/test';
import { startServer } from '../../server';
import { FaultProxy, type FaultMode, type ProxiedConnection } from '../support/fault-proxy';
import { runHarness } from '../support/harness-run';
import { waitForNoProcesses } from '../support/leftovers';

/**
 * A target that drops or stalls WebSocket connections mid-run (issue: robustness). Five P1 tests run through a
 * proxy in front of a reference server; the proxy breaks every WebSocket connection at its first agent event. The
 * two tests that wait for a run's end must fail at the harness's own timeouts with the cause named, the three that
 * do not (HTTP only, or a socket without a run) must pass, the run must go on after the failures and exit non-zero,
 * and nothing may be left open: no client connection at the proxy, no connection at the target, no process.
 */
const AFFECTED = ['test_008_agent_streaming_capabilities_real', 'test_010_tool_execution_endpoints_real'];
const UNAFFECTED = [
  'test_001_websocket_connection_real',
  'test_007_agent_execution_endpoints_real',
  'test_009_agent_status_monitoring_real',
];
/** Short enough that a stall fails fast, long enough for a healthy run (~20 events x 50 ms) on a busy machine. */
const RUN_COMPLETE_MS = 3_000;

interface JsonResult {
  status: string;
  startTime: string;
  duration: number;
  errors: { message?: string }[];
}
interface JsonSuite {
  specs?: { title: string; tests: { results: JsonResult[] }[] }[];
  suites?: JsonSuite[];
}

/** title -> its (only) result, from the JSON reporter's output. */
function resultsByTitle(stdout: string): Map<string, JsonResult> {
  const report = JSON.parse(stdout) as { suites: JsonSuite[] };
  const out = new Map<string, JsonResult>();
  const walk = (s: JsonSuite) => {
    for (const spec of s.specs ?? []) for (const t of spec.tests) for (const r of t.results) out.set(spec.title, r);
    for (const child of s.suites ?? []) walk(child);
  };
  report.suites.forEach(walk);
  return out;
}

const CAUSE: Record<Exclude<FaultMode, 'pass'>, RegExp> = {
  // The socket closed under the test: the close code and what it was waiting for.
  drop: /socket ws#\d+ closed \(1006\) before the end \(agent_completed\/agent_error\) of run_\w+/,
  // Nothing more came: the wait, its limit and what had arrived.
  stall: new RegExp(
    `no the end \\(agent_completed/agent_error\\) of run_\\w+ on ws#\\d+ within ${RUN_COMPLETE_MS} ms; received: .*agent_started`,
  ),
};

/** test_001's socket (its anonymous upgrade is refused), and after a stall the two stalled ones. */
const STAYED_CONNECTED = { drop: 1, stall: 1 + AFFECTED.length };

/** Upgraded connections the proxy did not destroy itself (a dropped one ends at the proxy, not the harness). */
function stayedConnected(connections: ProxiedConnection[], mode: FaultMode): ProxiedConnection[] {
  return connections.filter((c) => c.upgraded && !(mode === 'drop' && c.brokenAt !== undefined));
}

for (const mode of ['drop', 'stall'] as const) {
  test(`a target that ${mode}s WebSocket connections mid-run fails those tests with the cause, and the run goes on`, async () => {
    test.setTimeout(120_000);
    const jwtSecret = randomBytes(32).toString('hex');
    const bypassKey = randomBytes(16).toString('hex');
    const server = await startServer({ port: 0, jwtSecret, bypassKey, agentStepDelayMs: 50 });
    const proxy = await FaultProxy.start(server.port, mode);
    try {
      const run = await runHarness(
        ['--project=priority', '--grep', [...AFFECTED, ...UNAFFECTED].join('|'), '--workers=1', '--reporter=json'],
        {
          STAGING_BASE_URL: proxy.url,
          JWT_SECRET_KEY: jwtSecret,
          E2E_OAUTH_SIMULATION_KEY: bypassKey,
          FIRST_EVENT_MS: String(RUN_COMPLETE_MS),
          RUN_COMPLETE_MS: String(RUN_COMPLETE_MS),
        },
      );
      expect(run.code, run.stderr).toBe(1);
      const results = resultsByTitle(run.stdout);

      for (const title of AFFECTED) {
        const result = results.get(title);
        expect(result?.status, title).toBe('failed');
        const message = result?.errors.map((e) => e.message ?? '').join('\n') ?? '';
        expect(message, `${title} names the cause`).toMatch(CAUSE[mode]);
        expect(message, `${title} is not a generic timeout`).not.toMatch(/Test timeout|exceeded/);
        // Failed at the harness's own limit (plus the socket's close timeout in teardown), far from the test timeout.
        expect(result?.duration, `${title} duration`).toBeLessThan(RUN_COMPLETE_MS * 2 + 8_000);
      }
      for (const title of [...UNAFFECTED, 'target is reachable, healthy and not production', 'harness JWT secret matches the target']) {
        expect(results.get(title)?.status, title).toBe('passed');
      }
      // One worker runs the file in order: a test that passed started after the first failure ended.
      const ends = AFFECTED.map((t) => Date.parse(results.get(t)!.startTime) + results.get(t)!.duration);
      const laterPass = UNAFFECTED.some((t) => Date.parse(results.get(t)!.startTime) > Math.min(...ends));
      expect(laterPass, 'a test after a failed one still ran and passed').toBe(true);

      // Exactly the waiting tests' sockets were broken; every socket the proxy did not destroy itself (the stalled
      // ones included) was closed by the harness's teardown, with a close frame, not by its process exiting.
      const broken = proxy.connections.filter((c) => c.brokenAt !== undefined);
      expect(broken, 'one broken WebSocket per affected test').toHaveLength(AFFECTED.length);
      const opened = stayedConnected(proxy.connections, mode);
      expect(opened, 'sockets that stayed connected').toHaveLength(STAYED_CONNECTED[mode]);
      expect(
        opened.filter((c) => !c.clientCloseFrame).map((c) => c.id),
        'sockets the harness never closed',
      ).toEqual([]);
      expect(
        proxy.open().map((c) => c.id),
        'client connections still open at the proxy',
      ).toEqual([]);
      await expect
        .poll(async () => ((await (await fetch(`${server.url}/ws/health`)).json()) as { active_connections: number }).active_connections, {
          message: 'WebSocket connections still open at the target',
          timeout: 5_000,
        })
        .toBe(0);
      expect(await waitForNoProcesses(run.dirs.root), 'processes of the run still alive').toEqual([]);
    } finally {
      await proxy.close();
      await server.close();
    }
  });
}
