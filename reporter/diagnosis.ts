/**
 * Root causes: a fixture's `diagnosis` attachment when there is one, else the first rule of
 * templates/root-causes.json whose pattern matches the error (named by the evidence the test attached, such as the
 * parts its quality score missed), else an honest "not diagnosed". Pure except {@link loadRules}.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DriftRecord, QualityRecord, QualityRun, RootCauseRule, TestRecord } from './types';

export const TEMPLATES_DIR = path.resolve(__dirname, '..', 'templates');
export const RULES_FILE = path.join(TEMPLATES_DIR, 'root-causes.json');

const text = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

export function loadRules(file = RULES_FILE): RootCauseRule[] {
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { rules?: unknown };
  const rules = Array.isArray(data) ? data : data.rules;
  if (!Array.isArray(rules)) throw new Error(`${file}: expected an array of rules (or { "rules": [...] })`);
  for (const [i, r] of rules.entries()) {
    const rule = r as Partial<RootCauseRule>;
    for (const field of ['id', 'match', 'title', 'rootCause', 'impact', 'nextStep'] as const) {
      if (!text(rule[field])) throw new Error(`${file}: rule ${i} has no "${field}"`);
    }
    if (rule.evidence !== undefined && (rule.evidence !== 'quality' || !text(rule.evidenceRootCause)))
      throw new Error(`${file}: rule ${i} has "evidence" other than "quality" or no "evidenceRootCause"`);
    new RegExp(rule.match!, rule.flags); // fails fast on a bad pattern
  }
  return rules as RootCauseRule[];
}

export interface CompiledRule extends RootCauseRule {
  regex: RegExp;
}

export function compileRules(rules: readonly RootCauseRule[]): CompiledRule[] {
  return rules.map((r) => ({ ...r, regex: new RegExp(r.match, (r.flags ?? '').replace('g', '')) }));
}

/** Rules as given to the model: compiled already (the benchmark compiles once) or as loaded. */
export function compiled(rules: readonly RootCauseRule[] | readonly CompiledRule[]): CompiledRule[] {
  return rules.length && 'regex' in rules[0] ? (rules as CompiledRule[]) : compileRules(rules as RootCauseRule[]);
}

/** Where a failure's explanation came from, shown next to it so a reader knows how much to trust it. */
export type CauseSource = 'diagnosis' | 'drift' | 'rule' | 'none';

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

const quoted = (words: string[]) => words.map((w) => `'${w}'`).join(', ');

/**
 * What one scored run's parts lack, in the frames' own terms. Each part but `keywords` earns all or nothing
 * (tests/agent-execution/quality.ts), so a part at 0 is a part missed; missing keywords are named from the lists.
 */
function runGaps(run: QualityRun, minChars: number): string[] {
  if (!run.completed) return ['the run did not complete (no agent_completed)'];
  const missed = (part: string) => run.parts[part] === 0;
  const found = new Set(run.keywordsFound.map((k) => k.toLowerCase()));
  const missing = [...new Set(run.keywords.map((k) => k.toLowerCase()))].filter((k) => !found.has(k));
  const gaps: string[] = [];
  if (missed('answerLength')) gaps.push(`final_response is shorter than ${minChars} characters`);
  if (missing.length) gaps.push(`final_response lacks the keyword${missing.length > 1 ? 's' : ''} ${quoted(missing)}`);
  if (missed('toolPairing')) gaps.push('tool calls are not paired (a tool_executing without exactly one tool_completed)');
  if (missed('toolResults')) gaps.push('tool results empty');
  if (missed('reasoning')) gaps.push('no agent_thinking carries reasoning');
  return gaps;
}

/** The parts the attached scores missed: `final_response lacks the keyword 'capacity'; tool results empty`. */
export function qualityGaps(quality: QualityRecord, minChars: number): string {
  const several = quality.runs.length > 1;
  const lines = quality.runs
    .map((run) => ({ run, gaps: runGaps(run, minChars) }))
    .filter((r) => r.gaps.length)
    .map(({ run, gaps }) => (several ? `${run.scenario} (${run.score.toFixed(2)}): ${gaps.join(', ')}` : gaps.join('; ')));
  return [...new Set(lines)].join('; ');
}

export interface ExplainContext {
  /** FINAL_RESPONSE_MIN_CHARS, named when a response was too short. */
  finalResponseMinChars: number;
  /** The contract drift the setup project found in the target's published document, if any. */
  drifts: readonly DriftRecord[];
}

/** The drift a failure is about: one whose field the failure's contract problems name (`body/uptime_seconds: ...`). */
function driftOf(message: string, drifts: readonly DriftRecord[]): DriftRecord | undefined {
  return drifts.find((d) => {
    const field = d.field?.split('/').pop()?.replace(/\[\]$/, '');
    return !!field && new RegExp(`/${field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(message);
  });
}

/** The explanation of one failed (or flaky) test. */
export function explain(
  test: Pick<TestRecord, 'diagnosis' | 'error' | 'timedOut' | 'quality'>,
  rules: readonly CompiledRule[],
  context: ExplainContext,
): Cause {
  if (test.diagnosis) return { source: 'diagnosis', ...test.diagnosis };
  const message = test.error?.fullMessage ?? '';
  const drift = driftOf(message, context.drifts);
  if (drift) {
    return {
      source: 'drift',
      title: `Contract drift: ${drift.field}`,
      rootCause:
        `The target's own OpenAPI document has drifted from the contract at ${drift.where}: ${drift.what}. ` +
        'This test fails on that field; the Contract Drift section lists every difference the setup project found.',
      impact: 'Clients written against the contract break where the target changed its API.',
      nextStep: `Restore ${drift.field} as the contract says (docs/contract.md), or change the contract on purpose.`,
    };
  }
  for (const rule of rules) {
    const m = rule.regex.exec(message);
    if (!m) continue;
    const gaps = rule.evidence === 'quality' && test.quality ? qualityGaps(test.quality, context.finalResponseMinChars) : '';
    return {
      source: 'rule',
      ruleId: rule.id,
      title: fill(rule.title, m),
      rootCause: gaps ? fill(rule.evidenceRootCause!, m).replace('$evidence', () => gaps) : fill(rule.rootCause, m),
      impact: fill(rule.impact, m),
      nextStep: fill(rule.nextStep, m),
    };
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
