/**
 * JWT issue and validation (contract §1). Signing and signature checks use jose; the claim rules are checked
 * here by hand so each rule is one visible line (and one fault switch can relax exactly one of them).
 */
import { randomBytes } from 'node:crypto';
import { SignJWT, compactVerify, decodeProtectedHeader, base64url } from 'jose';
import type { FaultSet } from './faults';
import type { LatitudeSet } from './latitudes';
import type { Store, User } from './store';

const ISSUER = 'netra-auth-service';
const AUDIENCE = 'netra-platform';
const ACCESS_TTL_S = 900;
const REFRESH_TTL_S = 7 * 24 * 3600;
const CLOCK_SKEW_S = 30;

export type TokenType = 'access' | 'refresh';
export type TokenProblem = 'missing_token' | 'invalid_token' | 'expired_token' | 'revoked_token' | 'wrong_token_type';

export interface Claims {
  sub: string;
  email?: string;
  permissions?: string[];
  iat: number;
  exp: number;
  jti: string;
  token_type?: string;
  [claim: string]: unknown;
}

export type Verdict = { ok: true; claims: Claims } | { ok: false; problem: TokenProblem };

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
  user: { id: string; email: string; name: string; permissions: string[] };
}

const newJti = () => randomBytes(16).toString('hex');

export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly environment: string,
    private readonly store: Store,
    private readonly faults: FaultSet,
    private readonly latitudes: LatitudeSet,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  private sign(user: User, type: TokenType, ttl: number, jti: string): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    // extra-fields: a claim and a header field the contract does not name.
    const extra = this.latitudes.has('extra-fields');
    return new SignJWT({
      email: user.email,
      permissions: user.permissions,
      token_type: type,
      env: this.environment,
      ...(extra ? { scope: 'platform' } : {}),
    })
      .setProtectedHeader(extra ? { alg: 'HS256', typ: 'JWT', kid: 'reference-hs256' } : { alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(jti)
      .sign(this.key);
  }

  /** Issues an access + refresh pair; the pair is remembered so logout can revoke both halves. */
  async issuePair(user: User): Promise<TokenPair> {
    const accessJti = newJti();
    const refreshJti = newJti();
    const [access, refresh] = await Promise.all([
      this.sign(user, 'access', ACCESS_TTL_S, accessJti),
      this.sign(user, 'refresh', REFRESH_TTL_S, refreshJti),
    ]);
    this.store.pairRefresh.set(accessJti, { jti: refreshJti, exp: Math.floor(Date.now() / 1000) + REFRESH_TTL_S });
    return {
      access_token: access,
      refresh_token: refresh,
      token_type: 'Bearer',
      expires_in: ACCESS_TTL_S,
      user: { id: user.id, email: user.email, name: user.name, permissions: [...user.permissions] },
    };
  }

  /** Checks `token` against every §1 rule for a token of type `expected`. Never throws. */
  async verify(token: string | undefined, expected: TokenType): Promise<Verdict> {
    if (!token) return { ok: false, problem: 'missing_token' };
    const claims = await this.checkSignature(token);
    if (!claims) return { ok: false, problem: 'invalid_token' };

    const audOk = claims.aud === AUDIENCE || (Array.isArray(claims.aud) && claims.aud.includes(AUDIENCE));
    const issOk = claims.iss === ISSUER || this.faults.has('issuer-unchecked');
    const shapeOk =
      typeof claims.sub === 'string' &&
      claims.sub !== '' &&
      typeof claims.iat === 'number' &&
      typeof claims.exp === 'number' &&
      typeof claims.jti === 'string' &&
      claims.jti !== '';
    if (!audOk || !issOk || !shapeOk) return { ok: false, problem: 'invalid_token' };

    const now = Date.now() / 1000;
    if (claims.exp + CLOCK_SKEW_S <= now && !this.faults.has('expiry-ignored')) return { ok: false, problem: 'expired_token' };

    const typeOk = claims.token_type === expected || (expected === 'access' && this.faults.has('refresh-accepted-as-access'));
    if (!typeOk) return { ok: false, problem: 'wrong_token_type' };

    if (this.store.revokedJtis.has(claims.jti) || this.store.spentRefreshJtis.has(claims.jti))
      return { ok: false, problem: 'revoked_token' };
    return { ok: true, claims };
  }

  /** The claims when the token is a well-formed HS256 JWS signed with our secret, else undefined. */
  private async checkSignature(token: string): Promise<Claims | undefined> {
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg === 'none' && this.faults.has('alg-none-accepted')) {
        return parseClaims(base64url.decode(token.split('.')[1] ?? ''));
      }
      if (header.alg !== 'HS256') return undefined;
      const { payload } = await compactVerify(token, this.key, { algorithms: ['HS256'] });
      return parseClaims(payload);
    } catch {
      return undefined;
    }
  }
}

function parseClaims(bytes: Uint8Array): Claims | undefined {
  const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Claims) : undefined;
}
