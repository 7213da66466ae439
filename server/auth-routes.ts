/**
 * The auth service (contract §2): e2e bypass login, register/login, single-use refresh, logout revocation,
 * validate (always 200) and me.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BodyReader, detail, isObject, readBody, readJsonObject, statusOnly } from './http-util';
import { INVALID_TOKEN, bearerToken, ok, type App, type Route } from './routing';
import { newId, type User } from './store';
import type { Claims, TokenType } from './tokens';

const DEFAULT_E2E_EMAIL = 'e2e-user@staging.test';
const DEFAULT_PERMISSIONS = ['read', 'write', 'chat', 'agent:execute'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MIN_PASSWORD = 8;

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkEmail(body: BodyReader, email: string | undefined): void {
  if (email !== undefined && !EMAIL.test(email)) {
    body.problems.push({ loc: ['body', 'email'], msg: 'value is not a valid email address', type: 'value_error' });
  }
}

/** Auth-service routes answer 401 for a missing token too (unlike the backend's 403). */
async function requireAccess(app: App, req: IncomingMessage): Promise<{ token: string; claims: Claims }> {
  const token = bearerToken(req);
  if (token === undefined) throw statusOnly(401, 'Not authenticated');
  const verdict = await app.tokens.verify(token, 'access');
  if (!verdict.ok) throw statusOnly(401, INVALID_TOKEN);
  return { token, claims: verdict.claims };
}

const userFromClaims = (app: App, claims: Claims): User =>
  app.store.users.get(claims.sub) ?? {
    id: claims.sub,
    email: typeof claims.email === 'string' ? claims.email : '',
    name: '',
    permissions: Array.isArray(claims.permissions) ? claims.permissions : [],
  };

