import { expect, test } from '@playwright/test';
import { listTests } from '../../scripts/list-tests';
import { CATEGORIES, PROJECTS } from '../../tests/catalog';

/**
 * The catalog is written next to the tests (tests/catalog.ts): every test of every project must say, by
 * construction, which category it belongs to, carry its category's tags, and say what it checks and which
 * regression it catches, so the HTML report, the iteration summary and fault coverage have it for every test.
 */
const tests = listTests();

test('every project has tests, and every test is in a project of the catalog', () => {
  const projects = new Set(tests.map((t) => t.project));
  expect([...projects].sort()).toEqual([...PROJECTS].sort());
});

test('every test has a category of its own project, and its tags', () => {
  const problems = tests.flatMap((t) => {
    const category = CATEGORIES.find((c) => c.key === t.category);
    if (!category) return [`${t.project} › ${t.title}: no category`];
    return [
      ...(category.project === t.project ? [] : [`${t.title}: category ${category.key} belongs to project ${category.project}`]),
      ...category.tags.filter((tag) => !t.tags.includes(tag)).map((tag) => `${t.title}: lacks tag ${tag}`),
    ];
  });
  expect(problems).toEqual([]);
});

test('every test says what it checks and which regression it catches', () => {
  const problems = tests.flatMap((t) => [
    ...(t.checks?.trim() ? [] : [`${t.project} › ${t.title}: no checks`]),
    ...(t.catches?.trim() ? [] : [`${t.project} › ${t.title}: no catches`]),
  ]);
  expect(problems).toEqual([]);
});

test('no two tests of a project share an id', () => {
  const keys = tests.map((t) => `${t.project} › ${t.title}`);
  const duplicates = keys.filter((key, i) => keys.indexOf(key) !== i);
  expect(duplicates).toEqual([]);
});
