/**
 * Categories: a test's top-level describe title is its category (fixtures/categories.ts). Groups the run's tests
 * by category in the registry's order (unknown titles after, by name), with counts and a one-line status each, and
 * rolls them up per project for the status report.
 */
import { CATEGORIES, type Category } from '../tests/catalog';
import { computeCounts } from './counts';
import { compressKeys, percent } from './format';
import type { Counts, RunData, TestRecord } from './types';
import type { CategoryView, ProjectGroupView } from './view';

export interface Group {
  key: string;
  title: string;
  project: string;
  order: number;
  weightSetting?: string;
  tests: TestRecord[];
}

export const PROJECT_TITLES: Record<Category['project'], string> = {
  priority: 'Priority Tests (P1–P6)',
  core: 'Core Staging Tests (1–10)',
  'agent-execution': 'Real Agent Execution',
  connectivity: 'Connectivity Validation',
  auth: 'Auth & Security',
};

/** `P1–P6, Real Agent Execution`; a whole project's categories by the project's title. */
export function categoryLabels(cats: Category[]): string {
  const unique = [...new Map(cats.map((c) => [c.key, c])).values()];
  const labels: string[] = [];
  const pKeys = unique.filter((c) => /^P\d$/.test(c.key)).map((c) => c.key);
  if (pKeys.length === 1) labels.push(unique.find((c) => c.key === pKeys[0])!.title);
  else if (pKeys.length) labels.push(compressKeys(pKeys));
  const rest = unique.filter((c) => !/^P\d$/.test(c.key));
  const byProject = new Map<string, Category[]>();
  for (const c of rest) byProject.set(c.project, [...(byProject.get(c.project) ?? []), c]);
  for (const [project, list] of byProject) {
    const all = CATEGORIES.filter((c) => c.project === project);
    if (list.length === all.length && all.length > 1) labels.push(PROJECT_TITLES[project as Category['project']]);
    else labels.push(...list.map((c) => c.title));
  }
  return labels.join(', ');
}

const categoryIndex = new Map(CATEGORIES.map((c, i) => [c.title, { category: c, order: i }]));

function groupOf(test: TestRecord, setupProjects: ReadonlySet<string>): Omit<Group, 'tests'> {
  const known = test.describe !== undefined ? categoryIndex.get(test.describe) : undefined;
  if (known) {
    return {
      key: known.category.key,
      title: known.category.title,
      project: known.category.project,
      order: known.order,
      weightSetting: known.category.weightSetting,
    };
  }
  const title =
    test.describe ?? (setupProjects.has(test.project) ? `Setup (project "${test.project}")` : `${test.project || 'default'} (no category)`);
  return { key: `other:${title}`, title, project: test.project, order: CATEGORIES.length };
}

function categoryState(c: Counts): CategoryView['state'] {
  if (c.failed > 0) return 'failing';
  if (c.ran === 0) return 'not-run';
  if (c.didNotRun > 0 || c.interrupted > 0) return 'incomplete';
  return 'passing';
}

function breakdown(c: Counts): string {
  const parts = [`${c.passed} passed`];
  if (c.flaky) parts.push(`${c.flaky} flaky`);
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  if (c.interrupted) parts.push(`${c.interrupted} interrupted`);
  if (c.didNotRun) parts.push(`${c.didNotRun} did not run`);
  return parts.join(', ');
}

function categoryStatus(c: Counts, state: CategoryView['state']): string {
  const extras: string[] = [];
  if (c.flaky) extras.push(`${c.flaky} flaky`);
  if (c.skipped) extras.push(`${c.skipped} skipped`);
  if (c.interrupted) extras.push(`${c.interrupted} interrupted`);
  if (c.didNotRun) extras.push(`${c.didNotRun} did not run`);
  const tail = extras.length ? `; ${extras.join(', ')}` : '';
  switch (state) {
    case 'failing':
      return `❌ ${c.failed} FAILED (${c.passing}/${c.ran} passed${tail})`;
    case 'passing':
      return `✅ ALL PASSED (${c.passing}/${c.ran}${tail})`;
    case 'incomplete':
      return `⚠️ INCOMPLETE (${c.passing}/${c.ran} passed${tail})`;
    case 'not-run':
      return `⏭️ NOT RUN (${extras.join(', ') || 'no tests'})`;
  }
}

export interface CategoryBreakdown {
  groups: Map<string, Group>;
  groupOfTest: Map<TestRecord, Group>;
  categories: CategoryView[];
  viewByKey: Map<string, CategoryView>;
  projectGroups: ProjectGroupView[];
  notInRun: Category[];
}

export function buildCategories(run: RunData): CategoryBreakdown {
  const tests = run.tests;
  const setupProjects = new Set(run.setupProjects ?? []);
  const groups = new Map<string, Group>();
  const groupOfTest = new Map<TestRecord, Group>();
  for (const t of tests) {
    const g0 = groupOf(t, setupProjects);
    let g = groups.get(g0.key);
    if (!g) {
      g = { ...g0, tests: [] };
      groups.set(g.key, g);
    }
    g.tests.push(t);
    groupOfTest.set(t, g);
  }
  const orderedGroups = [...groups.values()].sort((a, b) => a.order - b.order || a.title.localeCompare(b.title));
  const weightOf = (setting?: string) => (setting ? (run.weights[setting] ?? null) : null);
  const categories: CategoryView[] = orderedGroups.map((g) => {
    const c = computeCounts(g.tests);
    const state = categoryState(c);
    return {
      key: g.key,
      title: g.title,
      project: g.project,
      weight: weightOf(g.weightSetting),
      counts: c,
      state,
      passRate: percent(c.passing, c.ran),
      status: categoryStatus(c, state),
      breakdown: breakdown(c),
    };
  });
  const viewByKey = new Map(categories.map((c) => [c.key, c]));
  const notInRun = CATEGORIES.filter((c) => !groups.has(c.key));

  const projectGroups: ProjectGroupView[] = [];
  const byProject = new Map<string, TestRecord[]>();
  const projectTitle = new Map<string, string>();
  for (const g of orderedGroups) {
    const known = g.order < CATEGORIES.length;
    const pk = known ? `known:${g.project}` : `other:${g.title}`;
    projectTitle.set(pk, known ? PROJECT_TITLES[g.project as Category['project']] : g.title);
    byProject.set(pk, [...(byProject.get(pk) ?? []), ...g.tests]);
  }
  for (const [pk, list] of byProject) {
    const c = computeCounts(list);
    const state = categoryState(c);
    const icon = { passing: '✅', failing: '❌', incomplete: '⚠️', 'not-run': '⏭️' }[state];
    const line =
      c.failed === 0 && c.flaky === 0 && c.skipped === 0 && c.didNotRun === 0 && c.interrupted === 0
        ? `${c.passing}/${c.ran} PASSED ${icon}`
        : `${breakdown(c).toUpperCase()} ${icon}`;
    projectGroups.push({ title: projectTitle.get(pk)!, line });
  }
  return { groups, groupOfTest, categories, viewByKey, projectGroups, notInRun };
}