export const authRoutes: Route[] = [
  {
    method: 'GET',
    path: '/auth/health',
    handler: ({ app }) => ok({ status: 'healthy', service: 'auth-service', timestamp: app.store.iso(Date.now()) }),
  },
  {
    method: 'POST',
    path: '/auth/e2e/test-auth',
    handler: async ({ app, req }) => {
      if (app.environment.toLowerCase() === 'production') throw statusOnly(403, 'E2E test authentication is disabled in production');
      if (!app.bypassKey) throw statusOnly(503, 'E2E test authentication is not configured');
      const given = req.headers['x-e2e-bypass-key'];
      if (!app.faults.has('bypass-key-unchecked') && (typeof given !== 'string' || !sameSecret(given, app.bypassKey))) {
        throw detail(401, 'Invalid or missing E2E bypass key');
      }
      const body = new BodyReader(await readJsonObject(req, true));
      const email = body.string('email') ?? DEFAULT_E2E_EMAIL;
      checkEmail(body, email);
      const name = body.string('name');
      const permissions = body.stringArray('permissions');
      body.done();

      let user = app.store.userByEmail(email);
      if (!user) {
        const id = `e2e-${email.split('@')[0]}`;
        // Two emails with one local part would share an id (and so each other's data): refuse the second.
        if (app.store.users.has(id)) throw detail(409, `User id ${id} already belongs to another email`);
        user = app.store.addUser({ id, email, name: name ?? email.split('@')[0], permissions: permissions ?? [...DEFAULT_PERMISSIONS] });
      }
      return ok(await app.tokens.issuePair(user));
    },
  },
  {
    method: 'POST',
    path: '/auth/register',
    handler: async ({ app, req }) => {
      const body = new BodyReader(await readJsonObject(req, false));
      const email = body.string('email', { required: true });
      checkEmail(body, email);
      const password = body.string('password', { required: true });
      if (password !== undefined && password.length < MIN_PASSWORD) {
        body.problems.push({
          loc: ['body', 'password'],
          msg: `String should have at least ${MIN_PASSWORD} characters`,
          type: 'string_too_short',
        });
      }
      const name = body.string('name');
      body.done();
      if (app.store.userByEmail(email!)) throw statusOnly(409, 'Email already registered');
      const user = app.store.addUser(
        { id: newId('usr'), email: email!, name: name ?? email!.split('@')[0], permissions: [...DEFAULT_PERMISSIONS] },
        password,
      );
      return ok(await app.tokens.issuePair(user));
    },
  },
  {
    method: 'POST',
    path: '/auth/login',
    handler: async ({ app, req }) => {
      const body = new BodyReader(await readJsonObject(req, false));
      const email = body.string('email', { required: true });
      const password = body.string('password', { required: true });
      body.done();
      const user = app.store.userByEmail(email!);
      if (!user || !app.store.passwordMatches(user, password!)) throw detail(401, 'Invalid credentials');
      return ok(await app.tokens.issuePair(user));
    },
  },
  {
    method: 'POST',
    path: '/auth/refresh',
    handler: async ({ app, req }) => {
      const body = new BodyReader(await readJsonObject(req, false));
      const token = body.string('refresh_token', { required: true });
      body.done();
      const verdict = await app.tokens.verify(token, 'refresh');
      if (!verdict.ok) throw statusOnly(401, 'Invalid or expired refresh token');
      // Checked and spent in one synchronous step, so two concurrent refreshes cannot both win.
      if (app.store.spentRefreshJtis.has(verdict.claims.jti)) throw statusOnly(401, 'Refresh token already used');
      if (!app.faults.has('refresh-reusable')) app.store.spentRefreshJtis.add(verdict.claims.jti);
      return ok(await app.tokens.issuePair(userFromClaims(app, verdict.claims)));
    },
  },
  {
    method: 'POST',
    path: '/auth/logout',
    handler: async ({ app, req }) => {
      const { claims } = await requireAccess(app, req);
      if (!app.faults.has('logout-not-revoking')) {
        app.store.revokedJtis.add(claims.jti);
        const refresh = app.store.pairRefresh.get(claims.jti);
        if (refresh && !app.latitudes.has('logout-keeps-refresh')) app.store.revokedJtis.add(refresh.jti);
        if (app.latitudes.has('logout-closes-sockets')) app.closeSockets(claims.jti);
      }
      return ok({ status: 'success' });
    },
  },
  {
    method: 'POST',
    path: '/auth/validate',
    handler: async ({ app, req }) => {
      // Always 200: a body that is not a JSON object simply carries no token.
      let body: Record<string, unknown> = {};
      try {
        const parsed: unknown = JSON.parse(await readBody(req));
        if (isObject(parsed)) body = parsed;
      } catch {
        // not JSON (or over the body cap): no token
      }
      const token = typeof body.token === 'string' ? body.token : undefined;
      const wanted = body.token_type ?? 'access';
      if (token && wanted !== 'access' && wanted !== 'refresh') return ok({ valid: false, error: 'wrong_token_type' });
      const verdict = await app.tokens.verify(token, wanted as TokenType);
      if (!verdict.ok) return ok({ valid: false, error: verdict.problem });
      const { claims } = verdict;
      return ok({
        valid: true,
        user_id: claims.sub,
        email: claims.email ?? null,
        permissions: Array.isArray(claims.permissions) ? claims.permissions : [],
        expires_at: app.store.iso(claims.exp * 1000),
      });
    },
  },
  {
    method: 'GET',
    path: '/auth/me',
    handler: async ({ app, req }) => {
      const { claims } = await requireAccess(app, req);
      const stored = app.store.users.get(claims.sub);
      return ok({
        user_id: claims.sub,
        email: claims.email ?? stored?.email ?? null,
        ...(app.latitudes.has('contract-fields-only') ? {} : { name: stored?.name ?? null }),
        permissions: Array.isArray(claims.permissions) ? claims.permissions : [],
        token_expires_at: app.store.iso(claims.exp * 1000),
      });
    },
  },
];
