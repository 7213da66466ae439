import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { test, expect, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import { startServer, type RunningServer } from '../../server/index';
import { scanArtifacts, scanText } from '../../scripts/scan-secrets';
import { launchChromium } from '../support/chromium';
import { expectFailingTestShown, expectFramesAndTraceShown } from '../support/report-page';
import { runHarness, type HarnessRun } from '../support/harness-run';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy';
import { serveDirectory, type StaticServer } from '../support/static-server';

/**
 * One traced run of P1 (TRACE_MODE=on, every test keeps its trace) against a target with a broken subprotocol
 * handshake (test_002 fails with a 403 diagnosis), through a proxy that writes down every token, ticket and key
 * that crosses it. Users come from /auth/e2e/test-auth, so tokens travel in response bodies as well as headers.
 * Then, on that run's artifacts:
 * - the HTML report in Chromium shows the WebSocket frames as steps and the transcript and diagnosis as
 *   attachments, and its trace viewer opens a redacted trace with the frames and `Authorization: Bearer [REDACTED]`;
 * - no secret of the run is in playwright-report/, test-results/ (traces included), blob-report/, reports/ or the
 *   run's output;
 * - every token the run was issued is dead afterwards (logged out at teardown).
 */
test.describe.configure({ mode: 'default', timeout: 180_000 });

const bypassKey = `bypass-${randomBytes(16).toString('hex')}`;
let target: RunningServer;
let proxy: RecordingProxy;
let run: HarnessRun;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  target = await startServer({ port: 0, bypassKey, agentStepDelayMs: 1, faults: ['ws-subprotocol-auth-broken'] });
  proxy = await startRecordingProxy(target.url);
  run = await runHarness(['--project=priority', '--grep', '@p1', '--add-reporter=blob'], {
    STAGING_BASE_URL: proxy.url,
    STAGING_CORS_ORIGIN: 'http://localhost:3000',
    E2E_OAUTH_SIMULATION_KEY: bypassKey,
    TRACE_MODE: 'on',
  });
});

let kept = false;

test.afterEach(() => {
  // A failure keeps the run's directories for a look (the error names them); a green run leaves nothing behind.
  kept ||= test.info().status !== test.info().expectedStatus;
});

test.afterAll(async () => {
  await proxy?.close();
  await target?.close();
  if (run && !kept) rmSync(run.dirs.root, { recursive: true, force: true });
});

test('the traced run fails only test_002, and the proxy saw its credentials', () => {
  expect(run.code, run.output.slice(-3000)).toBe(1);
  expect(run.output).toMatch(
    /1 failed\s+\[priority\] › \S+ › P1 Critical › test_002_websocket_authentication_real @p1\s+1 skipped\s+25 passed/,
  );
  expect(proxy.tokens.size, 'access and refresh tokens crossed the proxy').toBeGreaterThan(40);
  expect([...proxy.bypassKeys], 'the bypass key crossed the proxy').toEqual([bypassKey]);
});

test('no secret of the run is readable in any artifact or in its output', () => {
  const env = { E2E_OAUTH_SIMULATION_KEY: bypassKey };
  const secrets = proxy.all();
  const dirs = [run.dirs.report, run.dirs.results, run.dirs.blob, run.dirs.reports];
  expect(scanArtifacts(dirs, secrets, env), 'hits by file and kind').toEqual([]);
  expect(scanText('stdout+stderr', run.output, secrets, env)).toEqual([]);
});

test("the scan is not vacuous: it finds the run's tokens and key where they are", async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scan-control-'));
  const [token] = [...proxy.tokens];
  writeFileSync(path.join(dir, 'leak.txt'), `left over: ${token}`);
  writeFileSync(path.join(dir, 'key.json'), JSON.stringify({ body: Buffer.from(`k=${bypassKey}`).toString('base64') }));
  const kinds = scanArtifacts([dir], [token], { E2E_OAUTH_SIMULATION_KEY: bypassKey }).map(
    (h) => `${path.basename(h.where.split('#')[0])} ${h.kind}`,
  );
  expect(kinds).toEqual(expect.arrayContaining(['leak.txt captured token', 'leak.txt JWT', 'key.json E2E_OAUTH_SIMULATION_KEY']));
});

test('every token the run was issued is dead after it (logged out at teardown)', async ({ request }) => {
  expect(await liveTokens(request, proxy.tokens)).toEqual([]);
});

test.describe('the HTML report, as a user sees it in Chromium', () => {
  let browser: Browser;
  let site: StaticServer;
  let page: Page;

  test.beforeAll(async () => {
    browser = await launchChromium();
    site = await serveDirectory(run.dirs.report);
  });

  test.beforeEach(async () => {
    page = await browser.newPage();
    await page.goto(`${site.url}/index.html`);
  });

  test.afterEach(async () => page?.close());

  test.afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  test('a failing test shows its WebSocket steps, the transcript and the 403 diagnosis', async () => {
    await expectFailingTestShown(page);
  });

  test('a passing test shows every frame as a step (direction, type, run id), and its trace opens redacted', async () => {
    await expectFramesAndTraceShown(page);
    // Users came from /auth/e2e/test-auth: the token response is in the trace, its tokens are not.
    await page.getByText('test-auth').first().click();
    await page.getByRole('tab', { name: 'Response' }).click();
    await expect(page.getByText(/"access_token":\s*"\[REDACTED\]"/).first(), 'the token response body is redacted').toBeVisible();
    await expect(page.locator('body')).not.toContainText(/eyJ[A-Za-z0-9_-]{4,}\.eyJ/);
  });
});

/** The tokens /auth/validate still accepts, named by their claims (never by their value). */
async function liveTokens(request: APIRequestContext, tokens: Iterable<string>): Promise<string[]> {
  const live: string[] = [];
  for (const token of tokens) {
    const claims = decodeClaims(token);
    if (!claims) continue; // not a JWT: a subprotocol entry recorded as sent
    const answer = await request.post(`${target.url}/auth/validate`, { data: { token, token_type: claims.token_type } });
    if (((await answer.json()) as { valid?: boolean }).valid) live.push(`${claims.token_type} token of ${claims.sub} (jti ${claims.jti})`);
  }
  return live;
}

function decodeClaims(token: string): { token_type?: string; sub?: string; jti?: string } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !token.startsWith('eyJ')) return undefined;
  try {
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { token_type?: string; sub?: string; jti?: string };
  } catch {
    return undefined;
  }
}
