/**
 * What every section of the summary reads, derived once from the collected run and its target's history: counts,
 * each test's category group, the document's test order and the root cause of every failure. Section builders
 * (reporter/sections/) take these facts and nothing else, and never call each other.
 */
import { CATEGORIES, type Category } from '../tests/catalog';
import { computeCounts } from './counts';
import { compiled, explain, type Cause } from './diagnosis';
import { code, inline } from './format';
import { summarize } from './metrics';
import type { Counts, HistoryEntry, MetricSummary, ReportSettings, RunData, TestRecord } from './types';
import type { ModelInput } from './view';

export type GroupState = 'passing' | 'failing' | 'incomplete' | 'not-run';

/** The tests of one category (or of one fallback group: setup projects, tests without a category). */
export interface Group {
  key: string;
  title: string;
  project: string;
  /** Position in the catalog; groups outside it come after, by title. */
  order: number;
  /** True for a category of tests/catalog.ts. */
  known: boolean;
  weightSetting?: string;
  tests: TestRecord[];
  counts: Counts;
  state: GroupState;
}

export interface RunFacts {
  run: RunData;
  iteration: number;
  /** Earlier iterations of this run's target, oldest first. */
  history: readonly HistoryEntry[];
  settings: ReportSettings;
  counts: Counts;
  /** Tests of more than one project: labels name the project. */
  multiProject: boolean;
  /** Groups in document order. */
  groups: Group[];
  groupOf: Map<TestRecord, Group>;
  /** Document order of tests: by group, then file and line. */
  byPlace: (a: TestRecord, b: TestRecord) => number;
  /** The root cause of every failed test, and of every flaky one with an error or a diagnosis. */
  causes: Map<TestRecord, Cause>;
  /** The run's performance samples per series. */
  metrics: Record<string, MetricSummary>;
}

const CATEGORY_BY_KEY = new Map<string, { category: Category; order: number }>(
  CATEGORIES.map((c, i) => [c.key, { category: c, order: i }]),
);

function groupFor(test: TestRecord, setupProjects: ReadonlySet<string>): Omit<Group, 'tests' | 'counts' | 'state'> {
  const known = test.category !== undefined ? CATEGORY_BY_KEY.get(test.category) : undefined;
  if (known) {
    const { key, title, project, weightSetting } = known.category;
    return { key, title, project, order: known.order, known: true, weightSetting };
  }
  const project = test.project || 'default';
  const title =
    test.category !== undefined
      ? `${project} (unknown category "${test.category}")`
      : setupProjects.has(test.project)
        ? `Setup (project "${test.project}")`
        : `${project} (no category)`;
  return { key: `other:${title}`, title, project: test.project, order: CATEGORIES.length, known: false };
}

export function groupState(c: Counts): GroupState {
  if (c.failed > 0) return 'failing';
  if (c.ran === 0) return 'not-run';
  if (c.didNotRun > 0 || c.interrupted > 0) return 'incomplete';
  return 'passing';
}

function groupTests(run: RunData): { groups: Group[]; groupOf: Map<TestRecord, Group> } {
  const setupProjects = new Set(run.setupProjects ?? []);
  const byKey = new Map<string, Group>();
  const groupOf = new Map<TestRecord, Group>();
  for (const t of run.tests) {
    const base = groupFor(t, setupProjects);
    let g = byKey.get(base.key);
    if (!g) {
      g = { ...base, tests: [], counts: computeCounts([]), state: 'not-run' };
      byKey.set(g.key, g);
    }
    g.tests.push(t);
    groupOf.set(t, g);
  }
  const groups = [...byKey.values()].sort((a, b) => a.order - b.order || a.title.localeCompare(b.title));
  for (const g of groups) {
    g.counts = computeCounts(g.tests);
    g.state = groupState(g.counts);
  }
  return { groups, groupOf };
}

export function runFacts(input: ModelInput): RunFacts {
  const { run } = input;
  const { groups, groupOf } = groupTests(run);
  // Every section sorts by place: rank the tests once, comparing file names once each (as localeCompare does).
  const text = new Intl.Collator().compare;
  const fileRank = new Map([...new Set(run.tests.map((t) => t.file))].sort(text).map((file, i) => [file, i]));
  const placed = [...run.tests].sort(
    (a, b) =>
      groupOf.get(a)!.order - groupOf.get(b)!.order ||
      fileRank.get(a.file)! - fileRank.get(b.file)! ||
      a.line - b.line ||
      a.column - b.column ||
      text(a.key, b.key),
  );
  const rank = new Map(placed.map((t, i) => [t, i]));
  const byPlace = (a: TestRecord, b: TestRecord) => rank.get(a)! - rank.get(b)!;
  const rules = compiled(input.rules);
  const drifts = run.tests.flatMap((t) => t.contractDrift ?? []);
  const context = { finalResponseMinChars: run.settings.finalResponseMinChars, drifts };
  const causes = new Map<TestRecord, Cause>();
  for (const t of run.tests) {
    if (t.status === 'failed' || (t.status === 'flaky' && (t.error || t.diagnosis))) causes.set(t, explain(t, rules, context));
  }
  return {
    run,
    iteration: input.iteration,
    history: input.history,
    settings: run.settings,
    counts: computeCounts(run.tests),
    multiProject: new Set(run.tests.map((t) => t.project)).size > 1,
    groups,
    groupOf,
    byPlace,
    causes,
    metrics: summarize(run.tests.flatMap((t) => t.metrics ?? [])),
  };
}

/** `**title** — `file:line` [project]`: how lists name a test. */
export function testLabel(f: RunFacts, test: TestRecord): string {
  return `**${inline(test.title)}** — ${code(`${test.file}:${test.line}`)}${f.multiProject ? ` [${inline(test.project)}]` : ''}`;
}

/** The run's tests with `status`, in document order. */
export function testsWith(f: RunFacts, ...statuses: TestRecord['status'][]): TestRecord[] {
  return f.run.tests.filter((t) => statuses.includes(t.status)).sort(f.byPlace);
}

/** The business weight of a setting in this run, if it has one. */
export function weightOf(f: RunFacts, setting?: string): string | null {
  return setting ? (f.run.weights[setting] ?? null) : null;
}
