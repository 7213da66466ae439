import type { APIRequestContext } from '@playwright/test';
import { contractDrift } from '../../contract/drift';
import { test as setup, expect } from '../../fixtures';
import { contractClaims, signToken } from '../../fixtures/client/tokens';

/** Where a FastAPI service publishes its OpenAPI document, and what the iteration summary reads the drift from. */
const PUBLISHED_DOCUMENT = '/openapi.json';
const DRIFT_ATTACHMENT = 'contract-drift.json';

/**
 * Runs before every project: the target must be reachable, healthy, not production, and (when the harness holds
 * JWT_SECRET_KEY) share the harness's JWT secret. Each failure is one message naming the URL and what answered;
 * the suites then do not run. Where the target publishes an OpenAPI document, its drift from the contract is attached
 * for the iteration summary: said once, instead of as the failures of every test that reads a drifted field.
 */
setup('target is reachable, healthy and not production', async ({ request, settings }) => {
  setup.setTimeout(settings.httpConnectMs * 3 + 5_000);
  const answer = async (url: string) => {
    try {
      return await request.get(url, { timeout: settings.httpConnectMs, failOnStatusCode: false, maxRetries: 0 });
    } catch (error) {
      const reason = (error as Error).message.split('\n')[0].replace(/^apiRequestContext\.get: /, '');
      throw new Error(`Target unreachable: ${url} could not be reached (${reason}; HTTP_CONNECT_MS ${settings.httpConnectMs}).`);
    }
  };

  const health = await answer(`${settings.baseUrl}/health`);
  const body = (await health.json().catch(() => undefined)) as { status?: string; environment?: string } | undefined;
  expect(health.status(), `${settings.baseUrl}/health answered HTTP ${health.status()} ${JSON.stringify(body ?? {}).slice(0, 200)}`).toBe(
    200,
  );
  expect(
    body?.environment,
    `${settings.baseUrl}/health reports environment "${body?.environment}": the harness never runs against production`,
  ).not.toMatch(/^prod(uction)?$/i);
  expect(body?.status, `${settings.baseUrl}/health status`).toBe('healthy');
  expect(body?.environment, `${settings.baseUrl}/health environment must equal STAGING_ENVIRONMENT`).toBe(settings.environment);

  const authHealth = await answer(`${settings.authUrl}/auth/health`);
  const authBody = JSON.stringify((await authHealth.json().catch(() => undefined)) ?? {}).slice(0, 200);
  expect(authHealth.status(), `${settings.authUrl}/auth/health answered HTTP ${authHealth.status()} ${authBody}`).toBe(200);

  await setup.step('contract drift of the published OpenAPI document', () => attachContractDrift(request, settings.baseUrl));
});

setup('harness JWT secret matches the target', async ({ request, settings }) => {
  setup.skip(!settings.jwtSecret, 'JWT_SECRET_KEY not provided');
  const probe = { id: 'e2e-setup-probe', email: 'e2e-setup-probe@staging.test', permissions: ['read'] };
  const token = await signToken(contractClaims(probe, 'access', settings.environment), settings.jwtSecret!);
  const validate = await request.post(`${settings.authUrl}/auth/validate`, { data: { token } });
  // Contract §2: validate always answers 200, so any other status is the target's fault, not a secret mismatch.
  expect(validate.status(), `${settings.authUrl}/auth/validate answered HTTP ${validate.status()}`).toBe(200);
  const verdict = ((await validate.json().catch(() => undefined)) ?? {}) as { valid?: boolean; error?: string };
  expect(
    verdict,
    `JWT secret mismatch: ${settings.authUrl}/auth/validate rejects a token signed with JWT_SECRET_KEY (${verdict.error ?? 'invalid'}). ` +
      'Harness and target hold different secrets; every minted token would be refused (WebSocket HTTP 403).',
  ).toMatchObject({ valid: true });
  await request.post(`${settings.authUrl}/auth/logout`, { headers: { Authorization: `Bearer ${token}` } });
});

/**
 * Attaches `contract-drift.json`: how the OpenAPI document the target publishes differs from the contract's. A target
 * without the document gets a note instead; it is not an error, there is just nothing to compare.
 */
async function attachContractDrift(request: APIRequestContext, baseUrl: string): Promise<void> {
  const url = `${baseUrl}${PUBLISHED_DOCUMENT}`;
  const published = await request.get(url, { failOnStatusCode: false });
  const document: unknown = published.ok() ? await published.json().catch(() => undefined) : undefined;
  const info = setup.info();
  if (!document) {
    info.annotations.push({
      type: 'contract drift',
      description: `${url} answered HTTP ${published.status()} without an OpenAPI document`,
    });
    return;
  }
  const drifts = contractDrift(document as Parameters<typeof contractDrift>[0]);
  info.annotations.push({ type: 'contract drift', description: `${drifts.length} difference(s) between ${url} and the contract` });
  await info.attach(DRIFT_ATTACHMENT, { body: JSON.stringify({ drifts }), contentType: 'application/json' });
}
