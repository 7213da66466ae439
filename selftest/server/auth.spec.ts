/** Contract §1 (tokens) and §2 (auth service) against the reference server. */
import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { decodeToken, subprotocolFor, unsignedToken, withClaims } from '../../fixtures/client/tokens';
import { BYPASS_KEY, call, mint, newUser, startTestServer, uniqueEmail, upgrade, type ServerUser, serverForThisFile } from './helpers';

const srv = serverForThisFile();

const IE = { detail: 'Invalid or expired token' };
const NA = { detail: 'Not authenticated' };

test.describe('§2 /auth/e2e/test-auth', () => {
  test('issues a TokenPair whose tokens carry the §1 claims and lifetimes', async () => {
    const r = await call(srv.url, 'POST', '/auth/e2e/test-auth', { headers: { 'x-e2e-bypass-key': BYPASS_KEY }, json: {} });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 900,
      user: { id: 'e2e-e2e-user', email: 'e2e-user@staging.test', permissions: ['read', 'write', 'chat', 'agent:execute'] },
    });
    const { header, claims: access } = decodeToken(r.body.access_token);
    expect(header.alg).toBe('HS256');
    const refresh = decodeToken(r.body.refresh_token).claims;
    expect(access).toMatchObject({
      sub: 'e2e-e2e-user',
      email: 'e2e-user@staging.test',
      permissions: ['read', 'write', 'chat', 'agent:execute'],
      iss: 'netra-auth-service',
      aud: 'netra-platform',
      token_type: 'access',
      env: 'staging',
    });
    expect(Number(access.exp) - Number(access.iat)).toBe(900);
    expect(refresh.token_type).toBe('refresh');
    expect(Number(refresh.exp) - Number(refresh.iat)).toBe(604_800);
    expect(access.jti).not.toEqual(refresh.jti);
    expect(Math.abs(Number(access.iat) - Date.now() / 1000)).toBeLessThan(5);
  });

  test('a new email makes e2e-<local part> with the sent permissions; a known email returns that user', async () => {
    const email = uniqueEmail('perm');
    const first = await newUser(srv.url, { email, permissions: ['read'], name: 'Perm Tester' });
    expect(first.id).toBe(`e2e-${email.split('@')[0]}`);
    expect(decodeToken(first.access).claims.permissions).toEqual(['read']);
    const again = await call(srv.url, 'POST', '/auth/e2e/test-auth', { headers: { 'x-e2e-bypass-key': BYPASS_KEY }, json: { email } });
    expect(again.body.user).toEqual({ id: first.id, email, name: 'Perm Tester', permissions: ['read'] });
  });

  test('a second email with the same local part is refused rather than sharing the id', async () => {
    const local = `twin-${randomBytes(4).toString('hex')}`;
    await newUser(srv.url, { email: `${local}@one.test` });
    const r = await call(srv.url, 'POST', '/auth/e2e/test-auth', {
      headers: { 'x-e2e-bypass-key': BYPASS_KEY },
      json: { email: `${local}@two.test` },
    });
    expect(r.status).toBe(409);
    expect(r.body.detail).toEqual(expect.any(String));
  });

  test('key missing or wrong 401; bad body 422; no key configured 503; production 403', async () => {
    expect((await call(srv.url, 'POST', '/auth/e2e/test-auth', { json: {} })).status).toBe(401);
    const wrong = await call(srv.url, 'POST', '/auth/e2e/test-auth', { headers: { 'x-e2e-bypass-key': 'nope' }, json: {} });
    expect(wrong.status).toBe(401);
    expect(wrong.body.detail).toEqual(expect.any(String));
    const bad = await call(srv.url, 'POST', '/auth/e2e/test-auth', {
      headers: { 'x-e2e-bypass-key': BYPASS_KEY },
      json: { email: 'not-an-email', permissions: 'all' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toHaveLength(2);

    const noKey = await startTestServer({ bypassKey: undefined });
    const prod = await startTestServer({ environment: 'production' });
    try {
      const r503 = await call(noKey.url, 'POST', '/auth/e2e/test-auth', { headers: { 'x-e2e-bypass-key': BYPASS_KEY }, json: {} });
      expect(r503.status).toBe(503);
      expect(r503.body.detail).toEqual(expect.any(String));
      const r403 = await call(prod.url, 'POST', '/auth/e2e/test-auth', { headers: { 'x-e2e-bypass-key': BYPASS_KEY }, json: {} });
      expect(r403.status).toBe(403);
    } finally {
      await Promise.all([noKey.close(), prod.close()]);
    }
  });

  test('the bypass key is not a credential on backend routes', async () => {
    expect(await call(srv.url, 'GET', '/api/threads', { headers: { 'x-e2e-bypass-key': BYPASS_KEY } })).toMatchObject({
      status: 403,
      body: NA,
    });
    expect(await call(srv.url, 'GET', '/api/threads', { token: BYPASS_KEY })).toMatchObject({ status: 401, body: IE });
  });
});

test.describe('§1 token validity', () => {
  const now = () => Math.floor(Date.now() / 1000);
  /** Each defect: how to build the token from the user's claims, and the validate error it must produce. */
  const DEFECTS: { name: string; token: (u: ServerUser) => Promise<string> | string; error: string }[] = [
    { name: 'alg none', token: (u) => unsignedToken(decodeToken(u.access).claims), error: 'invalid_token' },
    { name: 'HS512 with the right secret', token: (u) => mint({ sub: u.id }, { alg: 'HS512' }), error: 'invalid_token' },
    { name: 'a random secret', token: (u) => mint({ sub: u.id }, { secret: randomBytes(24).toString('hex') }), error: 'invalid_token' },
    { name: 'expired 120 s ago', token: (u) => mint({ sub: u.id, iat: now() - 1000, exp: now() - 120 }), error: 'expired_token' },
    { name: 'another issuer', token: (u) => mint({ sub: u.id, iss: 'other-issuer' }), error: 'invalid_token' },
    { name: 'another audience', token: (u) => mint({ sub: u.id, aud: 'other-platform' }), error: 'invalid_token' },
    { name: 'no sub', token: () => mint({}, { omit: ['sub'] }), error: 'invalid_token' },
    { name: 'no iat', token: (u) => mint({ sub: u.id }, { omit: ['iat'] }), error: 'invalid_token' },
    { name: 'no exp', token: (u) => mint({ sub: u.id }, { omit: ['exp'] }), error: 'invalid_token' },
    { name: 'no jti', token: (u) => mint({ sub: u.id }, { omit: ['jti'] }), error: 'invalid_token' },
    { name: 'a refresh token', token: (u) => u.refresh, error: 'wrong_token_type' },
    { name: 'sub swapped under the old signature', token: (u) => withClaims(u.access, { sub: 'someone-else' }), error: 'invalid_token' },
    { name: 'garbage', token: () => 'invalid_token_12345', error: 'invalid_token' },
  ];

  for (const defect of DEFECTS) {
    test(`a token with ${defect.name}: REST 401, validate ${defect.error}, upgrade 403`, async () => {
      const user = await newUser(srv.url);
      const token = await defect.token(user);
      expect(await call(srv.url, 'GET', '/api/threads', { token })).toMatchObject({ status: 401, body: IE });
      expect((await call(srv.url, 'POST', '/auth/validate', { json: { token } })).body).toEqual({ valid: false, error: defect.error });
      expect((await upgrade(srv.wsUrl, { token })).status).toBe(403);
      expect((await upgrade(srv.wsUrl, { protocols: [subprotocolFor(token)] })).status).toBe(403);
    });
  }

  test('clock skew: accepted 10 s past exp, rejected 60 s past', async () => {
    const user = await newUser(srv.url);
    const recent = await mint({ sub: user.id, iat: now() - 900, exp: now() - 10 });
    const old = await mint({ sub: user.id, iat: now() - 900, exp: now() - 60 });
    expect((await call(srv.url, 'GET', '/api/threads', { token: recent })).status).toBe(200);
    expect((await call(srv.url, 'GET', '/api/threads', { token: old })).status).toBe(401);
  });

  test('a harness-minted token for any sub is valid (the server trusts its secret, not its user table)', async () => {
    const token = await mint({ sub: `minted-${randomBytes(4).toString('hex')}` });
    expect((await call(srv.url, 'GET', '/api/threads', { token })).status).toBe(200);
  });

  test('test-switch headers relax nothing', async () => {
    const headers = { 'x-test-mode': 'true', 'x-test-type': 'e2e', 'x-e2e-test': 'true', 'x-test-environment': 'staging' };
    expect(await call(srv.url, 'GET', '/api/threads', { headers })).toMatchObject({ status: 403, body: NA });
    expect(
      await call(srv.url, 'GET', '/api/threads', { headers, token: await mint({}, { secret: randomBytes(24).toString('hex') }) }),
    ).toMatchObject({ status: 401, body: IE });
    expect((await upgrade(srv.wsUrl, { headers })).status).toBe(403);
    expect((await upgrade(srv.wsUrl, { headers, protocols: ['e2e-testing'] })).status).toBe(403);
  });
});

test.describe('§2 register, login, refresh, logout, validate, me', () => {
  test('register and login share one profile; the checks answer 409, 422 and 401', async () => {
    const email = uniqueEmail('reg');
    const reg = await call(srv.url, 'POST', '/auth/register', { json: { email, password: 'longenough', name: 'Reg User' } });
    expect(reg.status).toBe(200);
    expect(reg.body.user).toMatchObject({ email, name: 'Reg User' });
    expect(reg.body.user.id).toMatch(/^usr_/);
    expect((await call(srv.url, 'POST', '/auth/register', { json: { email, password: 'longenough' } })).status).toBe(409);
    for (const body of [
      { email: 'bad', password: 'longenough' },
      { email: uniqueEmail(), password: 'seven77' },
      { email: uniqueEmail() },
    ]) {
      const r = await call(srv.url, 'POST', '/auth/register', { json: body });
      expect(r.status).toBe(422);
      expect(r.body.detail).toBeDefined();
    }
    const login = await call(srv.url, 'POST', '/auth/login', { json: { email, password: 'longenough' } });
    expect(login.status).toBe(200);
    expect(login.body.user).toEqual(reg.body.user);
    const me = await call(srv.url, 'GET', '/auth/me', { token: login.body.access_token });
    expect(me.body).toMatchObject({ user_id: reg.body.user.id, email, name: 'Reg User' });
    expect(await call(srv.url, 'POST', '/auth/login', { json: { email, password: 'wrong-password' } })).toMatchObject({
      status: 401,
      body: { detail: 'Invalid credentials' },
    });
    expect(await call(srv.url, 'POST', '/auth/login', { json: { email: uniqueEmail(), password: 'longenough' } })).toMatchObject({
      status: 401,
      body: { detail: 'Invalid credentials' },
    });
    expect((await call(srv.url, 'POST', '/auth/login', { json: { email } })).status).toBe(422);
  });

  test('refresh: a new working pair for the same user; the old refresh token is spent', async () => {
    const user = await newUser(srv.url);
    const r1 = await call(srv.url, 'POST', '/auth/refresh', { json: { refresh_token: user.refresh } });
    expect(r1.status).toBe(200);
    expect(r1.body.expires_in).toBe(900);
    expect(r1.body.access_token).not.toBe(user.access);
    expect(decodeToken(r1.body.access_token).claims.sub).toBe(user.id);
    expect((await call(srv.url, 'GET', '/api/threads', { token: r1.body.access_token })).status).toBe(200);
    const ws = await upgrade(srv.wsUrl, { token: r1.body.access_token });
    expect(ws.status).toBe(101);
    await ws.socket?.close();
    expect((await call(srv.url, 'POST', '/auth/refresh', { json: { refresh_token: user.refresh } })).status).toBe(401);
    expect((await call(srv.url, 'POST', '/auth/refresh', { json: { refresh_token: r1.body.refresh_token } })).status).toBe(200);
  });

  test('refresh input: an access token or garbage 401, no field 422', async () => {
    const user = await newUser(srv.url);
    expect((await call(srv.url, 'POST', '/auth/refresh', { json: { refresh_token: user.access } })).status).toBe(401);
    expect((await call(srv.url, 'POST', '/auth/refresh', { json: { refresh_token: 'garbage' } })).status).toBe(401);
    expect((await call(srv.url, 'POST', '/auth/refresh', { json: {} })).status).toBe(422);
  });

  test('concurrent refreshes with one token: exactly one wins', async () => {
    const user = await newUser(srv.url);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => call(srv.url, 'POST', '/auth/refresh', { json: { refresh_token: user.refresh } })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401]);
  });

  test('logout revokes the bearer token (and its refresh token) everywhere, and nothing else', async () => {
    const email = uniqueEmail('out');
    const first = await newUser(srv.url, { email });
    const second = await newUser(srv.url, { email });
    const ticket = await call(srv.url, 'POST', '/api/websocket/ticket', { token: first.access, json: {} });
    expect(await call(srv.url, 'POST', '/auth/logout', { token: first.access })).toMatchObject({
      status: 200,
      body: { status: 'success' },
    });
    expect(await call(srv.url, 'GET', '/api/threads', { token: first.access })).toMatchObject({ status: 401, body: IE });
    expect((await call(srv.url, 'GET', '/auth/me', { token: first.access })).status).toBe(401);
    expect((await call(srv.url, 'POST', '/auth/validate', { json: { token: first.access } })).body).toEqual({
      valid: false,
      error: 'revoked_token',
    });
    expect((await upgrade(srv.wsUrl, { token: first.access })).status).toBe(403);
    expect((await upgrade(srv.wsUrl, { query: `?ticket=${ticket.body.ticket_id}` })).status).toBe(403);
    expect((await call(srv.url, 'POST', '/api/websocket/ticket', { token: first.access, json: {} })).status).toBe(401);
    expect((await call(srv.url, 'POST', '/auth/logout', { token: first.access })).status).toBe(401);
    expect((await call(srv.url, 'POST', '/auth/refresh', { json: { refresh_token: first.refresh } })).status).toBe(401);
    expect((await call(srv.url, 'GET', '/api/threads', { token: second.access })).status).toBe(200);
    expect((await call(srv.url, 'POST', '/auth/logout')).status).toBe(401);
  });

  test('validate is always 200 and names the problem', async () => {
    const user = await newUser(srv.url);
    const v = (json: unknown) => call(srv.url, 'POST', '/auth/validate', { json });
    expect((await v({})).body).toEqual({ valid: false, error: 'missing_token' });
    expect((await v({ token: '' })).body).toEqual({ valid: false, error: 'missing_token' });
    expect((await v({ token: 'garbage' })).body).toEqual({ valid: false, error: 'invalid_token' });
    expect((await call(srv.url, 'POST', '/auth/validate', { body: 'not json' })).body).toEqual({ valid: false, error: 'missing_token' });
    const ok = await v({ token: user.access });
    expect(ok.status).toBe(200);
    const { claims } = decodeToken(user.access);
    expect(ok.body).toEqual({
      valid: true,
      user_id: user.id,
      email: user.email,
      permissions: claims.permissions,
      expires_at: new Date(Number(claims.exp) * 1000).toISOString(),
    });
    expect((await v({ token: user.refresh })).body).toEqual({ valid: false, error: 'wrong_token_type' });
    expect((await v({ token: user.refresh, token_type: 'refresh' })).body.valid).toBe(true);
  });

  test('me reflects the token; no or bad token 401', async () => {
    const user = await newUser(srv.url);
    const me = await call(srv.url, 'GET', '/auth/me', { token: user.access });
    const { claims } = decodeToken(user.access);
    expect(me.body).toMatchObject({
      user_id: user.id,
      email: user.email,
      permissions: claims.permissions,
      token_expires_at: new Date(Number(claims.exp) * 1000).toISOString(),
    });
    expect((await call(srv.url, 'GET', '/auth/me')).status).toBe(401);
    expect((await call(srv.url, 'GET', '/auth/me', { token: 'garbage' })).status).toBe(401);
  });

  test('auth health', async () => {
    const r = await call(srv.url, 'GET', '/auth/health');
    expect(r.body).toMatchObject({ status: 'healthy', service: 'auth-service' });
    expect(Date.parse(r.body.timestamp)).toBeGreaterThan(Date.now() - 10_000);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
