/**
 * Root causes: a fixture's `diagnosis` attachment when there is one, else the first rule of
 * templates/root-causes.json whose pattern matches the error, else an honest "not diagnosed".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { environmentSecrets, redact } from '../fixtures/redact';
import type { Diagnosis, RootCauseRule, TestRecord } from './types';

export const TEMPLATES_DIR = path.resolve(__dirname, '..', 'templates');
export const RULES_FILE = path.join(TEMPLATES_DIR, 'root-causes.json');

export interface AttachmentLike {
  name: string;
  contentType: string;
  path?: string;
  body?: Buffer;
}

const text = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

/** Reads and validates a `diagnosis` attachment; undefined when it is not one or is malformed. All text is redacted. */
export function parseDiagnosis(attachment: AttachmentLike, secrets: string[] = environmentSecrets()): Diagnosis | undefined {
  if (attachment.name !== 'diagnosis' || !attachment.contentType.startsWith('application/json')) return undefined;
  let raw: string;
  try {
    if (attachment.body) raw = attachment.body.toString('utf8');
    else if (attachment.path) raw = fs.readFileSync(attachment.path, 'utf8');
    else return undefined;
  } catch {
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!data || typeof data !== 'object') return undefined;
  const d = data as Record<string, unknown>;
  if (!text(d.title) || !text(d.rootCause) || !text(d.impact)) return undefined;
  const clean = (s: string) => redact(s.trim(), secrets);
  const diagnosis: Diagnosis = { title: clean(d.title), rootCause: clean(d.rootCause), impact: clean(d.impact) };
  if (text(d.nextStep)) diagnosis.nextStep = clean(d.nextStep);
  if (d.details && typeof d.details === 'object' && !Array.isArray(d.details)) {
    diagnosis.details = JSON.parse(redact(JSON.stringify(d.details), secrets)) as Record<string, unknown>;
  }
  return diagnosis;
}

export function loadRules(file = RULES_FILE): RootCauseRule[] {
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { rules?: unknown };
  const rules = Array.isArray(data) ? data : data.rules;
  if (!Array.isArray(rules)) throw new Error(`${file}: expected an array of rules (or { "rules": [...] })`);
  for (const [i, r] of rules.entries()) {
    const rule = r as Partial<RootCauseRule>;
    for (const field of ['id', 'match', 'title', 'rootCause', 'impact', 'nextStep'] as const) {
      if (!text(rule[field])) throw new Error(`${file}: rule ${i} has no "${field}"`);
    }
    new RegExp(rule.match!, rule.flags); // fails fast on a bad pattern
  }
  return rules as RootCauseRule[];
}

export interface CompiledRule extends RootCauseRule {
  regex: RegExp;
}

export function compileRules(rules: RootCauseRule[]): CompiledRule[] {
  return rules.map((r) => ({ ...r, regex: new RegExp(r.match, (r.flags ?? '').replace('g', '')) }));
}

/** Where a failure's explanation came from, shown next to it so a reader knows how much to trust it. */
export type CauseSource = 'diagnosis' | 'rule' | 'none';

export interface Cause {
  source: CauseSource;
  /** Rule id for `rule`. */
  ruleId?: string;
  title: string;
  rootCause: string;
  impact: string;
  nextStep?: string;
  details?: Record<string, unknown>;
}

/** `$1`, `$2`… in a rule's texts become the pattern's groups. */
function fill(template: string, match: RegExpExecArray): string {
  return template.replace(/\$(\d)/g, (_m, n: string) => (match[Number(n)] ?? '').trim());
}

/** The explanation of one failed (or flaky) test. */
export function explain(test: Pick<TestRecord, 'diagnosis' | 'error' | 'timedOut'>, rules: CompiledRule[]): Cause {
  if (test.diagnosis) return { source: 'diagnosis', ...test.diagnosis };
  const message = test.error?.fullMessage ?? '';
  for (const rule of rules) {
    const m = rule.regex.exec(message);
    if (m) {
      return {
        source: 'rule',
        ruleId: rule.id,
        title: fill(rule.title, m),
        rootCause: fill(rule.rootCause, m),
        impact: fill(rule.impact, m),
        nextStep: fill(rule.nextStep, m),
      };
    }
  }
  const first = (test.error?.message ?? '')
    .split('\n')[0]
    .replace(/^Error:\s*/, '')
    .trim();
  return {
    source: 'none',
    title: first ? first.slice(0, 120) : 'Failure without an error message',
    rootCause: 'Not diagnosed: no fixture attached a diagnosis and no known error shape in templates/root-causes.json matched.',
    impact: 'Unknown until investigated; the behaviour this test checks is unverified.',
  };
}
