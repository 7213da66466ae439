/** Vocabulary and groupings more than one section uses: pure helpers over the facts, not sections themselves. */
import { CATEGORIES, type Category, type Project } from '../../tests/catalog';
import type { Cause } from '../diagnosis';
import { testsWith, type RunFacts } from '../facts';
import { compressKeys, inline } from '../format';
import type { RunStatus, TestRecord, TestStatus } from '../types';
import type { CauseView, ReasonGroup } from '../view';

export const STATUS_LABELS: Record<RunStatus, string> = {
  passed: '✅ PASSED',
  failed: '❌ FAILED',
  interrupted: '⚠️ INTERRUPTED',
  timedout: '⚠️ INTERRUPTED (global timeout)',
};

export const STATUS_WORDS: Record<TestStatus, string> = {
  passed: 'passed',
  failed: 'failed',
  flaky: 'flaky',
  skipped: 'skipped',
  interrupted: 'interrupted',
  'did-not-run': 'did not run',
};

const SOURCE_LABELS: Record<Cause['source'], string> = {
  diagnosis: 'fixture diagnosis',
  drift: 'contract drift',
  rule: 'known error shape',
  none: 'not diagnosed',
};

export function causeView(cause: Cause): CauseView {
  let details: string | null = null;
  if (cause.details && Object.keys(cause.details).length) {
    const json = JSON.stringify(cause.details);
    details = json.length > 400 ? `${json.slice(0, 399)}…` : json;
  }
  return {
    source: cause.source,
    sourceLabel: cause.ruleId ? `${SOURCE_LABELS.rule}: ${cause.ruleId}` : SOURCE_LABELS[cause.source],
    title: cause.title,
    rootCause: cause.rootCause,
    impact: cause.impact,
    nextStep: cause.nextStep ?? null,
    details,
  };
}

/** Tests sharing a reason, largest group first: `JWT_SECRET_KEY not provided: 3 — test_a, test_b, test_c`. */
export function reasonGroups(f: RunFacts, tests: TestRecord[], reasonOf: (t: TestRecord) => string): ReasonGroup[] {
  const groups = new Map<string, TestRecord[]>();
  for (const t of tests) {
    const r = reasonOf(t);
    groups.set(r, [...(groups.get(r) ?? []), t]);
  }
  return [...groups.entries()]
    .map(([reason, list]) => {
      const shown = list.slice(0, 10).map((t) => inline(t.title) + (f.multiProject ? ` [${inline(t.project)}]` : ''));
      const more = list.length > shown.length ? `, and ${list.length - shown.length} more` : '';
      return { reason: inline(reason), count: list.length, tests: shown.join(', ') + more };
    })
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

export const skippedGroups = (f: RunFacts) => reasonGroups(f, testsWith(f, 'skipped'), (t) => t.skipReason ?? 'no reason given');
export const didNotRunGroups = (f: RunFacts) => reasonGroups(f, testsWith(f, 'did-not-run'), (t) => t.notRunReason ?? 'not run');

/** Failed tests by root cause, in the order their first test appears. */
export function causeGroups(f: RunFacts): { cause: Cause; tests: TestRecord[] }[] {
  const groups = new Map<string, { cause: Cause; tests: TestRecord[] }>();
  for (const t of testsWith(f, 'failed')) {
    const cause = f.causes.get(t)!;
    const k = `${cause.source}|${cause.title}|${cause.rootCause}`;
    const entry = groups.get(k);
    if (entry) entry.tests.push(t);
    else groups.set(k, { cause, tests: [t] });
  }
  return [...groups.values()];
}

/** How the status report names each project of tests/catalog.ts `PROJECTS`. */
export const PROJECT_TITLES: Record<Project, string> = {
  priority: 'Priority Tests (P1–P6)',
  core: 'Core Staging Tests (1–10)',
  'agent-execution': 'Real Agent Execution',
  connectivity: 'Connectivity Validation',
  auth: 'Auth & Security',
};

/** `P1–P6, Real Agent Execution`; a whole project's categories by the project's title. */
export function categoryLabels(cats: readonly Category[]): string {
  const unique = [...new Map(cats.map((c) => [c.key, c])).values()];
  const labels: string[] = [];
  const pKeys = unique.filter((c) => /^P\d$/.test(c.key)).map((c) => c.key);
  if (pKeys.length === 1) labels.push(unique.find((c) => c.key === pKeys[0])!.title);
  else if (pKeys.length) labels.push(compressKeys(pKeys));
  const rest = unique.filter((c) => !/^P\d$/.test(c.key));
  const byProject = new Map<Project, Category[]>();
  for (const c of rest) byProject.set(c.project, [...(byProject.get(c.project) ?? []), c]);
  for (const [project, list] of byProject) {
    const all = CATEGORIES.filter((c) => c.project === project);
    if (list.length === all.length && all.length > 1) labels.push(PROJECT_TITLES[project]);
    else labels.push(...list.map((c) => c.title));
  }
  return labels.join(', ');
}
