/**
 * What a user checks in the HTML report of a P1 run with the ws-subprotocol-auth-broken fault, in Chromium:
 * the failing test_002 with what it checks and catches, its WebSocket steps, transcript and 403 diagnosis; a passing
 * test with every frame as a step; and its trace opening in the report's trace viewer with the frames and a redacted
 * Authorization header.
 * Used for a test run's report (artifacts.spec.ts) and for the report merged from blob shards (shards.spec.ts).
 */
import { expect, type Page } from '@playwright/test';

const JWT_TEXT = /eyJ[A-Za-z0-9_-]{4,}\.eyJ/;

export async function expectFailingTestShown(page: Page): Promise<void> {
  await page.getByText('test_002_websocket_authentication_real').first().click();
  // The catalog's annotations: what the test checks and the regression it catches, on the test's own page.
  await expect(page.getByText(/catches:?\s*forged token/).first(), 'the regression it catches is shown').toBeVisible();
  await expect(page.getByText(/checks:?\s*A token signed with another secret/).first(), 'what it checks is shown').toBeVisible();
  await expect(page.getByText('WebSocket authentication rejected (HTTP 403)').first()).toBeVisible();
  await expect(page.getByText(/^WS ws#\d+ upgrade \(subprotocol\)/).first(), 'the refused upgrade is a step').toBeVisible();
  await expect(page.getByText('ws-transcript.jsonl', { exact: true }).first()).toBeVisible();
  await page.getByText('diagnosis', { exact: true }).first().click();
  await expect(
    page.getByText(/"rootCause": "The WebSocket rejected a token that the auth service says is valid/).first(),
    'the diagnosis opens',
  ).toBeVisible();
  await expect(page.locator('body')).not.toContainText(JWT_TEXT);
}

/** Opens test_003's page and its trace; leaves the page on the trace viewer's Network tab. */
export async function expectFramesAndTraceShown(page: Page): Promise<void> {
  await page.getByText('test_003_websocket_message_send_real').first().click();
  await expect(page.getByText(/^WS ws#1 → user_message ".+"/).first(), 'a sent frame is a step').toBeVisible();
  await expect(
    page.getByText(/^WS ws#1 ← agent_started \[supervisor\] run_\S+ started \(\+\d+ ms\)/).first(),
    'a received frame is a step',
  ).toBeVisible();
  // The transcript is a link to the report's copy (JSON lines are not shown inline): follow it.
  const link = page.getByRole('link', { name: 'ws-transcript.jsonl', exact: true });
  await expect(link).toBeVisible();
  const transcript = await page.request.get(new URL((await link.getAttribute('href'))!, page.url()).toString());
  const lines = (await transcript.text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { dir: string; type?: string; socket: string });
  expect(lines.filter((l) => l.socket === 'ws#1').map((l) => `${l.dir} ${l.type}`)).toEqual(
    expect.arrayContaining(['sent user_message', 'received agent_started']),
  );

  // The trace viewer (served over http, like `npx playwright show-report`) loads the rewritten archive.
  await page.getByRole('link', { name: 'View Trace' }).first().click();
  await expect(page).toHaveURL(/\/trace\/index\.html\?trace=/);
  const firstFrame = page.getByText(/^WS ws#1 ← agent_started \[supervisor\] run_/).first();
  await expect(firstFrame, 'the frames are actions of the trace').toBeVisible({
    timeout: 15_000,
  });
  await page.getByRole('tab', { name: /Network/ }).click();
  await page.getByText('threads?limit=100').first().click();
  await expect(page.getByText('Bearer [REDACTED]').first(), 'the request header is there, its token is not').toBeVisible();
  await expect(page.locator('body')).not.toContainText(JWT_TEXT);
}
