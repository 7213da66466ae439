/**
 * Redacts Playwright trace archives (trace.zip) in place, so a trace in test-results/, the HTML report or a blob
 * report never hands out a bearer token, refresh token, ticket, JWT secret or bypass key.
 *
 * Playwright records every APIRequestContext call in the trace: request headers (Authorization, X-E2E-Bypass-Key),
 * request bodies (`/auth/validate {"token": ...}`) and response bodies (`/auth/* {"access_token": ...}`), in the
 * JSONL records of `*.trace` / `*.network` and in `resources/`. Byte replacement would corrupt the archive (a zip's
 * entries are compressed, its CRCs and sizes fixed), so each entry is decoded, redacted as data and re-zipped:
 *
 * - `*.trace`, `*.network` (JSON lines) and `*.stacks` (JSON): every record is parsed, every string value is
 *   redacted (known secrets, JWT shapes, credential fields, headers and query parameters, see fixtures/redact.ts),
 *   values under credential keys and `{ name, value }` headers/parameters with a credential name are replaced, and
 *   the record is written back as valid JSON, one per line.
 * - Every other entry that is UTF-8 text (`resources/` bodies, `attachments/`) is redacted as text; `src/` (the
 *   repo's source files, for the source view) only for exact secrets and token shapes, so code stays readable;
 *   in binary entries (screenshots) a secret or token shape, if any, is overwritten byte for byte with `*`.
 * - Entry names and order are kept, so `npx playwright show-trace` and the HTML report's trace viewer open the
 *   result like the original (resources keep their names: the viewer looks them up by name, it does not re-hash).
 *
 * As a reporter it also redacts, in place, what every reporter receives besides traces: step titles and params
 * (`expect(x).toBe(token)` records the token as the step's `expected`), errors (Playwright's own `error-context.md`
 * file included), stdout/stderr chunks, annotations and text attachments.
 *
 * Where it hooks in (the HTML reporter copies attachment files in its onEnd and the blob reporter zips them in its
 * onEnd, so any onTestEnd is early enough for files; objects are mutated in place, so later serializers see them):
 * - `playwright.config.ts` lists this module FIRST as a reporter: `onTestEnd` rewrites the test's `trace`
 *   attachments as soon as the worker has written them;
 * - when the command line replaces the configured reporters (`--reporter=blob` in CI), playwright.config.ts names
 *   it in PW_TEST_REPORTER, which Playwright adds to any reporter list (last, so a terminal reporter printing at
 *   test end runs before it; the fixtures redact their own messages);
 * - `reporter/redact-traces.teardown.ts`, the globalTeardown, runs before any reporter's onEnd and sweeps the
 *   output directories for trace archives not redacted yet, whatever reporters ran;
 * - `merge.config.ts` lists it first too, so a merge redacts the attachments it extracts from blob reports.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FullConfig, Reporter, TestCase, TestError, TestResult, TestStep } from '@playwright/test/reporter';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import {
  CREDENTIAL_FIELD_NAMES,
  CREDENTIAL_HEADER_NAMES,
  CREDENTIAL_PARAM_NAMES,
  environmentSecrets,
  namesPattern,
  redact,
  REDACTED,
  TOKEN_SHAPES,
} from '../fixtures/redact';

/** Headers a trace's request log records that the harness never sets itself (lower case). */
const TRACE_ONLY_HEADERS = ['proxy-authorization', 'cookie', 'set-cookie'];
/** Object keys, and header or parameter names of `{ name, value }` records, whose string values are credentials. */
const CREDENTIAL_NAMES = new Set<string>([
  ...CREDENTIAL_FIELD_NAMES,
  ...CREDENTIAL_PARAM_NAMES,
  ...CREDENTIAL_HEADER_NAMES,
  ...TRACE_ONLY_HEADERS,
]);
/** Credential fields inside JSON that is itself a string in JSON (`"jsonData":"{\"token\":\"...\"}"`). */
const ESCAPED_FIELDS = new RegExp(
  `(\\\\"(?:${namesPattern(CREDENTIAL_FIELD_NAMES)})\\\\"\\s*:\\s*\\\\")((?:[^"\\\\]|\\\\[^"])*)(\\\\")`,
  'gi',
);
/** Header lines of the trace's request log (`  cookie: a=b`) that redact() does not know. */
const HEADER_LINES = new RegExp(`^(\\s*(?:${namesPattern(TRACE_ONLY_HEADERS)})\\s*:\\s*).+$`, 'gim');
/** Entries holding JSON lines / one JSON document. */
const JSONL_ENTRY = /(^|\/)(?:[^/]*\.)?(?:trace|network)$/;
const JSON_ENTRY = /(^|\/)(?:[^/]*\.)?stacks$/;

