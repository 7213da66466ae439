/**
 * Scans a run's artifacts for secrets: the configured JWT secret and bypass key, and any token-shaped string
 * (a JWT, a `jwt.<base64url>` subprotocol entry, an embedded-server ticket id), inside files, zip archives (traces,
 * blob reports), base64 attachment bodies of blob and JSON reports, and the HTML report's embedded data. Exits 1
 * listing every hit (by file and kind, never the value), 0 when clean.
 *
 *   npx tsx scripts/scan-secrets.ts [paths...]    (default: playwright-report test-results blob-report reports)
 *
 * Extra exact values may be given in SCAN_SECRETS (comma-separated), e.g. tokens a test captured.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { environmentSecrets } from '../fixtures/redact';

export interface SecretHit {
  /** File (and archive entry) where the value was found. */
  where: string;
  /** Which secret or shape, never the value itself. */
  kind: string;
}

const SHAPES: { kind: string; pattern: RegExp }[] = [
  { kind: 'JWT', pattern: /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/ },
  { kind: 'jwt.<base64url> subprotocol token', pattern: /jwt\.ZXlK[A-Za-z0-9_-]{8,}/ },
  // Tokens inside base64 text (attachments stored as base64 in reports): base64 of '{"alg"' / '"eyJ'.
  { kind: 'base64-encoded JWT', pattern: /ZXlKaGJHY2lPaU|ZXlKMGVYQWlPaU/ },
  // Ticket ids of the embedded reference server (remote tickets are opaque: pass them as extra secrets).
  { kind: 'ticket id', pattern: /\btkt_[0-9a-f]{32}\b/ },
];

/** Base64 payloads inside JSON: blob reports' `"base64"` attachment bodies, the JSON reporter's `"body"`. */
const BASE64_FIELD = /"(?:base64|body)"\s*:\s*"([A-Za-z0-9+/]{16,}={0,2})"/g;

const EMBEDDED_REPORT = /playwrightReportBase64\s*=\s*"data:application\/zip;base64,([A-Za-z0-9+/=]+)"/;

function scanBuffer(where: string, data: Uint8Array, secrets: { kind: string; value: string }[], hits: SecretHit[], depth = 0): void {
  if (depth < 4 && data.length > 4 && data[0] === 0x50 && data[1] === 0x4b && data[2] === 0x03 && data[3] === 0x04) {
    let entries: Record<string, Uint8Array>;
    try {
      entries = unzipSync(data);
    } catch (error) {
      hits.push({ where, kind: `unreadable zip (${(error as Error).message}): cannot prove it holds no secret` });
      return;
    }
    for (const [name, entry] of Object.entries(entries)) scanBuffer(`${where}!${name}`, entry, secrets, hits, depth + 1);
    return;
  }
  const text = Buffer.from(data).toString('utf8');
  scanString(where, text, secrets, hits);
  const embedded = EMBEDDED_REPORT.exec(text);
  if (embedded && depth < 4) scanBuffer(`${where}#embedded-report`, Buffer.from(embedded[1], 'base64'), secrets, hits, depth + 1);
  if (depth < 4) {
    for (const [, b64] of text.matchAll(BASE64_FIELD)) {
      const decoded = Buffer.from(b64, 'base64');
      // Only payloads that are really base64 (text fields that merely look like it decode to binary noise).
      if (decoded.toString('base64').replace(/=+$/, '') === b64.replace(/=+$/, ''))
        scanBuffer(`${where}#base64`, decoded, secrets, hits, depth + 1);
    }
  }
}

/** Colour codes, raw or JSON-escaped: an error message's diff highlighting can split a token into pieces. */
const ANSI = new RegExp(`(?:${String.fromCharCode(27)}|\\\\u001b)\\[[0-9;]*m`, 'gi');

function scanString(where: string, text: string, secrets: { kind: string; value: string }[], hits: SecretHit[]): void {
  const plain = text.replace(ANSI, '');
  const variants = plain === text ? [text] : [text, plain];
  for (const { kind, value } of secrets) if (variants.some((t) => t.includes(value))) hits.push({ where, kind });
  for (const { kind, pattern } of SHAPES) if (variants.some((t) => pattern.test(t))) hits.push({ where, kind });
}

function secretList(extraSecrets: string[], env: NodeJS.ProcessEnv): { kind: string; value: string }[] {
  return [
    ...environmentSecrets(env).map((value) => ({
      kind: value === env.JWT_SECRET_KEY ? 'JWT_SECRET_KEY' : 'E2E_OAUTH_SIMULATION_KEY',
      value,
    })),
    ...extraSecrets.filter((v) => v.length >= 8).map((value) => ({ kind: 'captured token', value })),
  ];
}

/** Scans text (a run's stdout and stderr) like a file; `where` names it in the hits. */
export function scanText(where: string, text: string, extraSecrets: string[] = [], env: NodeJS.ProcessEnv = process.env): SecretHit[] {
  const hits: SecretHit[] = [];
  scanString(where, text, secretList(extraSecrets, env), hits);
  return hits;
}

function walk(target: string, visit: (file: string) => void): void {
  if (!existsSync(target)) return;
  if (statSync(target).isDirectory()) for (const name of readdirSync(target)) walk(path.join(target, name), visit);
  else visit(target);
}

/** Scans `paths` (files or directories) and returns every hit. */
export function scanArtifacts(paths: string[], extraSecrets: string[] = [], env: NodeJS.ProcessEnv = process.env): SecretHit[] {
  const secrets = secretList(extraSecrets, env);
  const hits: SecretHit[] = [];
  for (const target of paths) walk(target, (file) => scanBuffer(file, readFileSync(file), secrets, hits));
  return hits;
}

if (require.main === module) {
  const paths = process.argv.slice(2);
  const targets = paths.length ? paths : ['playwright-report', 'test-results', 'blob-report', 'reports'];
  const extra = (process.env.SCAN_SECRETS ?? '').split(',').filter(Boolean);
  const hits = scanArtifacts(targets, extra);
  for (const hit of hits) process.stdout.write(`secret found: ${hit.kind} in ${hit.where}\n`);
  process.stdout.write(
    hits.length ? `${hits.length} secret(s) found in ${targets.join(', ')}\n` : `no secrets found in ${targets.join(', ')}\n`,
  );
  process.exit(hits.length ? 1 : 0);
}
