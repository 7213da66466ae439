/**
 * Categories: the run's tests by their `category` annotation (tests/catalog.ts), in the catalog's order (groups
 * outside it after, by name), with counts and a one-line status each, rolled up per project for the status report.
 */
import { CATEGORIES, type Project } from '../../tests/catalog';
import { computeCounts } from '../counts';
import { groupState, weightOf, type Group, type RunFacts } from '../facts';
import { percent } from '../format';
import type { Counts, TestRecord } from '../types';
import type { CategoryView, ProjectGroupView, ViewModel } from '../view';
import { categoryLabels, PROJECT_TITLES } from './shared';

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

const ICONS: Record<Group['state'], string> = { passing: '✅', failing: '❌', incomplete: '⚠️', 'not-run': '⏭️' };

function projectGroups(f: RunFacts): ProjectGroupView[] {
  const byProject = new Map<string, { title: string; tests: TestRecord[] }>();
  for (const g of f.groups) {
    const key = g.known ? `known:${g.project}` : `other:${g.title}`;
    const entry = byProject.get(key) ?? { title: g.known ? PROJECT_TITLES[g.project as Project] : g.title, tests: [] };
    entry.tests.push(...g.tests);
    byProject.set(key, entry);
  }
  return [...byProject.values()].map(({ title, tests }) => {
    const c = computeCounts(tests);
    const icon = ICONS[groupState(c)];
    const clean = c.failed === 0 && c.flaky === 0 && c.skipped === 0 && c.didNotRun === 0 && c.interrupted === 0;
    return { title, line: clean ? `${c.passing}/${c.ran} PASSED ${icon}` : `${breakdown(c).toUpperCase()} ${icon}` };
  });
}

type CategoriesView = Pick<ViewModel, 'categories' | 'categoriesNotInRun' | 'projectGroups' | 'passingSuites' | 'passingSuiteTests'>;

export function categoriesSection(f: RunFacts): CategoriesView {
  const categories: CategoryView[] = f.groups.map((g) => ({
    key: g.key,
    title: g.title,
    project: g.project,
    weight: weightOf(f, g.weightSetting),
    counts: g.counts,
    state: g.state,
    passRate: percent(g.counts.passing, g.counts.ran),
    status: categoryStatus(g.counts, g.state),
    breakdown: breakdown(g.counts),
  }));
  const inRun = new Set(f.groups.map((g) => g.key));
  const notInRun = CATEGORIES.filter((c) => !inRun.has(c.key));
  const passingSuites = categories.filter((c) => c.state === 'passing');
  return {
    categories,
    categoriesNotInRun: notInRun.length ? categoryLabels(notInRun) : null,
    projectGroups: projectGroups(f),
    passingSuites,
    passingSuiteTests: passingSuites.reduce((s, c) => s + c.counts.passing, 0),
  };
}