/** Source files the trace embeds for its source view: the repo's own code, where field heuristics would mangle code. */
const SOURCE_ENTRY = /^src\//;

/** Exact secrets and token shapes only (for source code, which holds no runtime value but a pasted one). */
function redactShapes(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const value of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(value).join(REDACTED);
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, REDACTED);
  return out;
}

/** Terminal colour codes (error messages carry them: expect's diff highlights characters inside a value). */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function redactPlain(text: string, secrets: readonly string[]): string {
  return redact(text, secrets)
    .replace(ESCAPED_FIELDS, (_m, a: string, v: string, c: string) => `${a}${v ? REDACTED : ''}${c}`)
    .replace(HEADER_LINES, (_m, a: string) => `${a}${REDACTED}`);
}

/**
 * Redacts one string: exact secrets, token shapes, credential fields, parameters and header lines. A value that
 * colour codes split (`toBe` highlighting the differing characters of a token) is found in the text without them;
 * then the text loses its colours.
 */
export function redactTraceText(text: string, secrets: readonly string[] = []): string {
  if (text.length < 8) return text;
  const out = redactPlain(text, secrets);
  if (!text.includes(`${String.fromCharCode(27)}[`)) return out;
  const plain = text.replace(ANSI, '');
  const plainOut = redactPlain(plain, secrets);
  return plainOut === plain ? out : plainOut;
}

/** A credential value: keeps an auth scheme (`Bearer [REDACTED]`) and `jwt-auth` subprotocol entries readable. */
function redactCredential(name: string, value: string): string {
  if (!value) return value;
  if (name === 'sec-websocket-protocol') {
    return value
      .split(',')
      .map((p) => (p.trim().startsWith('jwt.') ? `${p.slice(0, p.indexOf('jwt.'))}jwt.${REDACTED}` : p))
      .join(',');
  }
  const scheme = /^(Bearer|Basic|Token)\s+/i.exec(value);
  return scheme ? `${scheme[0]}${REDACTED}` : REDACTED;
}

