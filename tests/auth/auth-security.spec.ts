import { randomUUID } from 'node:crypto';
import { test, expect, type AgentResult, type Message, type Thread, type TokenPair } from '../../fixtures';
import { catalog, category } from '../catalog';
import { ISO_UTC } from '../../fixtures/client/contract';
import { ok } from '../../fixtures/client/test-user';
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
import { shapes } from '../../fixtures/shapes';

const INVALID_TOKEN = 'Invalid or expired token';
const NOT_AUTHENTICATED = 'Not authenticated';
/** suites.md auth_05/auth_20: exp = now − 120 s, well past the contract's 30 s clock-skew tolerance. */
const EXPIRED_FOR_S = 120;
/** Headers that look like test switches (contract §1); they must not relax any check. */
const TEST_HEADERS = { 'X-Test-Mode': 'true', 'X-Test-Type': 'e2e', 'X-E2E-Test': 'true', 'X-Test-Environment': 'staging' };
const EVIL_ORIGIN = 'https://evil.example';
/** suites.md auth_22: a ticket with the smallest ttl the contract allows, used 2 s after it expired. */
const SHORT_TICKET_TTL_S = 30;
/** suites.md auth_23: the ttl asked for a ticket that is then used twice. */
const TICKET_TTL_S = 60;
const AFTER_EXPIRY_MS = 2000;

const { title, details } = category('auth');

