import type { TestDetails } from '@playwright/test';
import type { SettingName } from '../fixtures/settings';

/**
 * The catalog of the suites, written once: projects, report categories, and what each test checks and which
 * regression it catches. A spec attaches its category with `category('P1')` on its top-level describe and describes
 * each test with `test('<id>', catalog({ checks, catches }), ...)`; the HTML report shows both on the test's page,
 * the iteration summary quotes `catches` as a failure's impact, and fault coverage is computed from it.
 */

/** The Playwright projects, one folder of tests/ each. */
export const PROJECTS = ['priority', 'core', 'agent-execution', 'connectivity', 'auth'] as const;
export type Project = (typeof PROJECTS)[number];

export interface Category {
  /** Short key used in reports and JSON, and by {@link category}. */
  key: string;
  /** Display name: the title of the spec's top-level describe. */
  title: string;
  project: Project;
  /** Tags on every test of the category (`--grep @p1`). */
  tags: readonly string[];
  /** The setting holding the category's business weight, if it has one (reports only). */
  weightSetting?: SettingName;
}

const DEFINITIONS = {
  P1: { title: 'P1 Critical', project: 'priority', tags: ['@p1'], weightSetting: 'BUSINESS_WEIGHT_P1' },
  P2: { title: 'P2 High', project: 'priority', tags: ['@p2'], weightSetting: 'BUSINESS_WEIGHT_P2' },
  P3: { title: 'P3 Medium-High', project: 'priority', tags: ['@p3'], weightSetting: 'BUSINESS_WEIGHT_P3' },
  P4: { title: 'P4 Medium', project: 'priority', tags: ['@p4'], weightSetting: 'BUSINESS_WEIGHT_P4' },
  P5: { title: 'P5 Medium-Low', project: 'priority', tags: ['@p5'], weightSetting: 'BUSINESS_WEIGHT_P5' },
  P6: { title: 'P6 Low', project: 'priority', tags: ['@p6'], weightSetting: 'BUSINESS_WEIGHT_P6' },
  'core-01': { title: 'WebSocket Events', project: 'core', tags: ['@core'], weightSetting: 'BUSINESS_WEIGHT_CORE' },
  'core-02': { title: 'Message Flow', project: 'core', tags: ['@core'], weightSetting: 'BUSINESS_WEIGHT_CORE' },
  'core-03': { title: 'Agent Pipeline', project: 'core', tags: ['@core'], weightSetting: 'BUSINESS_WEIGHT_CORE' },
  'core-04': { title: 'Agent Orchestration', project: 'core', tags: ['@core'], weightSetting: 'BUSINESS_WEIGHT_CORE' },
  'core-05': { title: 'Response Streaming', project: 'core', tags: ['@core'], weightSetting: 'BUSINESS_WEIGHT_CORE' },
  'core-06': { title: 'Failure Recovery', project: 'core', tags: ['@core'], weightSetting: 'BUSINESS_WEIGHT_CORE' },
  'core-07': { title: 'Startup Resilience', project: 'core', tags: ['@core'], weightSetting: 'BUSINESS_WEIGHT_CORE' },
  'core-08': { title: 'Lifecycle Events', project: 'core', tags: ['@core'], weightSetting: 'BUSINESS_WEIGHT_CORE' },
  'core-09': { title: 'Coordination', project: 'core', tags: ['@core'], weightSetting: 'BUSINESS_WEIGHT_CORE' },
  'core-10': { title: 'Critical Path', project: 'core', tags: ['@core'], weightSetting: 'BUSINESS_WEIGHT_CORE' },
  agent: { title: 'Real Agent Execution', project: 'agent-execution', tags: ['@agent-execution'], weightSetting: 'BUSINESS_WEIGHT_AGENT' },
  connectivity: { title: 'Connectivity Validation', project: 'connectivity', tags: ['@connectivity'] },
  auth: { title: 'Auth & Security', project: 'auth', tags: ['@auth'] },
} as const satisfies Record<string, Omit<Category, 'key'>>;

export type CategoryKey = keyof typeof DEFINITIONS;

export const CATEGORIES: readonly Category[] = Object.entries(DEFINITIONS).map(([key, definition]) => ({ key, ...definition }));

/** The annotation types the catalog writes on tests. */
export const ANNOTATION = { category: 'category', checks: 'checks', catches: 'catches', was: 'was' } as const;

/**
 * The title and details of a category's top-level describe:
 * `const { title, details } = category('P1'); test.describe(title, details, () => { ... })`.
 * Every test inside gets the category's tags and a `category` annotation naming its key.
 */
export function category(key: CategoryKey): { title: string; details: TestDetails } {
  const { title, tags } = DEFINITIONS[key];
  return { title, details: { tag: [...tags], annotation: { type: ANNOTATION.category, description: key } } };
}

/** What one test is about, in plain words. */
export interface CatalogEntry {
  /** What the test sends and asserts. */
  checks: string;
  /** The regression it catches: a short name fault switches refer to (server/faults.ts). */
  catches: string;
  /** The test's old name, when it was renamed. */
  was?: string;
}

/** The details of one test: `test('test_001_...', catalog({ checks, catches }), async (...) => { ... })`. */
export function catalog(entry: CatalogEntry): TestDetails {
  return {
    annotation: [
      { type: ANNOTATION.checks, description: entry.checks },
      { type: ANNOTATION.catches, description: entry.catches },
      ...(entry.was ? [{ type: ANNOTATION.was, description: entry.was }] : []),
    ],
  };
}

export function categoryByTitle(title: string): Category | undefined {
  return CATEGORIES.find((c) => c.title === title);
}
