/**
 * HTTP plumbing shared by the auth and REST routes: JSON replies, capped body reading, FastAPI-shaped errors,
 * the headers every response carries (nosniff, x-request-id) and the CORS allow-list.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Request bodies above this are refused with 413 before they are parsed. */
const MAX_BODY_BYTES = 1024 * 1024;

/** An error that becomes a JSON reply; thrown from handlers so validation reads top to bottom. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
    /** The contract gives only the status, not the body (the plain-status-errors latitude words these differently). */
    readonly statusOnly = false,
  ) {
    super(`HTTP ${status}`);
  }
}

export const detail = (status: number, text: string, headers?: Record<string, string>) => new HttpError(status, { detail: text }, headers);

/** An error the contract names by its status alone; by default it is worded like every other, as {detail}. */
export const statusOnly = (status: number, text: string, headers?: Record<string, string>) =>
  new HttpError(status, { detail: text }, headers, true);

export interface FieldProblem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** 422 with FastAPI's list-of-problems body. */
const unprocessable = (problems: FieldProblem[]) => new HttpError(422, { detail: problems });

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/** The caller's x-request-id when it is a sane token (printable ASCII, <= 200 chars), else a fresh one. */
export function requestIdFor(req: IncomingMessage, echo: boolean): string {
  const given = req.headers['x-request-id'];
  return echo && typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Origins are compared exactly, after dropping a trailing slash from the allow-list entry. */
export function corsAllows(origin: string | undefined, allowList: readonly string[], reflectAny: boolean): boolean {
  if (!origin) return false;
  if (reflectAny) return true;
  if (origin === 'null') return false;
  return allowList.includes(origin);
}

export function corsHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-expose-headers': 'x-request-id',
    vary: 'Origin',
  };
}

export function preflightHeaders(req: IncomingMessage): Record<string, string> {
  const requested = req.headers['access-control-request-headers'];
  return {
    'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
    'access-control-allow-headers': typeof requested === 'string' && requested ? requested : 'authorization, content-type, x-request-id',
    'access-control-max-age': '600',
  };
}

/**
 * Reads the body as text, refusing more than MAX_BODY_BYTES. A declared oversize length is refused before
 * reading; an undeclared one as soon as the cap is passed (the rest is drained, not buffered).
 */
export function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    req.resume();
    return Promise.reject(detail(413, 'Request body too large', { connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (chunk: Buffer) => {
      if (tooBig) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooBig = true;
        chunks.length = 0;
        reject(detail(413, 'Request body too large', { connection: 'close' }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!tooBig) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

/**
 * Parses a JSON object body. An empty body counts as `{}` when `optional`; anything that is not a JSON object
 * is a 422 like FastAPI's.
 */
export async function readJsonObject(req: IncomingMessage, optional: boolean): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (text.trim() === '') {
    if (optional) return {};
    throw unprocessable([{ loc: ['body'], msg: 'Field required', type: 'missing' }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw unprocessable([{ loc: ['body', 0], msg: 'JSON decode error', type: 'json_invalid' }]);
  }
  if (!isObject(value)) throw unprocessable([{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }]);
  return value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Small field readers that collect FastAPI-style problems instead of throwing at the first one. */
export class BodyReader {
  readonly problems: FieldProblem[] = [];

  constructor(
    private readonly body: Record<string, unknown>,
    private readonly where: 'body' | 'query' = 'body',
  ) {}

  private problem(field: string, msg: string, type: string): undefined {
    this.problems.push({ loc: [this.where, field], msg, type });
    return undefined;
  }

  string(field: string, opts: { required?: boolean; nonEmpty?: boolean } = {}): string | undefined {
    const v = this.body[field];
    if (v === undefined || v === null) return opts.required ? this.problem(field, 'Field required', 'missing') : undefined;
    if (typeof v !== 'string') return this.problem(field, 'Input should be a valid string', 'string_type');
    if (opts.nonEmpty && v.trim() === '') return this.problem(field, 'String should have at least 1 character', 'string_too_short');
    return v;
  }

  object(field: string): Record<string, unknown> | undefined {
    const v = this.body[field];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) return this.problem(field, 'Input should be a valid dictionary', 'dict_type');
    return v;
  }

  stringArray(field: string): string[] | undefined {
    const v = this.body[field];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      return this.problem(field, 'Input should be a valid list of strings', 'list_type');
    return v as string[];
  }

  /** Integers only; numeric strings are accepted for query parameters. */
  int(field: string, min: number, max: number, fallback: number): number {
    const raw = this.body[field];
    if (raw === undefined || raw === null) return fallback;
    const n =
      typeof raw === 'number' ? raw : this.where === 'query' && typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isInteger(n)) {
      this.problem(field, 'Input should be a valid integer', 'int_parsing');
      return fallback;
    }
    if (n < min || n > max) {
      this.problem(field, `Input should be between ${min} and ${max}`, n < min ? 'greater_than_equal' : 'less_than_equal');
      return fallback;
    }
    return n;
  }

  boolean(field: string): boolean | undefined {
    const v = this.body[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') return this.problem(field, 'Input should be a valid boolean', 'bool_type');
    return v;
  }

  /** Throws the collected problems as one 422. */
  done(): void {
    if (this.problems.length > 0) throw unprocessable(this.problems);
  }
}
