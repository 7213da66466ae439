import { randomUUID } from 'node:crypto';
import { test, expect, type TokenPair } from '../../fixtures';
import { catalog, category } from '../catalog';
import { ISO_UTC } from '../../fixtures/client/contract';
import { contractClaims, decodeToken, randomSecret, signToken, withClaims } from '../../fixtures/client/tokens';
import { shapes } from '../../fixtures/shapes';

/** Protected backend routes (contract §3) and how each is called. */
const PROTECTED: { method: 'GET' | 'POST'; path: string; data?: Record<string, unknown> }[] = [
  { method: 'GET', path: '/api/threads' },
  { method: 'GET', path: '/api/agents' },
  { method: 'GET', path: '/api/agents/runs' },
  { method: 'POST', path: '/api/threads', data: { title: 'P2 auth check' } },
  { method: 'POST', path: '/api/websocket/ticket', data: {} },
];

const NOT_AUTHENTICATED = 'Not authenticated';
const INVALID_TOKEN = 'Invalid or expired token';

const { title, details } = category('P2');

test.describe(title, details, () => {
  test(
    'test_026_jwt_authentication_real',
    catalog({
      checks:
        '/api/threads, /api/agents, /api/agents/runs, POST /api/threads, POST /api/websocket/ticket: no header, Bearer garbage, A(U) → 403NA; 401IE; 200 on each',
      catches: 'unprotected route',
    }),
    async ({ request, user }) => {
      for (const route of PROTECTED) {
        const call = (headers: Record<string, string>) => request.fetch(route.path, { method: route.method, headers, data: route.data });
        await expect(await call({}), `${route.method} ${route.path} without a token`).toBeContractError(403, NOT_AUTHENTICATED);
        await expect(
          await call({ Authorization: `Bearer garbage-${randomUUID()}` }),
          `${route.method} ${route.path} with a garbage token`,
        ).toBeContractError(401, INVALID_TOKEN);
        const authorised = await call({ Authorization: `Bearer ${user.accessToken}` });
        expect(authorised.status(), `${route.method} ${route.path} with A(U)`).toBe(200);
      }
    },
  );

  test(
    'test_027_password_login',
    catalog({
      checks: 'register; login; /auth/me; ws with login token → same user.id, name; me email; opens',
      catches: 'login tokens dead',
      was: 'oauth_google_login_real',
    }),
    async ({ users, sockets, request, settings }) => {
      const user = await users.create({ via: 'register', name: `P2 Login ${randomUUID().slice(0, 8)}` });
      const login = await request.post(`${settings.authUrl}/auth/login`, { data: { email: user.email, password: user.password } });
      expect(login.status()).toBe(200);
      const pair = (await login.json()) as TokenPair;
      users.track(pair);
      expect(pair.user, 'login returns the registered user').toMatchObject({
        id: user.pair.user.id,
        name: user.pair.user.name,
        email: user.email,
      });
      expect(pair).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      const me = await request.get(`${settings.authUrl}/auth/me`, { headers: { Authorization: `Bearer ${pair.access_token}` } });
      expect(me.status()).toBe(200);
      expect(await me.json()).toMatchObject({ user_id: user.id, email: user.email });
      await sockets.open(user, { token: pair.access_token });
    },
  );

  test(
    'test_028_token_refresh_real',
    catalog({ checks: 'refresh → 200, expires_in 900, new access ≠ old, same sub; works on REST, WS', catches: 'bad new tokens' }),
    async ({ users, user, sockets, request, settings }) => {
      const refreshed = await request.post(`${settings.authUrl}/auth/refresh`, { data: { refresh_token: user.refreshToken } });
      expect(refreshed.status()).toBe(200);
      const pair = (await refreshed.json()) as TokenPair;
      users.track(pair);
      expect(pair.expires_in).toBe(900);
      expect(pair.access_token, 'the refreshed access token is new').not.toBe(user.accessToken);
      expect(decodeToken(pair.access_token).claims.sub, 'the new access token is for the same user').toBe(user.id);
      const api = await users.contextFor(pair.access_token);
      expect((await api.get('/api/threads')).status(), 'the new access token works on REST').toBe(200);
      await sockets.open(user, { token: pair.access_token });
    },
  );

  test(
    'test_029_token_expiry_real',
    catalog({
      checks:
        'decode pair; validate; /auth/me → access exp−iat = 900 = expires_in; refresh exp−iat = 604800; expires_at, token_expires_at = exp ±1 s',
      catches: 'lifetimes',
    }),
    async ({ users, request, settings }) => {
      // A pair the target issued (never one the harness minted), so the lifetimes are the target's.
      const user = await users.create({ via: 'register' });
      const access = decodeToken(user.accessToken).claims;
      const refresh = decodeToken(user.refreshToken).claims;
      expect(access.exp! - access.iat!, 'access token lifetime (s)').toBe(900);
      expect(user.pair.expires_in, 'expires_in equals the access lifetime').toBe(access.exp! - access.iat!);
      expect(refresh.exp! - refresh.iat!, 'refresh token lifetime (s)').toBe(604800);
      const validate = await request.post(`${settings.authUrl}/auth/validate`, { data: { token: user.accessToken } });
      expect(validate.status()).toBe(200);
      const verdict = await validate.json();
      expect(verdict).toMatchObject({ valid: true, user_id: user.id, expires_at: expect.stringMatching(ISO_UTC) });
      expect(Math.abs(Date.parse(verdict.expires_at) / 1000 - access.exp!), 'validate expires_at = exp ± 1 s').toBeLessThanOrEqual(1);
      const me = await user.api.get(`${settings.authUrl}/auth/me`);
      expect(me.status()).toBe(200);
      const profile = await me.json();
      expect(profile.token_expires_at).toMatch(ISO_UTC);
      expect(
        Math.abs(Date.parse(profile.token_expires_at) / 1000 - access.exp!),
        '/auth/me token_expires_at = exp ± 1 s',
      ).toBeLessThanOrEqual(1);
    },
  );

  test(
    'test_030_logout_flow_real',
    catalog({
      checks: 'T; logout; reuse; new pair, same user → {"status":"success"}; REST 401IE, ticket 401, upgrade 403; new pair sees T',
      catches: 'revoked works',
    }),
    async ({ users, sockets, request, settings }) => {
      const user = await users.create({ via: 'register' });
      const thread = await user.createThread();
      const logout = await request.post(`${settings.authUrl}/auth/logout`, { headers: { Authorization: `Bearer ${user.accessToken}` } });
      expect(logout.status()).toBe(200);
      expect(await logout.json()).toEqual({ status: 'success' });
      await expect(await user.api.get(`/api/threads/${thread.id}`), 'REST with the logged-out token').toBeContractError(401, INVALID_TOKEN);
      await expect(await user.api.post('/api/websocket/ticket', { data: {} }), 'a ticket for the logged-out token').toBeContractError(
        401,
        INVALID_TOKEN,
      );
      expect((await sockets.upgrade({ token: user.accessToken })).status, 'upgrade with the logged-out token').toBe(403);
      const login = await request.post(`${settings.authUrl}/auth/login`, { data: { email: user.email, password: user.password } });
      expect(login.status()).toBe(200);
      const pair = (await login.json()) as TokenPair;
      users.track(pair);
      expect(pair.user.id, 'the new pair is the same user').toBe(user.id);
      const api = await users.contextFor(pair.access_token);
      const fetched = await api.get(`/api/threads/${thread.id}`);
      expect(fetched.status(), 'the new pair sees the thread').toBe(200);
      expect(await fetched.json()).toMatchObject({ id: thread.id, metadata: { user_id: user.id } });
    },
  );

  test(
    'test_031_session_security_real',
    catalog({ checks: "U's token with sub = U2.id, old signature → 401IE; validate invalid_token; upgrade 403", catches: 'sub trusted' }),
    async ({ users, sockets, request, settings }) => {
      const [u1, u2] = await Promise.all([users.create(), users.create()]);
      const tampered = withClaims(u1.accessToken, { sub: u2.id });
      expect(decodeToken(tampered).claims.sub).toBe(u2.id);
      await expect(
        await request.get('/api/threads', { headers: { Authorization: `Bearer ${tampered}` } }),
        'REST with sub swapped',
      ).toBeContractError(401, INVALID_TOKEN);
      const validate = await request.post(`${settings.authUrl}/auth/validate`, { data: { token: tampered } });
      expect(validate.status()).toBe(200);
      expect(await validate.json()).toEqual({ valid: false, error: 'invalid_token' });
      expect((await sockets.upgrade({ token: tampered })).status, 'upgrade with sub swapped').toBe(403);
    },
  );

  test(
    'test_032_advertised_endpoints',
    catalog({
      checks: '/api/discovery/services; use its URLs → backend url /health 200; auth url /auth/health 200; ws(U) at ws_url opens',
      catches: 'dead URLs',
      was: 'https_certificate_validation_real',
    }),
    async ({ request, sockets, user, settings }) => {
      const discovery = await request.get('/api/discovery/services');
      expect(discovery.status()).toBe(200);
      const body = await discovery.json();
      expect(body).toMatchObject(shapes.discovery());
      const backend = await request.get(`${body.services.backend.url}/health`);
      expect(backend.status(), `advertised backend ${body.services.backend.url}/health`).toBe(200);
      expect(await backend.json()).toMatchObject(shapes.backendHealth(settings.environment));
      const auth = await request.get(`${body.services.auth.url}/auth/health`);
      expect(auth.status(), `advertised auth ${body.services.auth.url}/auth/health`).toBe(200);
      expect(await auth.json()).toMatchObject(shapes.authHealth());
      const socket = await sockets.open(user, { url: body.services.backend.ws_url });
      await expect(socket).toAnswerPing();
    },
  );

  test(
    'test_033_cors_policy_real',
    catalog({
      checks:
        'preflight from https://malicious-site.example to /health, /api/threads, /api/agents/execute, /api/websocket/ticket → no access-control-allow-origin',
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
      checks: '25 requests, 20 ms apart, 3 protected routes, A(U) / forged alternating → valid always 200; forged always 401IE',
      catches: 'cached auth',
      was: 'rate_limiting_real',
    }),
    async ({ request, user, settings }) => {
      const forged = await signToken(contractClaims(user, 'access', settings.environment), randomSecret());
      const tokens = [user.accessToken, forged];
      const routes = ['/api/threads', '/api/agents', '/api/agents/runs'];
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          new Promise((r) => setTimeout(r, i * 20)).then(async () => {
            const response = await request.get(routes[i % 3], { headers: { Authorization: `Bearer ${tokens[i % 2]}` } });
            return { i, path: routes[i % 3], valid: i % 2 === 0, status: response.status(), body: await response.text() };
          }),
        ),
      );
      const valid = results.filter((r) => r.valid);
      const forgedResults = results.filter((r) => !r.valid);
      expect(valid.length + forgedResults.length).toBe(25);
      for (const r of valid) expect(r.status, `#${r.i} ${r.path} with A(U)`).toBe(200);
      for (const r of forgedResults)
        expect({ status: r.status, body: JSON.parse(r.body) }, `#${r.i} ${r.path} with a forged token`).toEqual({
          status: 401,
          body: { detail: INVALID_TOKEN },
        });
    },
  );

  test(
    'test_035_websocket_security_real',
    catalog({ checks: 'upgrades: none; Bearer invalid_token_12345; A(U) → 403; 403; opens as U (no demo user)', catches: 'demo fallback' }),
    async ({ sockets, user }) => {
      expect((await sockets.upgrade({})).status, 'upgrade without a token').toBe(403);
      expect((await sockets.upgrade({ token: 'invalid_token_12345' })).status, 'upgrade with Bearer invalid_token_12345').toBe(403);
      const socket = await sockets.open(user);
      expect(socket.welcome.data?.user_id, 'the socket is U, not a demo user').toBe(user.id);
      await expect(socket).toAnswerPing();
    },
  );
});
