import { randomUUID } from 'node:crypto';
import { test, expect, type AgentResult, type Message, type Thread, type Ticket, type TokenPair } from '../../fixtures';
import { catalog, category } from '../catalog';
import { ticketUrl } from '../../fixtures/client/test-user';
import {
  contractClaims,
  decodeToken,
  randomSecret,
  signToken,
  subprotocolFor,
  unsignedToken,
  expiredClaims,
} from '../../fixtures/client/tokens';
import { uniqueRequest } from '../../fixtures/client/unique';

const INVALID_TOKEN = 'Invalid or expired token';
const NOT_AUTHENTICATED = 'Not authenticated';
/** Contract §2: the permissions of a user /auth/e2e/test-auth makes without being given any. */
const TEST_AUTH_DEFAULT_PERMISSIONS = ['read', 'write', 'chat', 'agent:execute'];
/** How long ago an expired token expired: well past the contract's 30 s clock-skew tolerance. */
const EXPIRED_FOR_S = 120;
/** Headers that look like test switches (contract §1); they must not relax any check. */
const TEST_HEADERS = { 'X-Test-Mode': 'true', 'X-Test-Type': 'e2e', 'X-E2E-Test': 'true', 'X-Test-Environment': 'staging' };
const EVIL_ORIGIN = 'https://evil.example';
/** The smallest ticket ttl the contract allows: auth_22 uses such a ticket 2 s after it expired. */
const SHORT_TICKET_TTL_S = 30;
/** The ttl asked for a ticket that is then used twice. */
const TICKET_TTL_S = 60;
const AFTER_EXPIRY_MS = 2000;

/** A permission list as a set: the contract names a user's permissions, not their order. */
const permissionSet = (permissions: unknown) => (Array.isArray(permissions) ? [...(permissions as unknown[])].sort() : permissions);
/** What the contract defines of each message of a REST list (oldest first, so in order). */
const messageFields = (messages: readonly Message[]) => messages.map((m) => [m.id, m.role, m.content]);
/** A run event, or the start of a run: what must not follow a refused request. */
const isRunFrame = (f: { run_id?: string; type: string }) => f.run_id !== undefined || f.type === 'agent_started';

const { title, details } = category('auth');