/** Redacts every string in a parsed JSON value; credential keys and `{ name, value }` credentials by name. */
export function redactTraceValue(value: unknown, secrets: readonly string[] = []): unknown {
  if (typeof value === 'string') return redactTraceText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactTraceValue(v, secrets));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const named = typeof record.name === 'string' && typeof record.value === 'string' ? record.name.toLowerCase() : undefined;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) {
    const lower = key.toLowerCase();
    if (key === 'value' && named && CREDENTIAL_NAMES.has(named)) out[key] = redactCredential(named, v as string);
    else if (typeof v === 'string' && CREDENTIAL_NAMES.has(lower)) out[key] = redactCredential(lower, v);
    else out[key] = redactTraceValue(v, secrets);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The entry as text, or undefined when it is binary. */
function asText(data: Uint8Array): string | undefined {
  if (data.includes(0)) return undefined;
  try {
    return utf8.decode(data);
  } catch {
    return undefined;
  }
}

function redactJsonLines(text: string, secrets: readonly string[]): string {
  return text
    .split('\n')
    .map((line) => {
      if (!line.trim()) return line;
      try {
        return JSON.stringify(redactTraceValue(JSON.parse(line), secrets));
      } catch {
        return redactTraceText(line, secrets);
      }
    })
    .join('\n');
}

/**
 * A binary entry (a screenshot) cannot be redacted as text: a known secret or token shape found in its bytes is
 * overwritten with `*` of the same length, which keeps the entry's size and everything around it.
 */
function maskBinary(data: Uint8Array, secrets: readonly string[]): Uint8Array {
  const latin1 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
  const ranges: [number, number][] = [];
  for (const value of secrets) {
    const needle = Buffer.from(value, 'utf8').toString('latin1');
    for (let i = latin1.indexOf(needle); i >= 0; i = latin1.indexOf(needle, i + 1)) ranges.push([i, i + needle.length]);
  }
  for (const shape of TOKEN_SHAPES) for (const m of latin1.matchAll(shape)) ranges.push([m.index, m.index + m[0].length]);
  if (!ranges.length) return data;
  const out = new Uint8Array(data);
  for (const [start, end] of ranges) out.fill(0x2a, start, end);
  return out;
}

function redactEntry(name: string, data: Uint8Array, secrets: readonly string[]): Uint8Array {
  const text = asText(data);
  if (text === undefined) return maskBinary(data, secrets);
  let out: string;
  if (SOURCE_ENTRY.test(name)) out = redactShapes(text, secrets);
  else if (JSONL_ENTRY.test(name)) out = redactJsonLines(text, secrets);
  else if (JSON_ENTRY.test(name)) {
    try {
      out = JSON.stringify(redactTraceValue(JSON.parse(text), secrets));
    } catch {
      out = redactTraceText(text, secrets);
    }
  } else out = redactTraceText(text, secrets);
  return out === text ? data : new TextEncoder().encode(out);
}

/** True when `entries` are a Playwright trace (a `*.trace` entry at the top level). */
export function isTraceArchive(entries: Record<string, Uint8Array>): boolean {
  return Object.keys(entries).some((name) => !name.includes('/') && /(^|\.|-)trace$/.test(name));
}

/**
 * Redacts a trace archive. Returns the same buffer when nothing needed redacting (or it is not a trace), else a
 * new archive with the same entries in the same order. Throws when `buffer` is not a readable zip.
 */
export function redactTraceZip(buffer: Uint8Array, secrets: readonly string[] = []): Uint8Array {
  const entries = unzipSync(buffer);
  if (!isTraceArchive(entries)) return buffer;
  const known = secrets.filter((s) => s.length >= 8);
  let changed = false;
  const out: Zippable = {};
  for (const [name, data] of Object.entries(entries)) {
    const redacted = redactEntry(name, data, known);
    if (redacted !== data) changed = true;
    out[name] = redacted;
  }
  return changed ? zipSync(out, { level: 6 }) : buffer;
}

/** Paths this process has already redacted (the sweep skips them). */
const done = new Set<string>();

/** Redacts the trace archive at `file` in place (atomically); true when it was rewritten. */
export function redactTraceFile(file: string, secrets: readonly string[] = environmentSecrets()): boolean {
  const resolved = path.resolve(file);
  const original = fs.readFileSync(resolved);
  const redacted = redactTraceZip(original, secrets);
  done.add(resolved);
  if (redacted === original) return false;
  const tmp = `${resolved}.redacting-${process.pid}`;
  fs.writeFileSync(tmp, redacted);
  fs.renameSync(tmp, resolved);
  return true;
}

/** Redacts every trace archive under `dirs` not yet redacted by this process; returns how many were rewritten. */
export function redactTracesUnder(
  dirs: readonly string[],
  secrets: readonly string[] = environmentSecrets(),
): { scanned: number; rewritten: number; failed: string[] } {
  const result = { scanned: 0, rewritten: 0, failed: [] as string[] };
  const visit = (target: string) => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(target);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(target)) visit(path.join(target, name));
      return;
    }
    if (!target.endsWith('.zip') || done.has(path.resolve(target))) return;
    result.scanned++;
    try {
      if (redactTraceFile(target, secrets)) result.rewritten++;
    } catch (error) {
      // A trace that cannot be read cannot be proven clean: delete it rather than let a report copy it.
      const isTrace = /^trace.*\.zip$/.test(path.basename(target));
      if (isTrace) fs.rmSync(target, { force: true });
      result.failed.push(`${target}${isTrace ? ' (deleted)' : ''}: ${(error as Error).message}`);
    }
  };
  for (const dir of new Set(dirs.map((d) => path.resolve(d)))) visit(dir);
  return result;
}

/** The output directories of a configuration (one per project, usually the same). */
export function outputDirsOf(config: FullConfig): string[] {
  return [...new Set(config.projects.map((p) => p.outputDir))];
}

/** Redacts a string property of `target` in place. */
function redactField<T extends object>(target: T, key: keyof T, secrets: readonly string[]): void {
  const value = target[key];
  if (typeof value === 'string') (target as Record<keyof T, unknown>)[key] = redactTraceText(value, secrets);
}

/** Redacts an error (message, stack, value, snippet, causes) in place. */
export function redactErrorInPlace(error: TestError | undefined, secrets: readonly string[] = environmentSecrets()): void {
  for (let e = error, depth = 0; e && depth < 8; e = e.cause, depth++) {
    for (const key of ['message', 'stack', 'value', 'snippet'] as const) redactField(e, key, secrets);
  }
}

/**
 * Redacts, in place, what a test result carries to every reporter besides traces: errors, stdout/stderr chunks,
 * annotations. In place because the other reporters hold the same objects (the blob reporter serializes them in its
 * onEnd), so whichever order they run in, they write the redacted values.
 */
export function redactResultInPlace(result: TestResult, secrets: readonly string[] = environmentSecrets()): void {
  for (const error of result.errors) redactErrorInPlace(error, secrets);
  if (result.error && !result.errors.includes(result.error)) redactErrorInPlace(result.error, secrets);
  for (const chunks of [result.stdout, result.stderr]) {
    chunks.forEach((chunk, i) => {
      if (typeof chunk === 'string') chunks[i] = redactTraceText(chunk, secrets);
    });
  }
  for (const annotation of result.annotations) redactField(annotation, 'description', secrets);
}

type Attachment = TestResult['attachments'][number];

