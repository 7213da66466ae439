import { randomUUID } from 'node:crypto';
import type { APIResponse } from '@playwright/test';
import { test, expect, type TokenPair } from '../../fixtures';
import { instant } from '../../fixtures/client/time';
import { contractClaims, decodeToken, randomSecret, signToken, withClaims } from '../../fixtures/client/tokens';
import { catalog, category } from '../catalog';

/** Protected backend routes (contract §3), how each is called, and its operation in the contract documents. */
const PROTECTED: { operation: string; method: 'GET' | 'POST'; path: string; data?: Record<string, unknown> }[] = [
  { operation: 'GET /api/threads', method: 'GET', path: '/api/threads' },
  { operation: 'GET /api/agents', method: 'GET', path: '/api/agents' },
  { operation: 'GET /api/agents/runs', method: 'GET', path: '/api/agents/runs' },
  { operation: 'POST /api/threads', method: 'POST', path: '/api/threads', data: { title: 'P2 auth check' } },
  { operation: 'POST /api/websocket/ticket', method: 'POST', path: '/api/websocket/ticket', data: {} },
];

const NOT_AUTHENTICATED = 'Not authenticated';
const INVALID_TOKEN = 'Invalid or expired token';

/** Lifetimes the contract fixes (§1): access tokens 900 s, refresh tokens 7 days. */
const ACCESS_LIFETIME_S = 900;
const REFRESH_LIFETIME_S = 7 * 24 * 3600;

/** `path` under an advertised service URL, which may or may not end with "/". */
const under = (base: string, path: string) => `${base.replace(/\/+$/, '')}${path}`;

const { title, details } = category('P2');