test.describe(title, details, () => {
  test(
    'test_auth_01_token_claims',
    catalog({
      checks:
        'Decodes the access and refresh tokens /auth/register issued: both are HS256 and carry sub = the user id, its email ' +
        'and permissions, integer iat (now ± CLOCK_SKEW_S) and exp after it, a jti, iss netra-auth-service, aud ' +
        'netra-platform, their own token_type and env = STAGING_ENVIRONMENT; the two jti differ.',
      catches: 'claim drift',
    }),
    async ({ users, settings }) => {
      // A pair the target issued: a minted pair would only show the claims the harness wrote itself.
      const user = await users.create({ via: 'register' });
      const now = Date.now() / 1000;
      const decoded = { access: decodeToken(user.accessToken), refresh: decodeToken(user.refreshToken) };
      for (const type of ['access', 'refresh'] as const) {
        const { header, claims } = decoded[type];
        expect(header.alg, `${type} token alg`).toBe('HS256');
        expect(claims, `${type} token claims`).toMatchObject({
          sub: user.id,
          email: user.email,
          jti: expect.stringMatching(/\S/),
          iss: 'netra-auth-service',
          aud: 'netra-platform',
          token_type: type,
          env: settings.environment,
        });
        expect(permissionSet(claims.permissions), `${type} token permissions are the user's`).toEqual(
          permissionSet(user.pair.user.permissions),
        );
        expect(
          (claims.permissions ?? []).every((p) => typeof p === 'string'),
          `${type} permissions are strings`,
        ).toBe(true);
        expect(Number.isInteger(claims.iat), `${type} iat is an integer (got ${String(claims.iat)})`).toBe(true);
        expect(Number.isInteger(claims.exp), `${type} exp is an integer (got ${String(claims.exp)})`).toBe(true);
        expect(Math.abs(claims.iat! - now), `${type} iat is now ± CLOCK_SKEW_S`).toBeLessThanOrEqual(settings.clockSkewS);
        expect(claims.exp!, `${type} exp is after iat`).toBeGreaterThan(claims.iat!);
      }
      expect(decoded.access.claims.jti, 'access and refresh tokens have distinct jti').not.toBe(decoded.refresh.claims.jti);
    },
  );

  test(
    'test_auth_02_alg_none_rejected',
    catalog({
      checks:
        'The user\'s claims in an unsigned alg none token are refused everywhere: REST 401 "Invalid or expired token", ' +
        '/auth/validate invalid_token, WebSocket upgrade HTTP 403.',
      catches: 'alg none',
    }),
    async ({ settings, user, tryToken }) => {
      const token = unsignedToken(contractClaims(user, 'access', settings.environment));
      expect(await tryToken(token)).toBeRejectedEverywhere({
        validateError: 'invalid_token',
        what: "U's claims with alg none, no signature",
      });
    },
  );

  test(
    'test_auth_03_other_alg_rejected',
    catalog({
      checks:
        'The user\'s claims signed HS512 with the right secret are refused everywhere: REST 401 "Invalid or expired token", ' +
        '/auth/validate invalid_token, WebSocket upgrade HTTP 403.',
      catches: 'alg not pinned',
    }),
    async ({ settings, user, tryToken }) => {
      test.skip(!settings.jwtSecret, 'JWT_SECRET_KEY not provided');
      const token = await signToken(contractClaims(user, 'access', settings.environment), settings.jwtSecret!, 'HS512');
      expect(await tryToken(token)).toBeRejectedEverywhere({
        validateError: 'invalid_token',
        what: "U's claims signed HS512 with the right secret",
      });
    },
  );

  test(
    'test_auth_04_wrong_secret_rejected',
    catalog({
      checks:
        'The user\'s claims signed with a random 48-character secret are refused everywhere: REST 401 "Invalid or expired ' +
        'token", /auth/validate invalid_token, WebSocket upgrade HTTP 403.',
      catches: 'forged signature',
    }),
    async ({ settings, user, tryToken }) => {
      const token = await signToken(contractClaims(user, 'access', settings.environment), randomSecret(48));
      expect(await tryToken(token)).toBeRejectedEverywhere({
        validateError: 'invalid_token',
        what: "U's claims signed with a random 48-char secret",
      });
    },
  );

  test(
    'test_auth_05_expired_rejected',
    catalog({
      checks:
        'A token of the user that expired 120 s ago is refused everywhere: REST 401 "Invalid or expired token", ' +
        '/auth/validate expired_token, WebSocket upgrade HTTP 403.',
      catches: 'expiry ignored',
    }),
    async ({ settings, user, tryToken }) => {
      test.skip(!settings.jwtSecret, 'JWT_SECRET_KEY not provided');
      const token = await signToken(expiredClaims(user, settings.environment, EXPIRED_FOR_S), settings.jwtSecret!);
      expect(await tryToken(token)).toBeRejectedEverywhere({
        validateError: 'expired_token',
        what: `U's token expired ${EXPIRED_FOR_S} s ago`,
      });
    },
  );

  test(
    'test_auth_06_wrong_issuer_rejected',
    catalog({
      checks:
        'A token of the user with iss other-issuer is refused everywhere: REST 401 "Invalid or expired token", ' +
        '/auth/validate invalid_token, WebSocket upgrade HTTP 403.',
      catches: 'iss unchecked',
    }),
    async ({ settings, user, tryToken }) => {
      test.skip(!settings.jwtSecret, 'JWT_SECRET_KEY not provided');
      const token = await signToken({ ...contractClaims(user, 'access', settings.environment), iss: 'other-issuer' }, settings.jwtSecret!);
      // Contract §2: validate reports a wrong iss as invalid_token.
      expect(await tryToken(token)).toBeRejectedEverywhere({ validateError: 'invalid_token', what: "U's claims with iss other-issuer" });
    },
  );

  test(
    'test_auth_07_wrong_audience_rejected',
    catalog({
      checks:
        'A token of the user with aud other-platform is refused everywhere: REST 401 "Invalid or expired token", ' +
        '/auth/validate invalid_token, WebSocket upgrade HTTP 403.',
      catches: 'aud unchecked',
    }),
    async ({ settings, user, tryToken }) => {
      test.skip(!settings.jwtSecret, 'JWT_SECRET_KEY not provided');
      const token = await signToken(
        { ...contractClaims(user, 'access', settings.environment), aud: 'other-platform' },
        settings.jwtSecret!,
      );
      expect(await tryToken(token)).toBeRejectedEverywhere({ validateError: 'invalid_token', what: "U's claims with aud other-platform" });
    },
  );

  test(
    'test_auth_08_missing_claims_rejected',
    catalog({
      checks:
        'Four tokens of the user, each lacking one of sub, iat, exp and jti, are each refused everywhere: REST 401 ' +
        '"Invalid or expired token", /auth/validate invalid_token, WebSocket upgrade HTTP 403.',
      catches: 'optional claims',
    }),
    async ({ settings, user, tryToken }) => {
      test.skip(!settings.jwtSecret, 'JWT_SECRET_KEY not provided');
      for (const claim of ['sub', 'iat', 'exp', 'jti'] as const) {
        const { [claim]: _dropped, ...claims } = contractClaims(user, 'access', settings.environment);
        const token = await signToken(claims, settings.jwtSecret!);
        expect(await tryToken(token)).toBeRejectedEverywhere({ validateError: 'invalid_token', what: `U's claims without ${claim}` });
      }
    },
  );

  test(
    'test_auth_09_refresh_not_access',
    catalog({
      checks:
        'The user\'s refresh token used as an access token is refused everywhere: REST 401 "Invalid or expired token", ' +
        '/auth/validate wrong_token_type, WebSocket upgrade HTTP 403.',
      catches: 'type unchecked',
    }),
    async ({ user, tryToken }) => {
      expect(await tryToken(user.refreshToken)).toBeRejectedEverywhere({
        validateError: 'wrong_token_type',
        what: "U's refresh token used as access token",
      });
    },
  );

  test(
    'test_auth_10_refresh_single_use',
    catalog({
      checks:
        "Refreshing with the user's refresh token gives a new pair for the same user; the spent token is then refused " +
        'with 401, and the new refresh token is accepted.',
      catches: 'replay',
    }),
    async ({ request, settings, users, user }) => {
      const refresh = (token: string) => request.post(`${settings.authUrl}/auth/refresh`, { data: { refresh_token: token } });
      const first = await refresh(user.refreshToken);
      await expect(first, 'refresh with R: a new pair for U').toMatchContract('POST /auth/refresh', 200, { user: { id: user.id } });
      const pair = (await first.json()) as TokenPair;
      users.track(pair);
      expect(pair.refresh_token, 'a new refresh token R′').not.toBe(user.refreshToken);
      await expect(await refresh(user.refreshToken), 'R again (spent)').toMatchContract('POST /auth/refresh', 401);
      const second = await refresh(pair.refresh_token);
      await expect(second, 'refresh with R′').toMatchContract('POST /auth/refresh', 200, { user: { id: user.id } });
      users.track((await second.json()) as TokenPair);
    },
  );

  test(
    'test_auth_11_refresh_input_validation',
    catalog({
      checks: '/auth/refresh refuses an access token and a garbage token with 401, and a body without refresh_token with 422.',
      catches: 'wrong token taken',
    }),
    async ({ request, settings, user }) => {
      const url = `${settings.authUrl}/auth/refresh`;
      await expect(await request.post(url, { data: { refresh_token: user.accessToken } }), 'refresh with an access token').toMatchContract(
        'POST /auth/refresh',
        401,
      );
      await expect(await request.post(url, { data: { refresh_token: `garbage-${randomUUID()}` } }), 'refresh with garbage').toMatchContract(
        'POST /auth/refresh',
        401,
      );
      await expect(await request.post(url, { data: {} }), 'refresh with {}').toMatchContract('POST /auth/refresh', 422);
    },
  );

  test(
    'test_auth_12_logout_revocation',
    catalog({
      checks:
        'Logout answers {"status":"success"}; the logged-out access token is then refused everywhere (REST 401 "Invalid or ' +
        'expired token", /auth/validate revoked_token, upgrade HTTP 403), by /auth/me with 401 and by a second logout with 401.',
      catches: 'no revocation',
    }),
    async ({ request, settings, user, tryToken }) => {
      const bearer = { Authorization: `Bearer ${user.accessToken}` };
      const logout = await request.post(`${settings.authUrl}/auth/logout`, { headers: bearer });
      await expect(logout, 'logout').toMatchContract('POST /auth/logout', 200, { status: 'success' });
      expect(await tryToken(user.accessToken)).toBeRejectedEverywhere({
        validateError: 'revoked_token',
        what: "U's logged-out access token",
      });
      await expect(
        await request.get(`${settings.authUrl}/auth/me`, { headers: bearer }),
        '/auth/me with the logged-out token',
      ).toMatchContract('GET /auth/me', 401);
      await expect(await request.post(`${settings.authUrl}/auth/logout`, { headers: bearer }), 'logout again').toMatchContract(
        'POST /auth/logout',
        401,
      );
    },
  );

  test(
    'test_auth_13_logout_scope',
    catalog({
      checks:
        'Of two pairs of one user (register, then login), logging out the first leaves the second working on REST and ' +
        '/auth/me while the first gets 401 "Invalid or expired token"; a logout without a token is 401.',
      catches: 'over-broad logout',
    }),
    async ({ request, settings, users }) => {
      const user = await users.create({ via: 'register' });
      const login = await request.post(`${settings.authUrl}/auth/login`, { data: { email: user.email, password: user.password } });
      await expect(login, 'a second login of U').toMatchContract('POST /auth/login', 200, { user: { id: user.id } });
      const second = (await login.json()) as TokenPair;
      users.track(second);
      const logout = await request.post(`${settings.authUrl}/auth/logout`, { headers: { Authorization: `Bearer ${user.accessToken}` } });
      await expect(logout, 'logout of the first pair').toMatchContract('POST /auth/logout', 200, { status: 'success' });
      await expect(await user.api.get('/api/threads'), 'the first pair is logged out').toMatchContract('GET /api/threads', 401, {
        detail: INVALID_TOKEN,
      });
      const api = await users.contextFor(second.access_token);
      await expect(await api.get('/api/threads'), 'the second pair still works on REST').toMatchContract('GET /api/threads', 200);
      await expect(await api.get(`${settings.authUrl}/auth/me`), 'the second pair still works on /auth/me').toMatchContract(
        'GET /auth/me',
        200,
        { user_id: user.id },
      );
      await expect(await request.post(`${settings.authUrl}/auth/logout`), 'logout without a token').toMatchContract(
        'POST /auth/logout',
        401,
      );
    },
  );

  test(
    'test_auth_14_validate_contract',
    catalog({
      checks:
        '/auth/validate answers 200 every time: {} is valid false missing_token, garbage is valid false invalid_token, and ' +
        "the user's token is valid with the token's user_id, email and permissions and expires_at equal to its exp.",
      catches: 'validate shape',
    }),
    async ({ request, settings, user }) => {
      const validate = (data: Record<string, unknown>) => request.post(`${settings.authUrl}/auth/validate`, { data });
      await expect(await validate({}), 'validate {}').toMatchContract('POST /auth/validate', 200, { valid: false, error: 'missing_token' });
      await expect(await validate({ token: `garbage-${randomUUID()}` }), 'validate garbage').toMatchContract('POST /auth/validate', 200, {
        valid: false,
        error: 'invalid_token',
      });
      const { claims } = decodeToken(user.accessToken);
      const valid = await validate({ token: user.accessToken });
      await expect(valid, "validate U's token").toMatchContract('POST /auth/validate', 200, {
        valid: true,
        user_id: claims.sub,
        email: claims.email,
      });
      const verdict = (await valid.json()) as { permissions: unknown; expires_at: string };
      expect(permissionSet(verdict.permissions), "the token's permissions").toEqual(permissionSet(claims.permissions));
      expect(Date.parse(verdict.expires_at) / 1000, 'expires_at is the token exp').toBe(claims.exp);
    },
  );

  test(
    'test_auth_15_me_contract',
    catalog({
      checks:
        "/auth/me with the user's token answers the token's user_id, email and permissions and token_expires_at equal to " +
        'its exp; without a token and with a garbage token it is 401.',
      catches: 'me shape',
    }),
    async ({ request, settings, user }) => {
      const { claims } = decodeToken(user.accessToken);
      const me = await user.api.get(`${settings.authUrl}/auth/me`);
      await expect(me, "/auth/me with U's token").toMatchContract('GET /auth/me', 200, { user_id: claims.sub, email: claims.email });
      const profile = (await me.json()) as { permissions: unknown; token_expires_at: string };
      expect(permissionSet(profile.permissions), "the token's permissions").toEqual(permissionSet(claims.permissions));
      expect(Date.parse(profile.token_expires_at) / 1000, 'token_expires_at is the token exp').toBe(claims.exp);
      await expect(await request.get(`${settings.authUrl}/auth/me`), '/auth/me without a token').toMatchContract('GET /auth/me', 401);
      await expect(
        await request.get(`${settings.authUrl}/auth/me`, { headers: { Authorization: `Bearer garbage-${randomUUID()}` } }),
        '/auth/me with garbage',
      ).toMatchContract('GET /auth/me', 401);
    },
  );

  test(
    'test_auth_16_bypass_key_handling',
    catalog({
      checks:
        '/auth/e2e/test-auth without X-E2E-Bypass-Key and with a wrong key is 401 {detail}; with the key and {} it returns ' +
        'the default user (id e2e-e2e-user, e2e-user@staging.test, default permissions); with the key, an email and ' +
        'permissions it returns id e2e-<local part> with those permissions, in the pair and in the access token.',
      catches: 'open bypass',
    }),
    async ({ request, settings, users }) => {
      expect(settings.bypassKey, 'E2E_OAUTH_SIMULATION_KEY is configured (the embedded server always has one)').toBeDefined();
      const testAuth = (headers: Record<string, string>, data: Record<string, unknown>) =>
        request.post(`${settings.authUrl}/auth/e2e/test-auth`, { headers, data });
      await expect(await testAuth({}, {}), 'test-auth without X-E2E-Bypass-Key').toMatchContract('POST /auth/e2e/test-auth', 401);
      await expect(await testAuth({ 'X-E2E-Bypass-Key': randomSecret(24) }, {}), 'test-auth with a wrong key').toMatchContract(
        'POST /auth/e2e/test-auth',
        401,
      );
      const key = { 'X-E2E-Bypass-Key': settings.bypassKey ?? '' };

      const defaults = await testAuth(key, {});
      await expect(defaults, 'test-auth with the key and {}').toMatchContract('POST /auth/e2e/test-auth', 200, {
        user: { id: 'e2e-e2e-user', email: 'e2e-user@staging.test' },
      });
      const defaultPair = (await defaults.json()) as TokenPair;
      users.track(defaultPair);
      expect(permissionSet(defaultPair.user.permissions), 'the default permissions').toEqual(permissionSet(TEST_AUTH_DEFAULT_PERMISSIONS));

      const local = `e2e-auth16-${randomUUID().slice(0, 12)}`;
      const permissions = ['read', `audit:${randomUUID().slice(0, 8)}`];
      const chosen = await testAuth(key, { email: `${local}@staging.test`, permissions });
      await expect(chosen, 'test-auth with the key, an email and permissions').toMatchContract('POST /auth/e2e/test-auth', 200, {
        user: { id: `e2e-${local}`, email: `${local}@staging.test` },
      });
      const pair = (await chosen.json()) as TokenPair;
      users.track(pair);
      expect(permissionSet(pair.user.permissions), "the user's permissions are the ones sent").toEqual(permissionSet(permissions));
      const { claims } = decodeToken(pair.access_token);
      expect(claims.sub, 'the access token is the new user').toBe(`e2e-${local}`);
      expect(permissionSet(claims.permissions), 'the access token carries the sent permissions').toEqual(permissionSet(permissions));
    },
  );

  test(
    'test_auth_17_bypass_key_not_credential',
    catalog({
      checks:
        'The bypass key as X-E2E-Bypass-Key on a protected route is 403 "Not authenticated", and as a Bearer token 401 ' +
        '"Invalid or expired token".',
      catches: 'key as login',
    }),
    async ({ request, settings }) => {
      expect(settings.bypassKey, 'E2E_OAUTH_SIMULATION_KEY is configured (the embedded server always has one)').toBeDefined();
      const key = settings.bypassKey ?? '';
      await expect(
        await request.get('/api/threads', { headers: { 'X-E2E-Bypass-Key': key } }),
        'X-E2E-Bypass-Key on a protected route',
      ).toMatchContract('GET /api/threads', 403, { detail: NOT_AUTHENTICATED });
      await expect(
        await request.get('/api/threads', { headers: { Authorization: `Bearer ${key}` } }),
        'the bypass key as Bearer',
      ).toMatchContract('GET /api/threads', 401, { detail: INVALID_TOKEN });
    },
  );

  test(
    'test_auth_18_test_headers_rest',
    catalog({
      checks:
        'With X-Test-Mode, X-Test-Type, X-E2E-Test and X-Test-Environment set, a protected route is still 403 "Not ' +
        'authenticated" without a token and 401 "Invalid or expired token" with a forged one.',
      catches: 'REST header bypass',
    }),
    async ({ request, settings, user }) => {
      const forged = await signToken(contractClaims(user, 'access', settings.environment), randomSecret());
      await expect(await request.get('/api/threads', { headers: TEST_HEADERS }), 'test headers, no token').toMatchContract(
        'GET /api/threads',
        403,
        { detail: NOT_AUTHENTICATED },
      );
      await expect(
        await request.get('/api/threads', { headers: { ...TEST_HEADERS, Authorization: `Bearer ${forged}` } }),
        'test headers, forged token',
      ).toMatchContract('GET /api/threads', 401, { detail: INVALID_TOKEN });
    },
  );

  test(
    'test_auth_19_test_headers_ws',
    catalog({
      checks:
        'With the same test headers, the WebSocket upgrade is refused with HTTP 403 without a token, with a forged token, ' +
        'and when only the e2e-testing subprotocol is offered.',
      catches: 'WS header bypass',
    }),
    async ({ sockets, settings, user }) => {
      const forged = await signToken(contractClaims(user, 'access', settings.environment), randomSecret());
      expect((await sockets.upgrade({ headers: TEST_HEADERS })).status, 'upgrade with test headers, no token').toBe(403);
      expect((await sockets.upgrade({ headers: TEST_HEADERS, token: forged })).status, 'upgrade with test headers, forged token').toBe(403);
      expect(
        (await sockets.upgrade({ headers: TEST_HEADERS, protocols: ['e2e-testing'] })).status,
        'upgrade offering only the e2e-testing subprotocol',
      ).toBe(403);
    },
  );

  test(
    'test_auth_20_ws_bearer_rejections',
    catalog({
      checks:
        'The upgrade is refused with HTTP 403 for an Authorization header of garbage, a Bearer garbage token, the ' +
        "user's refresh token, its logged-out access token, and (with JWT_SECRET_KEY) a token expired 120 s ago.",
      catches: 'lax header path',
    }),
    async ({ request, sockets, settings, user }) => {
      expect((await sockets.upgrade({ headers: { Authorization: `garbage-${randomUUID()}` } })).status, 'Authorization: garbage').toBe(403);
      expect((await sockets.upgrade({ token: `garbage-${randomUUID()}` })).status, 'Authorization: Bearer garbage').toBe(403);
      expect((await sockets.upgrade({ token: user.refreshToken })).status, "Bearer U's refresh token").toBe(403);
      const logout = await request.post(`${settings.authUrl}/auth/logout`, { headers: { Authorization: `Bearer ${user.accessToken}` } });
      await expect(logout, 'logout of U').toMatchContract('POST /auth/logout', 200, { status: 'success' });
      expect((await sockets.upgrade({ token: user.accessToken })).status, "Bearer U's revoked access token").toBe(403);

      await test.step('Bearer expired access token (S)', async (step) => {
        // Only this case needs a minted token; the others run without JWT_SECRET_KEY.
        step.skip(!settings.jwtSecret, 'JWT_SECRET_KEY not provided');
        const expired = await signToken(expiredClaims(user, settings.environment, EXPIRED_FOR_S), settings.jwtSecret!);
        expect((await sockets.upgrade({ token: expired })).status, `Bearer token expired ${EXPIRED_FOR_S} s ago`).toBe(403);
      });
    },
  );

  test(
    'test_auth_21_ws_subprotocol_rejections',
    catalog({
      checks:
        'The upgrade is refused with HTTP 403 for a jwt. subprotocol holding base64url garbage, a base64url revoked token ' +
        "and the user's raw refresh token; the user's access token as a raw and as a base64url jwt. entry opens a socket " +
        'and that entry is selected.',
      catches: 'lax subprotocol',
    }),
    async ({ request, sockets, settings, users, user }) => {
      const revoked = await users.create();
      const logout = await request.post(`${settings.authUrl}/auth/logout`, { headers: { Authorization: `Bearer ${revoked.accessToken}` } });
      await expect(logout, 'logout of the second user').toMatchContract('POST /auth/logout', 200, { status: 'success' });
      const rejected = [
        { what: 'jwt.<base64url garbage>', token: `garbage-${randomUUID()}`, raw: false },
        { what: 'jwt.<base64url revoked access token>', token: revoked.accessToken, raw: false },
        { what: 'jwt.<raw refresh token of U>', token: user.refreshToken, raw: true },
      ];
      for (const { what, token, raw } of rejected) {
        expect((await sockets.upgrade({ token, transport: 'subprotocol', rawSubprotocol: raw })).status, what).toBe(403);
      }
      const rawControl = await sockets.open(user, { transport: 'subprotocol', rawSubprotocol: true });
      expect(rawControl.protocol, 'control: the raw jwt.<access token> entry opens and is selected').toBe(`jwt.${user.accessToken}`);
      const encodedControl = await sockets.open(user, { transport: 'subprotocol' });
      expect(encodedControl.protocol, 'control: the jwt.<base64url access token> entry opens and is selected').toBe(
        subprotocolFor(user.accessToken),
      );
    },
  );

  test(
    'test_auth_22_ws_ticket_rejections',
    catalog({
      checks:
        'The upgrade is refused with HTTP 403 for an unknown ticket, and for a ticket of the shortest ttl (30 s) used 2 s ' +
        'after it expired; a fresh ticket of the user opens a socket.',
      catches: 'lax tickets',
    }),
    async ({ sockets, settings, user }) => {
      const waitMs = SHORT_TICKET_TTL_S * 1000 + AFTER_EXPIRY_MS;
      // The one test that must wait out a ticket's lifetime: the usual budget plus that wait.
      test.setTimeout(test.info().timeout + waitMs);
      const unknown = await sockets.upgrade({ transport: 'ticket', ticket: `tkt_${randomUUID().replace(/-/g, '')}` });
      expect(unknown.status, 'upgrade with an unknown ticket').toBe(403);
      await sockets.open(user, { transport: 'ticket' });

      const ticket = await user.ticket(SHORT_TICKET_TTL_S);
      const received = Date.now();
      expect(
        Math.abs(Date.parse(ticket.expires_at) - (received + SHORT_TICKET_TTL_S * 1000)),
        `expires_at is now + ${SHORT_TICKET_TTL_S} s ± CLOCK_SKEW_S`,
      ).toBeLessThanOrEqual(settings.clockSkewS * 1000);
      // Timed from when the ticket arrived, not from expires_at, so a clock offset with the target cannot matter.
      await new Promise((resolve) => setTimeout(resolve, received + waitMs - Date.now()));
      const expired = await sockets.upgrade({ transport: 'ticket', ticket: ticket.ticket_id });
      expect(expired.status, `upgrade with a ttl ${SHORT_TICKET_TTL_S} ticket ${AFTER_EXPIRY_MS} ms after it expired`).toBe(403);
    },
  );

  test(
    'test_auth_23_ticket_single_use',
    catalog({
      checks:
        'A ticket asked with ttl_seconds 60 expires now + 60 s (± CLOCK_SKEW_S) and opens a socket once; the same ticket ' +
        'again is refused with HTTP 403, and asking for a ticket without a token is 403 "Not authenticated".',
      catches: 'ticket replay',
    }),
    async ({ request, sockets, settings, api, user }) => {
      const issued = await api.post('/api/websocket/ticket', { data: { ttl_seconds: TICKET_TTL_S } });
      const received = Date.now();
      await expect(issued, `ticket {ttl_seconds: ${TICKET_TTL_S}}`).toMatchContract('POST /api/websocket/ticket', 200);
      const ticket = (await issued.json()) as Ticket;
      expect(
        Math.abs(Date.parse(ticket.expires_at) - (received + TICKET_TTL_S * 1000)),
        `expires_at is now + ${TICKET_TTL_S} s ± CLOCK_SKEW_S`,
      ).toBeLessThanOrEqual(settings.clockSkewS * 1000);
      const url = ticketUrl(ticket);
      const socket = await sockets.open(user, { transport: 'none', url });
      await expect(socket).toAnswerPing();
      expect((await sockets.upgrade({ url })).status, 'the same ticket again (spent)').toBe(403);
      await expect(
        await request.post('/api/websocket/ticket', { data: { ttl_seconds: TICKET_TTL_S } }),
        'ticket without auth',
      ).toMatchContract('POST /api/websocket/ticket', 403, { detail: NOT_AUTHENTICATED });
    },
  );

  test(
    'test_auth_24_ws_query_token_ignored',
    catalog({
      checks:
        "An upgrade carrying the user's valid access token only as ?token= is refused with HTTP 403; the same token in the header opens.",
      catches: 'extra transport',
    }),
    async ({ sockets, settings, user }) => {
      const url = new URL(settings.wsUrl);
      url.searchParams.set('token', user.accessToken);
      expect((await sockets.upgrade({ url: url.toString() })).status, 'upgrade with only ?token=<valid access token>').toBe(403);
      // Control: the same token is valid over the header transport.
      await sockets.open(user);
    },
  );

  test(
    'test_auth_25_cross_user_threads',
    catalog({
      checks:
        'A second user is refused the first user\'s thread with 403 "Access denied" on GET, PUT, DELETE and listing and ' +
        'posting messages, and over the socket with THREAD_ACCESS_DENIED for its history and for a user_message on it, ' +
        'which starts no run; afterwards the thread (id, title, metadata, message count) and its messages (ids, roles, ' +
        'contents) are unchanged.',
      catches: 'thread ACL',
    }),
    async ({ sockets, users }) => {
      const [u1, u2] = await Promise.all([users.create(), users.create()]);
      const marker = randomUUID();
      const thread = await u1.createThread({ title: 'U1 private thread', metadata: { marker } });
      await u1.postMessage(thread.id, `private note ${randomUUID()}`);
      // What the contract defines of T and its messages, read back by the owner before the attempts.
      const read = await u1.api.get(`/api/threads/${thread.id}`);
      await expect(read, 'U1 reads T').toMatchContract('GET /api/threads/{id}', 200, {
        id: thread.id,
        metadata: { marker, user_id: u1.id },
      });
      const before = (await read.json()) as Thread;
      const messagesBefore = messageFields((await u1.messages(thread.id)).messages);

      const attempts = {
        'GET T': ['GET /api/threads/{id}', await u2.api.get(`/api/threads/${thread.id}`)],
        'PUT T': [
          'PUT /api/threads/{id}',
          await u2.api.put(`/api/threads/${thread.id}`, { data: { title: 'taken over', metadata: { marker: 'taken over' } } }),
        ],
        'DELETE T': ['DELETE /api/threads/{id}', await u2.api.delete(`/api/threads/${thread.id}`)],
        'GET messages': ['GET /api/threads/{id}/messages', await u2.api.get(`/api/threads/${thread.id}/messages`)],
        'POST messages': [
          'POST /api/threads/{id}/messages',
          await u2.api.post(`/api/threads/${thread.id}/messages`, { data: { message: 'intrusion' } }),
        ],
      } as const;
      for (const [what, [operation, response]] of Object.entries(attempts))
        await expect(response, `U2: ${what} of U1's thread`).toMatchContract(operation, 403, { detail: 'Access denied' });

      const socket = await sockets.open(u2);
      await expect(await socket.threadHistory(thread.id), "U2: history of U1's thread").toMatchContract({
        type: 'error_message',
        error_code: 'THREAD_ACCESS_DENIED',
      });
      const say = { type: 'user_message', content: uniqueRequest("Summarise this thread's cost"), thread_id: thread.id };
      await expect(await socket.sendExpectingError(say), "U2: say on U1's thread").toMatchContract({
        type: 'error_message',
        error_code: 'THREAD_ACCESS_DENIED',
      });
      await expect(socket, "no run starts on U1's thread").toStayQuiet({ match: isRunFrame });

      await expect(await u1.api.get(`/api/threads/${thread.id}`), 'T is unchanged').toMatchContract('GET /api/threads/{id}', 200, {
        id: before.id,
        title: before.title,
        message_count: before.message_count,
        metadata: { marker, user_id: u1.id },
      });
      expect(messageFields((await u1.messages(thread.id)).messages), "T's messages are unchanged (ids, roles, contents)").toEqual(
        messagesBefore,
      );
    },
  );

  test(
    'test_auth_26_cross_user_runs',
    catalog({
      checks:
        "The first user's REST and WebSocket runs are readable by it and 403 for a second user, and the second user's run " +
        'list holds only its own run.',
      catches: 'run ACL',
    }),
    async ({ sockets, users, settings }) => {
      const [u1, u2] = await Promise.all([users.create(), users.create()]);
      const rest = await u1.api.post('/api/agents/execute', {
        data: { type: 'triage', message: uniqueRequest('Classify this confidential request') },
      });
      await expect(rest, 'U1 runs triage over REST').toMatchContract('POST /api/agents/execute', 200, { agent: 'triage' });
      const restRun = (await rest.json()) as AgentResult;
      const socket = await sockets.open(u1);
      const wsFrames = await (await socket.startAgent('triage', uniqueRequest('Classify this other confidential request'))).finished();
      const own = await u2.api.post('/api/agents/execute', { data: { type: 'triage', message: uniqueRequest('Classify my own request') } });
      await expect(own, 'U2 runs triage').toMatchContract('POST /api/agents/execute', 200, { agent: 'triage' });
      const ownRunId = ((await own.json()) as AgentResult).run_id;

      for (const runId of [restRun.run_id, String(wsFrames[0].run_id)]) {
        await expect(await u1.api.get(`/api/agents/runs/${runId}`), `U1 reads its run ${runId}`).toMatchContract(
          'GET /api/agents/runs/{run_id}',
          200,
          { run_id: runId },
        );
        await expect(await u2.api.get(`/api/agents/runs/${runId}`), `U2 reads U1's run ${runId}`).toMatchContract(
          'GET /api/agents/runs/{run_id}',
          403,
        );
      }
      const list = await u2.api.get('/api/agents/runs');
      await expect(list, "U2's run list").toMatchContract('GET /api/agents/runs', 200);
      // The contract gives a run's record no moment to appear: polled like any stored effect of a run.
      await expect
        .poll(async () => ((await (await u2.api.get('/api/agents/runs')).json()).runs as { run_id: string }[]).map((r) => r.run_id), {
          message: "U2's run list holds only U2's run",
          timeout: settings.settleMs,
        })
        .toEqual([ownRunId]);
    },
  );

  test(
    'test_auth_27_cors_allow_list',
    catalog({
      checks:
        'A preflight from STAGING_CORS_ORIGIN gets access-control-allow-origin echoing it; preflights from another origin, ' +
        'null, the allowed origin plus .evil.example and the allowed origin over the other scheme, and a GET /health from ' +
        'another origin, get no access-control-allow-origin.',
      catches: 'lax allow-list',
    }),
    async ({ request, settings }) => {
      expect(
        settings.corsOrigin,
        'STAGING_CORS_ORIGIN names an origin the target allows (embedded server: http://localhost:3000)',
      ).toBeDefined();
      const allowed = settings.corsOrigin ?? '';
      const { protocol, host } = new URL(allowed);
      const otherScheme = `${{ 'http:': 'https:', 'https:': 'http:' }[protocol as 'http:' | 'https:']}//${host}`;
      const preflight = async (origin: string) =>
        (
          await request.fetch('/api/threads', { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' } })
        ).headers()['access-control-allow-origin'];
      const observed = {
        [`preflight ${allowed}`]: await preflight(allowed),
        [`preflight ${EVIL_ORIGIN}`]: await preflight(EVIL_ORIGIN),
        'preflight null': await preflight('null'),
        [`preflight ${allowed}.evil.example`]: await preflight(`${allowed}.evil.example`),
        [`preflight ${otherScheme}`]: await preflight(otherScheme),
        [`GET /health from ${EVIL_ORIGIN}`]: (await request.get('/health', { headers: { Origin: EVIL_ORIGIN } })).headers()[
          'access-control-allow-origin'
        ],
      };
      // One header per request, all shown in one diff when any is wrong.
      expect(observed, 'access-control-allow-origin per request').toMatchObject({
        [`preflight ${allowed}`]: allowed,
        [`preflight ${EVIL_ORIGIN}`]: undefined,
        'preflight null': undefined,
        [`preflight ${allowed}.evil.example`]: undefined,
        [`preflight ${otherScheme}`]: undefined,
        [`GET /health from ${EVIL_ORIGIN}`]: undefined,
      });
    },
  );

  test(
    'test_auth_28_security_headers',
    catalog({
      checks:
        'Backend answers of every kind (200, 401, 403, 404, 405 and 422) each carry x-content-type-options: nosniff and a ' +
        'non-empty x-request-id.',
      catches: 'success-only headers',
    }),
    async ({ request, api }) => {
      const cases = [
        { what: 'GET /health', status: 200, response: await request.get('/health') },
        {
          what: 'GET /api/threads, garbage token',
          status: 401,
          response: await request.get('/api/threads', { headers: { Authorization: `Bearer garbage-${randomUUID()}` } }),
        },
        { what: 'GET /api/threads, no token', status: 403, response: await request.get('/api/threads') },
        { what: 'GET unknown route', status: 404, response: await request.get(`/api/no-such-route-${randomUUID()}`) },
        { what: 'DELETE /api/discovery/services', status: 405, response: await request.delete('/api/discovery/services') },
        { what: 'GET /api/threads?limit=0', status: 422, response: await api.get('/api/threads?limit=0') },
      ];
      // The test's own projection (status and two headers per answer), compared whole.
      const observed = cases.map(({ what, response }) => ({
        what,
        status: response.status(),
        nosniff: response.headers()['x-content-type-options'],
        requestId: response.headers()['x-request-id'],
      }));
      expect(observed).toEqual(
        cases.map(({ what, status }) => ({ what, status, nosniff: 'nosniff', requestId: expect.stringMatching(/\S/) })),
      );
    },
  );

  test(
    'test_auth_29_connection_limit',
    catalog({
      checks:
        'With max_connections_per_user (10) sockets of the user open, an 11th upgrade is accepted, sent error_message ' +
        'CONNECTION_LIMIT and closed with 1008, and the first ten still answer ping.',
      catches: 'no per-user cap',
    }),
    async ({ request, sockets, settings, user }) => {
      const config = await request.get('/ws/config');
      await expect(config).toMatchContract('GET /ws/config', 200);
      const limit = (await config.json()).websocket_config.max_connections_per_user as number;
      const open = await Promise.all(Array.from({ length: limit }, () => sockets.open(user)));
      const extra = await sockets.upgrade({ user });
      const nth = `connection ${open.length + 1}`;
      expect(extra.status, `${nth}: the upgrade is accepted`).toBe(101);
      // Whether a welcome comes first is the target's choice; the error and the close are the contract's.
      const error = await extra.socket!.waitFor('error_message', { timeout: settings.wsHandshakeMs });
      await expect(error, `${nth}: told why`).toMatchContract({ type: 'error_message', error_code: 'CONNECTION_LIMIT' });
      expect(await extra.socket!.closedWithin(settings.wsHandshakeMs), `${nth}: closed by the server`).toMatchObject({ code: 1008 });
      for (const socket of open) await expect(socket).toAnswerPing();
    },
  );

  test(
    'test_auth_30_oversized_frame',
    catalog({
      checks:
        'A frame of an unknown type padded to max_message_size − 64 bytes is acknowledged; a frame of max_message_size + 1 ' +
        'bytes closes the socket with 1009.',
      catches: 'unbounded frames',
    }),
    async ({ request, sockets, settings, user }) => {
      const config = await request.get('/ws/config');
      await expect(config).toMatchContract('GET /ws/config', 200);
      const max = (await config.json()).websocket_config.max_message_size as number;
      const socket = await sockets.open(user);
      const type = `size_probe_${randomUUID().slice(0, 8)}`;
      const padded = (bytes: number) =>
        JSON.stringify({ type, pad: 'x'.repeat(bytes - Buffer.byteLength(JSON.stringify({ type, pad: '' }))) });

      const from = socket.frames.length;
      await socket.sendRaw(padded(max - 64), type);
      const ack = await socket.waitFor((f) => f.type === 'ack' && f.received_type === type, {
        from,
        what: `ack of the ${max - 64}-byte ${type} frame`,
      });
      await expect(ack).toMatchContract({ type: 'ack', received_type: type, status: 'acknowledged' });

      const sent = socket.frames.length;
      await socket.sendRaw(padded(max + 1), type);
      const closed = await Promise.race([socket.closed, new Promise<undefined>((resolve) => setTimeout(resolve, settings.firstEventMs))]);
      const after = socket.frames.slice(sent).map((f) => f.type);
      expect(
        closed?.code ?? `still open after FIRST_EVENT_MS, answered [${after.join(', ')}]`,
        `a ${max + 1}-byte frame (max_message_size ${max} + 1) closes the socket`,
      ).toBe(1009);
    },
  );

  test(
    'test_auth_31_register_login_validation',
    catalog({
      checks:
        'Registering gives a Bearer pair of 900 s for the new user with its email and name; registering the same email ' +
        'again is 409; a bad email, a 7-character password and no password are 422; logging in with a wrong password or ' +
        'an unknown email is 401 "Invalid credentials", without a password 422, and with the right one returns the same user.',
      catches: 'account checks',
    }),
    async ({ request, settings, users }) => {
      const auth = (path: string, data: Record<string, unknown>) => request.post(`${settings.authUrl}/auth/${path}`, { data });
      const email = `e2e-auth31-${randomUUID().slice(0, 12)}@staging.test`;
      const password = `pw-${randomUUID()}`;

      const registered = await auth('register', { email, password, name: 'Auth 31' });
      await expect(registered, 'register').toMatchContract('POST /auth/register', 200, {
        access_token: expect.stringMatching(/\S/),
        refresh_token: expect.stringMatching(/\S/),
        user: { id: expect.stringMatching(/\S/), email, name: 'Auth 31' },
      });
      const pair = (await registered.json()) as TokenPair;
      users.track(pair);
      await expect(await auth('register', { email, password: `pw-${randomUUID()}` }), 'register the same email again').toMatchContract(
        'POST /auth/register',
        409,
      );
      await expect(await auth('register', { email: 'not-an-email', password }), 'register with a bad email').toMatchContract(
        'POST /auth/register',
        422,
      );
      await expect(
        await auth('register', { email: `e2e-auth31-${randomUUID().slice(0, 12)}@staging.test`, password: 'short77' }),
        'register with a 7-char password',
      ).toMatchContract('POST /auth/register', 422);
      await expect(
        await auth('register', { email: `e2e-auth31-${randomUUID().slice(0, 12)}@staging.test` }),
        'register without a password',
      ).toMatchContract('POST /auth/register', 422);

      await expect(await auth('login', { email, password: `${password}-wrong` }), 'login with a bad password').toMatchContract(
        'POST /auth/login',
        401,
        { detail: 'Invalid credentials' },
      );
      await expect(
        await auth('login', { email: `e2e-auth31-${randomUUID().slice(0, 12)}@staging.test`, password }),
        'login with an unknown email',
      ).toMatchContract('POST /auth/login', 401, { detail: 'Invalid credentials' });
      await expect(await auth('login', { email }), 'login without a password').toMatchContract('POST /auth/login', 422);
      const login = await auth('login', { email, password });
      await expect(login, 'control: login with the right password returns the registered user').toMatchContract('POST /auth/login', 200, {
        user: { id: pair.user.id },
      });
      users.track((await login.json()) as TokenPair);
    },
  );
});
