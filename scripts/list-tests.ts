/**
 * The suites' tests as the catalog describes them (tests/catalog.ts): `playwright test --list` with each test's
 * project, title, tags and catalog annotations. Fault coverage, the generated docs and the catalog's self-test read
 * the tests from here, so what a test catches is written once, next to its code.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ANNOTATION } from '../tests/catalog';

const REPO = path.resolve(__dirname, '..');
const PLAYWRIGHT_CLI = require.resolve('@playwright/test/cli', { paths: [REPO] });

export interface ListedTest {
  project: string;
  /** The test's id (its title). */
  title: string;
  /** Relative to the repository root. */
  file: string;
  line: number;
  tags: string[];
  category?: string;
  checks?: string;
  catches?: string;
  was?: string;
}

interface JsonSuite {
  specs?: {
    title: string;
    file: string;
    line: number;
    tags?: string[];
    tests: { projectName: string; annotations?: { type: string; description?: string }[] }[];
  }[];
  suites?: JsonSuite[];
}

/** Every test of every project but `setup`, in the config's order. */
export function listTests(): ListedTest[] {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Listing needs no target, and must not see one a caller configured for something else.
  for (const name of ['STAGING_BASE_URL', 'STAGING_AUTH_URL', 'STAGING_WS_URL', 'PW_TEST_REPORTER', 'FORCE_COLOR']) delete env[name];
  const out = execFileSync(process.execPath, [PLAYWRIGHT_CLI, 'test', '--list', '--reporter=json'], {
    cwd: REPO,
    env,
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'utf8',
  });
  const report = JSON.parse(out) as { suites: JsonSuite[] };
  const tests: ListedTest[] = [];
  const visit = (suite: JsonSuite) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests) {
        if (test.projectName === 'setup') continue;
        const note = (type: string) => test.annotations?.find((a) => a.type === type)?.description;
        tests.push({
          project: test.projectName,
          title: spec.title,
          file: path.relative(REPO, path.resolve(REPO, 'tests', spec.file)),
          line: spec.line,
          tags: (spec.tags ?? []).map((tag) => `@${tag}`),
          category: note(ANNOTATION.category),
          checks: note(ANNOTATION.checks),
          catches: note(ANNOTATION.catches),
          was: note(ANNOTATION.was),
        });
      }
    }
    for (const child of suite.suites ?? []) visit(child);
  };
  for (const suite of report.suites) visit(suite);
  return tests;
}