test.describe(title, details, () => {
  test(
    'test_026_jwt_authentication_real',
    catalog({
      checks:
        'Five protected routes (thread list and creation, agents, runs, ticket) answer 403 "Not authenticated" without a ' +
        'token, 401 "Invalid or expired token" with a garbage Bearer token, and 200 with the user\'s token.',
      catches: 'unprotected route',
    }),
    async ({ request, user }) => {
      for (const route of PROTECTED) {
        const call = (headers: Record<string, string>) => request.fetch(route.path, { method: route.method, headers, data: route.data });
        await expect(await call({}), `${route.operation} without a token`).toMatchContract(route.operation, 403, {
          detail: NOT_AUTHENTICATED,
        });
        await expect(
          await call({ Authorization: `Bearer garbage-${randomUUID()}` }),
          `${route.operation} with a garbage token`,
        ).toMatchContract(route.operation, 401, { detail: INVALID_TOKEN });
        await expect(
          await call({ Authorization: `Bearer ${user.accessToken}` }),
          `${route.operation} with the user's token`,
        ).toMatchContract(route.operation, 200);
      }
    },
  );

  test(
    'test_027_password_login',
    catalog({
      checks:
        'A registered user logs in with email and password: login returns that user (same id, the name given at sign-up, ' +
        'the email), /auth/me with the new token names the user and email, and a socket opens with it.',
      catches: 'login tokens dead',
      was: 'oauth_google_login_real',
    }),
    async ({ users, sockets, request, settings }) => {
      const name = `P2 Login ${randomUUID().slice(0, 8)}`;
      const user = await users.create({ via: 'register', name });
      const login = await request.post(`${settings.authUrl}/auth/login`, { data: { email: user.email, password: user.password } });
      await expect(login).toMatchContract('POST /auth/login', 200, { user: { id: user.id, name, email: user.email } });
      const pair = (await login.json()) as TokenPair;
      users.track(pair);
      const me = await request.get(`${settings.authUrl}/auth/me`, { headers: { Authorization: `Bearer ${pair.access_token}` } });
      await expect(me).toMatchContract('GET /auth/me', 200, { user_id: user.id, email: user.email });
      await sockets.open(user, { token: pair.access_token });
    },
  );

  test(
    'test_028_token_refresh_real',
    catalog({
      checks:
        'A refresh returns a new pair (expires_in 900) whose access token differs from the old one, is for the same user, ' +
        'and works on REST and for a socket.',
      catches: 'bad new tokens',
    }),
    async ({ users, user, sockets, request, settings }) => {
      const refreshed = await request.post(`${settings.authUrl}/auth/refresh`, { data: { refresh_token: user.refreshToken } });
      await expect(refreshed).toMatchContract('POST /auth/refresh', 200, { expires_in: ACCESS_LIFETIME_S });
      const pair = (await refreshed.json()) as TokenPair;
      users.track(pair);
      expect(pair.access_token, 'the refreshed access token is new').not.toBe(user.accessToken);
      expect(decodeToken(pair.access_token).claims.sub, 'the new access token is for the same user').toBe(user.id);
      const api = await users.contextFor(pair.access_token);
      await expect(await api.get('/api/threads'), 'the new access token works on REST').toMatchContract('GET /api/threads', 200);
      await sockets.open(user, { token: pair.access_token });
    },
  );

  test(
    'test_029_token_expiry_real',
    catalog({
      checks:
        'A pair the auth service issued: the access token lives 900 s (exp - iat) and equals expires_in, the refresh ' +
        'token 7 days; /auth/validate expires_at and /auth/me token_expires_at are the access exp within 1 s.',
      catches: 'lifetimes',
    }),
    async ({ users, request, settings }) => {
      // A pair the target issued (never one the harness minted), so the lifetimes are the target's.
      const user = await users.create({ via: 'register' });
      const access = decodeToken(user.accessToken).claims;
      const refresh = decodeToken(user.refreshToken).claims;
      expect(access.exp! - access.iat!, 'access token lifetime (s)').toBe(ACCESS_LIFETIME_S);
      expect(user.pair.expires_in, 'expires_in equals the access lifetime').toBe(access.exp! - access.iat!);
      expect(refresh.exp! - refresh.iat!, 'refresh token lifetime (s)').toBe(REFRESH_LIFETIME_S);
      const validate = await request.post(`${settings.authUrl}/auth/validate`, { data: { token: user.accessToken } });
      await expect(validate).toMatchContract('POST /auth/validate', 200, { valid: true, user_id: user.id });
      const { expires_at: expiresAt } = await validate.json();
      expect(Math.abs(instant(expiresAt) / 1000 - access.exp!), 'validate expires_at = exp ± 1 s').toBeLessThanOrEqual(1);
      const me = await user.api.get(`${settings.authUrl}/auth/me`);
      await expect(me).toMatchContract('GET /auth/me', 200, { user_id: user.id });
      const { token_expires_at: tokenExpiresAt } = await me.json();
      expect(Math.abs(instant(tokenExpiresAt) / 1000 - access.exp!), '/auth/me token_expires_at = exp ± 1 s').toBeLessThanOrEqual(1);
    },
  );

  test(
    'test_030_logout_flow_real',
    catalog({
      checks:
        'Logout answers {"status":"success"}; afterwards the old token gets 401 "Invalid or expired token" on REST and ' +
        'on the ticket route and HTTP 403 on the upgrade; a new login of the same user still reads the thread made before.',
      catches: 'revoked works',
    }),
    async ({ users, sockets, request, settings }) => {
      const user = await users.create({ via: 'register' });
      const thread = await user.createThread();
      const logout = await request.post(`${settings.authUrl}/auth/logout`, { headers: { Authorization: `Bearer ${user.accessToken}` } });
      await expect(logout).toMatchContract('POST /auth/logout', 200, { status: 'success' });
      await expect(await user.api.get(`/api/threads/${thread.id}`), 'REST with the logged-out token').toMatchContract(
        'GET /api/threads/{id}',
        401,
        { detail: INVALID_TOKEN },
      );
      await expect(await user.api.post('/api/websocket/ticket', { data: {} }), 'a ticket for the logged-out token').toMatchContract(
        'POST /api/websocket/ticket',
        401,
        { detail: INVALID_TOKEN },
      );
      expect((await sockets.upgrade({ token: user.accessToken })).status, 'upgrade with the logged-out token').toBe(403);
      const login = await request.post(`${settings.authUrl}/auth/login`, { data: { email: user.email, password: user.password } });
      await expect(login, 'a new login of the same user').toMatchContract('POST /auth/login', 200, { user: { id: user.id } });
      const pair = (await login.json()) as TokenPair;
      users.track(pair);
      const api = await users.contextFor(pair.access_token);
      await expect(await api.get(`/api/threads/${thread.id}`), 'the new pair sees the thread').toMatchContract(
        'GET /api/threads/{id}',
        200,
        {
          id: thread.id,
          metadata: { user_id: user.id },
        },
      );
    },
  );

  test(
    'test_031_session_security_real',
    catalog({
      checks:
        "A user's token with sub changed to another user's id, under the old signature, gets 401 \"Invalid or expired " +
        'token" on REST, is invalid_token for /auth/validate, and is refused with HTTP 403 on the upgrade.',
      catches: 'sub trusted',
    }),
    async ({ users, sockets, request, settings }) => {
      const [u1, u2] = await Promise.all([users.create(), users.create()]);
      const tampered = withClaims(u1.accessToken, { sub: u2.id });
      expect(decodeToken(tampered).claims.sub).toBe(u2.id);
      await expect(
        await request.get('/api/threads', { headers: { Authorization: `Bearer ${tampered}` } }),
        'REST with sub swapped',
      ).toMatchContract('GET /api/threads', 401, { detail: INVALID_TOKEN });
      const validate = await request.post(`${settings.authUrl}/auth/validate`, { data: { token: tampered } });
      await expect(validate).toMatchContract('POST /auth/validate', 200, { valid: false, error: 'invalid_token' });
      expect((await sockets.upgrade({ token: tampered })).status, 'upgrade with sub swapped').toBe(403);
    },
  );

  test(
    'test_032_advertised_endpoints',
    catalog({
      checks:
        'The URLs /api/discovery/services advertises work: the backend URL answers /health healthy in the configured ' +
        'environment, the auth URL answers /auth/health healthy, and a socket opened at ws_url answers ping.',
      catches: 'dead URLs',
      was: 'https_certificate_validation_real',
    }),
    async ({ request, sockets, user, settings }) => {
      const discovery = await request.get('/api/discovery/services');
      await expect(discovery).toMatchContract('GET /api/discovery/services', 200);
      const { services } = await discovery.json();
      const backend = under(services.backend.url, '/health');
      await expect(await request.get(backend), `advertised ${backend}`).toMatchContract('GET /health', 200, {
        environment: settings.environment,
      });
      const auth = under(services.auth.url, '/auth/health');
      await expect(await request.get(auth), `advertised ${auth}`).toMatchContract('GET /auth/health', 200);
      const socket = await sockets.open(user, { url: services.backend.ws_url });
      await expect(socket).toAnswerPing();
    },
  );

  test(
    'test_033_cors_policy_real',
    catalog({
      checks:
        'Preflights from https://malicious-site.example to /health, /api/threads, /api/agents/execute and ' +
        '/api/websocket/ticket are answered by the backend without an access-control-allow-origin header.',
      catches: 'reflecting CORS',
    }),
    async ({ request }) => {
      const evil = 'https://malicious-site.example';
      for (const path of ['/health', '/api/threads', '/api/agents/execute', '/api/websocket/ticket']) {
        const preflight = await request.fetch(path, {
          method: 'OPTIONS',
          headers: {
            Origin: evil,
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'authorization, content-type',
          },
        });
        // x-request-id is on every backend response: it proves the backend itself answered the preflight.
        expect(preflight.headers()['x-request-id'], `${path}: the backend answered the preflight`).toBeTruthy();
        expect(preflight.headers()['access-control-allow-origin'], `${path}: preflight from ${evil}`).toBeUndefined();
      }
    },
  );

  test(
    'test_034_auth_under_burst',
    catalog({
      checks:
        "25 requests 20 ms apart over three protected routes, alternating the user's token and a forged one: every " +
        'request with the valid token answers 200, every forged one 401 "Invalid or expired token".',
      catches: 'cached auth',
      was: 'rate_limiting_real',
    }),
    async ({ request, user, settings }) => {
      const forged = await signToken(contractClaims(user, 'access', settings.environment), randomSecret());
      const tokens = [user.accessToken, forged];
      const routes = ['/api/threads', '/api/agents', '/api/agents/runs'];
      const results: { i: number; path: string; response: APIResponse }[] = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          new Promise((r) => setTimeout(r, i * 20)).then(async () => ({
            i,
            path: routes[i % 3],
            response: await request.get(routes[i % 3], { headers: { Authorization: `Bearer ${tokens[i % 2]}` } }),
          })),
        ),
      );
      // Even requests carry the valid token, odd ones the forged token.
      for (const { i, path, response } of results.filter((r) => r.i % 2 === 0))
        await expect(response, `#${i} ${path} with the user's token`).toMatchContract(`GET ${path}`, 200);
      for (const { i, path, response } of results.filter((r) => r.i % 2 === 1))
        await expect(response, `#${i} ${path} with a forged token`).toMatchContract(`GET ${path}`, 401, { detail: INVALID_TOKEN });
    },
  );

  test(
    'test_035_websocket_security_real',
    catalog({
      checks:
        'Upgrades without a token and with "Bearer invalid_token_12345" are refused with HTTP 403; with the user\'s ' +
        "token the socket opens as that user (the welcome names the user's id, no demo user) and answers ping.",
      catches: 'demo fallback',
    }),
    async ({ sockets, user }) => {
      expect((await sockets.upgrade({})).status, 'upgrade without a token').toBe(403);
      expect((await sockets.upgrade({ token: 'invalid_token_12345' })).status, 'upgrade with Bearer invalid_token_12345').toBe(403);
      const socket = await sockets.open(user);
      await expect(socket.welcome, 'the socket is the user, not a demo user').toMatchContract({
        type: 'connection_established',
        data: { user_id: user.id },
      });
      await expect(socket).toAnswerPing();
    },
  );
});