/** Text attachment files larger than this are left alone (none of the harness's come close). */
const MAX_TEXT_FILE = 32 * 1024 * 1024;

/**
 * Redacts an attachment other than a trace: a text body in place, a text file (Playwright's own `error-context.md`,
 * written in the worker from the unredacted error) rewritten on disk. Binary attachments are left as they are.
 */
export function redactAttachmentInPlace(
  attachment: Attachment,
  secrets: readonly string[] = environmentSecrets(),
  fileAllowed: (file: string) => boolean = () => true,
): void {
  if (attachment.body) {
    const text = asText(attachment.body);
    if (text !== undefined) {
      const out = redactTraceText(text, secrets);
      if (out !== text) attachment.body = Buffer.from(out, 'utf8');
    }
  }
  if (!attachment.path || attachment.name === 'trace' || !fileAllowed(attachment.path)) return;
  const stat = fs.statSync(attachment.path, { throwIfNoEntry: false });
  if (!stat?.isFile() || stat.size > MAX_TEXT_FILE) return;
  const data = fs.readFileSync(attachment.path);
  const text = asText(data);
  if (text === undefined) return;
  const out = redactTraceText(text, secrets);
  if (out === text) return;
  const tmp = `${attachment.path}.redacting-${process.pid}`;
  fs.writeFileSync(tmp, out);
  fs.renameSync(tmp, attachment.path);
}

/**
 * Redacts a step in place: its title, error and params. Playwright records `expect(x).toBe(value)`'s expected value
 * as the step's `params.expected` (`toBe(subprotocolFor(token))` puts the token there); the blob reporter writes
 * params to its report.jsonl, the trace to its test.trace.
 */
export function redactStepInPlace(step: TestStep, secrets: readonly string[] = environmentSecrets()): void {
  redactField(step, 'title', secrets);
  redactErrorInPlace(step.error, secrets);
  const internal = step as TestStep & { params?: Record<string, unknown> };
  if (internal.params && typeof internal.params === 'object') {
    for (const [key, value] of Object.entries(internal.params)) internal.params[key] = redactTraceValue(value, secrets);
  }
}

/**
 * Reporter, listed first: redacts each step as it begins and ends, each result and its attachments (text bodies
 * and files such as error-context.md) when its test ends, and rewrites the test's `trace` attachments. A trace that
 * cannot be redacted is deleted (with a message), never left in clear text for the reports to copy.
 */
export default class TraceRedactor implements Reporter {
  private readonly secrets = environmentSecrets();
  /** Attachments of each result already redacted. */
  private readonly attachmentsDone = new WeakMap<TestResult, number>();
  /**
   * Where attachment files may be rewritten: the output directories (copies Playwright made), or anywhere in a merge
   * (files it extracted).
   */
  private fileAllowed: (file: string) => boolean = () => false;

  constructor(private readonly options: { _mode?: string } = {}) {}

  printsToStdio(): boolean {
    return false;
  }

  onBegin(config: FullConfig): void {
    if (this.options._mode === 'merge') {
      this.fileAllowed = () => true;
      return;
    }
    const dirs = outputDirsOf(config).map((d) => path.resolve(d) + path.sep);
    this.fileAllowed = (file) => dirs.some((d) => path.resolve(file).startsWith(d));
  }

  onStepBegin(_test: TestCase, _result: TestResult, step: TestStep): void {
    redactStepInPlace(step, this.secrets);
  }

  onStepEnd(_test: TestCase, result: TestResult, step: TestStep): void {
    redactStepInPlace(step, this.secrets);
    // The blob reporter serializes attachments when their step ends: be there first.
    this.redactNewAttachments(result);
  }

  private redactNewAttachments(result: TestResult): void {
    const from = this.attachmentsDone.get(result) ?? 0;
    for (const attachment of result.attachments.slice(from)) {
      try {
        redactAttachmentInPlace(attachment, this.secrets, this.fileAllowed);
      } catch (error) {
        process.stderr.write(`[trace-redactor] could not redact attachment "${attachment.name}": ${(error as Error).message}\n`);
      }
    }
    this.attachmentsDone.set(result, result.attachments.length);
  }

  onTestEnd(_test: TestCase, result: TestResult): void {
    redactResultInPlace(result, this.secrets);
    this.redactNewAttachments(result);
    for (const attachment of result.attachments) {
      if (attachment.name !== 'trace' || !attachment.path || !fs.existsSync(attachment.path)) continue;
      try {
        redactTraceFile(attachment.path, this.secrets);
      } catch (error) {
        fs.rmSync(attachment.path, { force: true });
        process.stderr.write(`[trace-redactor] deleted ${attachment.path}: it could not be redacted (${(error as Error).message})\n`);
      }
    }
  }
}