test.describe(title, details, () => {
  test(
    'test_auth_01_token_claims',
    catalog({
      checks:
        "decode U's pair → alg HS256; sub = user.id, email, permissions[], int iat/exp, jti, iss netra-auth-service, aud netra-platform, token_type, env = STAGING_ENVIRONMENT",
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
          permissions: user.pair.user.permissions,
          jti: shapes.nonEmpty(),
          iss: 'netra-auth-service',
          aud: 'netra-platform',
          token_type: type,
          env: settings.environment,
        });
        expect(
          user.pair.user.permissions.every((p) => typeof p === 'string'),
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
    catalog({ checks: "U's claims, alg none, no signature → REST 401IE; validate invalid_token; upgrade 403", catches: 'alg none' }),
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
    catalog({ checks: 'signed HS512 with the right secret → 401IE; invalid_token; 403', catches: 'alg not pinned' }),
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
    catalog({ checks: 'signed with a random 48-char secret → 401IE; invalid_token; 403', catches: 'forged signature' }),
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
    catalog({ checks: 'exp = now − 120 s → 401IE; expired_token; 403', catches: 'expiry ignored' }),
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
    catalog({ checks: 'iss other-issuer → 401IE; valid false; 403', catches: 'iss unchecked' }),
    async ({ settings, user, tryToken }) => {
      test.skip(!settings.jwtSecret, 'JWT_SECRET_KEY not provided');
      const token = await signToken({ ...contractClaims(user, 'access', settings.environment), iss: 'other-issuer' }, settings.jwtSecret!);
      // Contract §2: validate reports a wrong iss as invalid_token.
      expect(await tryToken(token)).toBeRejectedEverywhere({ validateError: 'invalid_token', what: "U's claims with iss other-issuer" });
    },
  );

  test(
    'test_auth_07_wrong_audience_rejected',
    catalog({ checks: 'aud other-platform → 401IE; valid false; 403', catches: 'aud unchecked' }),
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
    catalog({ checks: '4 tokens, each lacking one of sub, iat, exp, jti → 401IE each', catches: 'optional claims' }),
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
    catalog({ checks: 'refresh token: Bearer; validate; upgrade → 401IE; wrong_token_type; 403', catches: 'type unchecked' }),
    async ({ user, tryToken }) => {
      expect(await tryToken(user.refreshToken)).toBeRejectedEverywhere({
        validateError: 'wrong_token_type',
        what: "U's refresh token used as access token",
      });
    },
  );

  test(
    'test_auth_10_refresh_single_use',
    catalog({ checks: 'refresh R; R again; new R′ → 200; 401; 200', catches: 'replay' }),
    async ({ request, settings, users, user }) => {
      const refresh = (token: string) => request.post(`${settings.authUrl}/auth/refresh`, { data: { refresh_token: token } });
      const first = await refresh(user.refreshToken);
      expect(first.status(), 'refresh with R').toBe(200);
      const pair = (await first.json()) as TokenPair;
      users.track(pair);
      expect(pair, 'the new pair is U').toMatchObject({ token_type: 'Bearer', user: { id: user.id } });
      expect(pair.refresh_token, 'a new refresh token R′').not.toBe(user.refreshToken);
      await expect(await refresh(user.refreshToken), 'R again (spent)').toBeContractError(401);
      const second = await refresh(pair.refresh_token);
      expect(second.status(), 'refresh with R′').toBe(200);
      users.track((await second.json()) as TokenPair);
    },
  );

  test(
    'test_auth_11_refresh_input_validation',
    catalog({ checks: 'refresh with access token; garbage; {} → 401; 401; 422', catches: 'wrong token taken' }),
    async ({ request, settings, user }) => {
      const url = `${settings.authUrl}/auth/refresh`;
      await expect(
        await request.post(url, { data: { refresh_token: user.accessToken } }),
        'refresh with an access token',
      ).toBeContractError(401);
      await expect(
        await request.post(url, { data: { refresh_token: `garbage-${randomUUID()}` } }),
        'refresh with garbage',
      ).toBeContractError(401);
      await expect(await request.post(url, { data: {} }), 'refresh with {}').toBeContractError(422);
    },
  );

  test(
    'test_auth_12_logout_revocation',
    catalog({
      checks: 'logout; reuse: REST, /auth/me, validate, upgrade, logout → {"status":"success"}; 401IE; 401; revoked_token; 403; 401',
      catches: 'no revocation',
    }),
    async ({ request, settings, user, tryToken }) => {
      const bearer = { Authorization: `Bearer ${user.accessToken}` };
      const logout = await request.post(`${settings.authUrl}/auth/logout`, { headers: bearer });
      expect(logout.status(), 'logout').toBe(200);
      expect(await logout.json()).toEqual({ status: 'success' });
      expect(await tryToken(user.accessToken)).toBeRejectedEverywhere({
        validateError: 'revoked_token',
        what: "U's logged-out access token",
      });
      await expect(
        await request.get(`${settings.authUrl}/auth/me`, { headers: bearer }),
        '/auth/me with the logged-out token',
      ).toBeContractError(401);
      await expect(await request.post(`${settings.authUrl}/auth/logout`, { headers: bearer }), 'logout again').toBeContractError(401);
    },
  );

  test(
    'test_auth_13_logout_scope',
    catalog({ checks: '2 pairs for U; log out the first; logout without token → second still 200; 401', catches: 'over-broad logout' }),
    async ({ request, settings, users }) => {
      const user = await users.create({ via: 'register' });
      const login = await request.post(`${settings.authUrl}/auth/login`, { data: { email: user.email, password: user.password } });
      expect(login.status(), 'a second login of U').toBe(200);
      const second = (await login.json()) as TokenPair;
      users.track(second);
      const logout = await request.post(`${settings.authUrl}/auth/logout`, { headers: { Authorization: `Bearer ${user.accessToken}` } });
      expect(logout.status(), 'logout of the first pair').toBe(200);
      await expect(await user.api.get('/api/threads'), 'the first pair is logged out').toBeContractError(401, INVALID_TOKEN);
      const api = await users.contextFor(second.access_token);
      expect((await api.get('/api/threads')).status(), 'the second pair still works on REST').toBe(200);
      const me = await api.get(`${settings.authUrl}/auth/me`);
      expect(me.status(), 'the second pair still works on /auth/me').toBe(200);
      expect((await me.json()).user_id).toBe(user.id);
      await expect(await request.post(`${settings.authUrl}/auth/logout`), 'logout without a token').toBeContractError(401);
    },
  );

  test(
    'test_auth_14_validate_contract',
    catalog({
      checks:
        "validate {}, garbage, U's token → all 200: missing_token; invalid_token; valid, user_id, email, permissions, expires_at = exp",
      catches: 'validate shape',
    }),
    async ({ request, settings, user }) => {
      const validate = (data: Record<string, unknown>) => request.post(`${settings.authUrl}/auth/validate`, { data });
      const empty = await validate({});
      expect(empty.status(), 'validate {}').toBe(200);
      expect(await empty.json()).toEqual({ valid: false, error: 'missing_token' });
      const garbage = await validate({ token: `garbage-${randomUUID()}` });
      expect(garbage.status(), 'validate garbage').toBe(200);
      expect(await garbage.json()).toEqual({ valid: false, error: 'invalid_token' });
      const valid = await validate({ token: user.accessToken });
      expect(valid.status(), "validate U's token").toBe(200);
      const verdict = await valid.json();
      expect(verdict).toEqual({
        valid: true,
        user_id: user.id,
        email: user.email,
        permissions: user.permissions,
        expires_at: expect.stringMatching(ISO_UTC),
      });
      expect(Date.parse(verdict.expires_at) / 1000, 'expires_at is the token exp').toBe(decodeToken(user.accessToken).claims.exp);
    },
  );

  test(
    'test_auth_15_me_contract',
    catalog({ checks: "/auth/me: A(U), none, garbage → 200 fields = token's; 401; 401", catches: 'me shape' }),
    async ({ request, settings, user }) => {
      const { claims } = decodeToken(user.accessToken);
      const me = await user.api.get(`${settings.authUrl}/auth/me`);
      expect(me.status(), '/auth/me with A(U)').toBe(200);
      const profile = await me.json();
      expect(profile).toMatchObject({
        user_id: claims.sub,
        email: claims.email,
        permissions: claims.permissions,
        token_expires_at: expect.stringMatching(ISO_UTC),
      });
      expect(Date.parse(profile.token_expires_at) / 1000, 'token_expires_at is the token exp').toBe(claims.exp);
      await expect(await request.get(`${settings.authUrl}/auth/me`), '/auth/me without a token').toBeContractError(401);
      await expect(
        await request.get(`${settings.authUrl}/auth/me`, { headers: { Authorization: `Bearer garbage-${randomUUID()}` } }),
        '/auth/me with garbage',
      ).toBeContractError(401);
    },
  );

  test(
    'test_auth_16_bypass_key_handling',
    catalog({
      checks:
        'test-auth: no key; wrong key; key + {}; key + {email, permissions} → 401 × 2 (503 only if the harness has no key); id e2e-e2e-user with defaults; id `e2e-<local>`, sent permissions',
      catches: 'open bypass',
    }),
    async ({ request, settings, users }) => {
      expect(settings.bypassKey, 'E2E_OAUTH_SIMULATION_KEY is configured (the embedded server always has one)').toBeDefined();
      const testAuth = (headers: Record<string, string>, data: Record<string, unknown>) =>
        request.post(`${settings.authUrl}/auth/e2e/test-auth`, { headers, data });
      await expect(await testAuth({}, {}), 'test-auth without X-E2E-Bypass-Key').toBeContractError(401);
      await expect(await testAuth({ 'X-E2E-Bypass-Key': randomSecret(24) }, {}), 'test-auth with a wrong key').toBeContractError(401);
      const key = { 'X-E2E-Bypass-Key': settings.bypassKey ?? '' };

      const defaults = await testAuth(key, {});
      expect(defaults.status(), 'test-auth with the key and {}').toBe(200);
      const defaultPair = (await defaults.json()) as TokenPair;
      users.track(defaultPair);
      expect(defaultPair.user).toMatchObject({
        id: 'e2e-e2e-user',
        email: 'e2e-user@staging.test',
        permissions: ['read', 'write', 'chat', 'agent:execute'],
      });

      const local = `e2e-auth16-${randomUUID().slice(0, 12)}`;
      const permissions = ['read', `audit:${randomUUID().slice(0, 8)}`];
      const chosen = await testAuth(key, { email: `${local}@staging.test`, permissions });
      expect(chosen.status(), 'test-auth with the key, an email and permissions').toBe(200);
      const pair = (await chosen.json()) as TokenPair;
      users.track(pair);
      expect(pair.user).toMatchObject({ id: `e2e-${local}`, email: `${local}@staging.test`, permissions });
      expect(decodeToken(pair.access_token).claims, 'the access token carries the sent permissions').toMatchObject({
        sub: `e2e-${local}`,
        permissions,
      });
    },
  );

  test(
    'test_auth_17_bypass_key_not_credential',
    catalog({ checks: 'X-E2E-Bypass-Key on a protected route; key as Bearer → 403NA; 401IE', catches: 'key as login' }),
    async ({ request, settings }) => {
      expect(settings.bypassKey, 'E2E_OAUTH_SIMULATION_KEY is configured (the embedded server always has one)').toBeDefined();
      const key = settings.bypassKey ?? '';
      await expect(
        await request.get('/api/threads', { headers: { 'X-E2E-Bypass-Key': key } }),
        'X-E2E-Bypass-Key on a protected route',
      ).toBeContractError(403, NOT_AUTHENTICATED);
      await expect(
        await request.get('/api/threads', { headers: { Authorization: `Bearer ${key}` } }),
        'the bypass key as Bearer',
      ).toBeContractError(401, INVALID_TOKEN);
    },
  );

  test(
    'test_auth_18_test_headers_rest',
    catalog({
      checks: 'X-Test-Mode, X-Test-Type, X-E2E-Test, X-Test-Environment: no token; forged → 403NA; 401IE',
      catches: 'REST header bypass',
    }),
    async ({ request, settings, user }) => {
      const forged = await signToken(contractClaims(user, 'access', settings.environment), randomSecret());
      await expect(await request.get('/api/threads', { headers: TEST_HEADERS }), 'test headers, no token').toBeContractError(
        403,
        NOT_AUTHENTICATED,
      );
      await expect(
        await request.get('/api/threads', { headers: { ...TEST_HEADERS, Authorization: `Bearer ${forged}` } }),
        'test headers, forged token',
      ).toBeContractError(401, INVALID_TOKEN);
    },
  );

  test(
    'test_auth_19_test_headers_ws',
    catalog({ checks: 'same headers on upgrade: no token; forged; e2e-testing subprotocol only → 403 each', catches: 'WS header bypass' }),
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
    catalog({ checks: 'Authorization: garbage, revoked, refresh, expired (S) → 403 each', catches: 'lax header path' }),
    async ({ request, sockets, settings, user }) => {
      expect((await sockets.upgrade({ headers: { Authorization: `garbage-${randomUUID()}` } })).status, 'Authorization: garbage').toBe(403);
      expect((await sockets.upgrade({ token: `garbage-${randomUUID()}` })).status, 'Authorization: Bearer garbage').toBe(403);
      expect((await sockets.upgrade({ token: user.refreshToken })).status, "Bearer U's refresh token").toBe(403);
      const logout = await request.post(`${settings.authUrl}/auth/logout`, { headers: { Authorization: `Bearer ${user.accessToken}` } });
      expect(logout.status(), 'logout of U').toBe(200);
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
      checks: 'jwt. + b64 garbage, b64 revoked, raw refresh; control raw valid → 403 × 3; control opens',
      catches: 'lax subprotocol',
    }),
    async ({ request, sockets, settings, users, user }) => {
      const revoked = await users.create();
      const logout = await request.post(`${settings.authUrl}/auth/logout`, { headers: { Authorization: `Bearer ${revoked.accessToken}` } });
      expect(logout.status(), 'logout of the second user').toBe(200);
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
    catalog({ checks: 'ticket unknown; ttl 30 ticket used 2 s after expires_at → 403; 403', catches: 'lax tickets' }),
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
        'ticket {ttl_seconds:60}; its websocket_url; reuse; ticket without auth → expires_at = now + 60 ± CLOCK_SKEW_S; opens; 403; 403NA',
      catches: 'ticket replay',
    }),
    async ({ request, sockets, settings, api, user }) => {
      const issued = await api.post('/api/websocket/ticket', { data: { ttl_seconds: TICKET_TTL_S } });
      expect(issued.status(), `ticket {ttl_seconds: ${TICKET_TTL_S}}`).toBe(200);
      const ticket = (await issued.json()) as { ticket_id: string; expires_at: string; websocket_url: string };
      expect(ticket).toMatchObject({
        ticket_id: shapes.nonEmpty(),
        expires_at: expect.stringMatching(ISO_UTC),
        websocket_url: expect.stringMatching(/^wss?:\/\//),
      });
      expect(
        Math.abs(Date.parse(ticket.expires_at) - (Date.now() + TICKET_TTL_S * 1000)),
        `expires_at is now + ${TICKET_TTL_S} s ± CLOCK_SKEW_S`,
      ).toBeLessThanOrEqual(settings.clockSkewS * 1000);
      const socket = await sockets.open(user, { transport: 'none', url: ticket.websocket_url });
      await expect(socket).toAnswerPing();
      expect((await sockets.upgrade({ url: ticket.websocket_url })).status, 'the same websocket_url again (ticket spent)').toBe(403);
      await expect(
        await request.post('/api/websocket/ticket', { data: { ttl_seconds: TICKET_TTL_S } }),
        'ticket without auth',
      ).toBeContractError(403, NOT_AUTHENTICATED);
    },
  );

  test(
    'test_auth_24_ws_query_token_ignored',
    catalog({ checks: '`?token=<valid access>` only → 403', catches: 'extra transport' }),
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
        'U2 on U1\'s T: GET, PUT, DELETE, messages GET/POST; history; say → 403 "Access denied" × 5; ERR(THREAD_ACCESS_DENIED) × 2, quiet; T unchanged',
      catches: 'thread ACL',
    }),
    async ({ sockets, users }) => {
      const [u1, u2] = await Promise.all([users.create(), users.create()]);
      const thread = await u1.createThread({ title: 'U1 private thread' });
      await u1.postMessage(thread.id, `private note ${randomUUID()}`);
      const before = {
        thread: await ok<Thread>(await u1.api.get(`/api/threads/${thread.id}`), 'read T'),
        messages: (await u1.messages(thread.id)).messages,
      };

      const attempts = {
        'GET T': await u2.api.get(`/api/threads/${thread.id}`),
        'PUT T': await u2.api.put(`/api/threads/${thread.id}`, { data: { title: 'taken over' } }),
        'DELETE T': await u2.api.delete(`/api/threads/${thread.id}`),
        'GET messages': await u2.api.get(`/api/threads/${thread.id}/messages`),
        'POST messages': await u2.api.post(`/api/threads/${thread.id}/messages`, { data: { message: 'intrusion' } }),
      };
      for (const [what, response] of Object.entries(attempts))
        await expect(response, `U2: ${what} of U1's thread`).toBeContractError(403, 'Access denied');

      const socket = await sockets.open(u2);
      expect(await socket.threadHistory(thread.id), "U2: history of U1's thread").toBeErrorFrame('THREAD_ACCESS_DENIED');
      const say = { type: 'user_message', content: uniqueRequest("Summarise this thread's cost"), thread_id: thread.id };
      expect(await socket.sendExpectingError(say), "U2: say on U1's thread").toBeErrorFrame('THREAD_ACCESS_DENIED');
      await expect(socket).toStayQuiet({ match: (f) => f.type !== 'heartbeat' });

      expect(await ok<Thread>(await u1.api.get(`/api/threads/${thread.id}`), 'read T'), 'T is unchanged').toEqual(before.thread);
      expect((await u1.messages(thread.id)).messages as Message[], "T's messages are unchanged").toEqual(before.messages);
    },
  );

  test(
    'test_auth_26_cross_user_runs',
    catalog({ checks: 'U1 runs; U2 runs/{id}, runs list → 403; absent', catches: 'run ACL' }),
    async ({ sockets, users }) => {
      const [u1, u2] = await Promise.all([users.create(), users.create()]);
      const restRun = await ok<AgentResult>(
        await u1.api.post('/api/agents/execute', {
          data: { type: 'triage', message: uniqueRequest('Classify this confidential request') },
        }),
        'run triage over REST',
      );
      const socket = await sockets.open(u1);
      const wsFrames = await (await socket.startAgent('triage', uniqueRequest('Classify this other confidential request'))).finished();
      const own = await ok<AgentResult>(
        await u2.api.post('/api/agents/execute', { data: { type: 'triage', message: uniqueRequest('Classify my own request') } }),
        'U2 runs triage',
      );
      const u1Runs = [restRun.run_id, String(wsFrames[0].run_id)];

      for (const runId of u1Runs) {
        expect((await u1.api.get(`/api/agents/runs/${runId}`)).status(), `U1 reads its run ${runId}`).toBe(200);
        await expect(await u2.api.get(`/api/agents/runs/${runId}`), `U2 reads U1's run ${runId}`).toBeContractError(403);
      }
      const list = await u2.api.get('/api/agents/runs');
      expect(list.status()).toBe(200);
      const listed = ((await list.json()).runs as { run_id: string }[]).map((r) => r.run_id);
      expect(listed, "U2's run list holds only U2's run").toEqual([own.run_id]);
    },
  );

  test(
    'test_auth_27_cors_allow_list',
    catalog({
      checks:
        'preflight: STAGING_CORS_ORIGIN; evil; null; allowed + .evil.example; allowed via http; evil simple GET → first echoed; rest lack access-control-allow-origin (allowed-origin cases need STAGING_CORS_ORIGIN)',
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
      expect(observed, 'access-control-allow-origin per request').toEqual({
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
    catalog({ checks: 'backend answers 200, 401, 403, 404, 405, 422 → each nosniff and x-request-id', catches: 'success-only headers' }),
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
      const observed = cases.map(({ what, response }) => ({
        what,
        status: response.status(),
        nosniff: response.headers()['x-content-type-options'],
        requestId: response.headers()['x-request-id'],
      }));
      expect(observed).toEqual(cases.map(({ what, status }) => ({ what, status, nosniff: 'nosniff', requestId: shapes.nonEmpty() })));
    },
  );

  test(
    'test_auth_29_connection_limit',
    catalog({
      checks: '10 sockets for U; 11th → 10 open; 11th accepted, ERR(CONNECTION_LIMIT), close 1008; 10 still pong',
      catches: 'no per-user cap',
    }),
    async ({ request, sockets, settings, user }) => {
      const config = await request.get('/ws/config');
      expect(config.status()).toBe(200);
      const { websocket_config: ws } = await config.json();
      expect(ws).toMatchObject(shapes.wsConfig().websocket_config);
      const open = await Promise.all(Array.from({ length: ws.max_connections_per_user as number }, () => sockets.open(user)));
      const extra = await sockets.upgrade({ user });
      const nth = `connection ${open.length + 1}`;
      expect(extra.status, `${nth}: the upgrade is accepted`).toBe(101);
      // Whether a welcome comes first is the target's choice; the error and the close are the contract's.
      const error = await extra.socket!.waitFor('error_message', { timeout: settings.wsHandshakeMs });
      expect(error, `${nth}: told why`).toBeErrorFrame('CONNECTION_LIMIT');
      expect(await extra.socket!.closedWithin(settings.wsHandshakeMs), `${nth}: closed by the server`).toMatchObject({ code: 1008 });
      for (const socket of open) await expect(socket).toAnswerPing();
    },
  );

  test(
    'test_auth_30_oversized_frame',
    catalog({
      checks: 'unknown-type JSON padded to max_message_size − 64 bytes; a max + 1 byte frame → ack; close 1009',
      catches: 'unbounded frames',
    }),
    async ({ request, sockets, settings, user }) => {
      const config = await request.get('/ws/config');
      expect(config.status()).toBe(200);
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
      expect(ack).toMatchObject({ received_type: type, status: 'acknowledged' });

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
        'register; again; bad email; 7-char password; no password; login: bad password, unknown email, no field → 200; 409; 422 × 3; 401 "Invalid credentials" × 2; 422',
      catches: 'account checks',
    }),
    async ({ request, settings, users }) => {
      const auth = (path: string, data: Record<string, unknown>) => request.post(`${settings.authUrl}/auth/${path}`, { data });
      const email = `e2e-auth31-${randomUUID().slice(0, 12)}@staging.test`;
      const password = `pw-${randomUUID()}`;

      const registered = await auth('register', { email, password, name: 'Auth 31' });
      expect(registered.status(), 'register').toBe(200);
      const pair = (await registered.json()) as TokenPair;
      users.track(pair);
      expect(pair).toMatchObject({
        access_token: shapes.nonEmpty(),
        refresh_token: shapes.nonEmpty(),
        token_type: 'Bearer',
        expires_in: 900,
        user: { id: shapes.nonEmpty(), email, name: 'Auth 31', permissions: expect.any(Array) },
      });
      await expect(await auth('register', { email, password: `pw-${randomUUID()}` }), 'register the same email again').toBeContractError(
        409,
      );
      await expect(await auth('register', { email: 'not-an-email', password }), 'register with a bad email').toBeContractError(422);
      await expect(
        await auth('register', { email: `e2e-auth31-${randomUUID().slice(0, 12)}@staging.test`, password: 'short77' }),
        'register with a 7-char password',
      ).toBeContractError(422);
      await expect(
        await auth('register', { email: `e2e-auth31-${randomUUID().slice(0, 12)}@staging.test` }),
        'register without a password',
      ).toBeContractError(422);

      await expect(await auth('login', { email, password: `${password}-wrong` }), 'login with a bad password').toBeContractError(
        401,
        'Invalid credentials',
      );
      await expect(
        await auth('login', { email: `e2e-auth31-${randomUUID().slice(0, 12)}@staging.test`, password }),
        'login with an unknown email',
      ).toBeContractError(401, 'Invalid credentials');
      await expect(await auth('login', { email }), 'login without a password').toBeContractError(422);
      const login = await auth('login', { email, password });
      expect(login.status(), 'control: login with the right password').toBe(200);
      const loggedIn = (await login.json()) as TokenPair;
      users.track(loggedIn);
      expect(loggedIn.user.id, 'login returns the registered user').toBe(pair.user.id);
    },
  );
});
