import { test, expect } from '@playwright/test';
import { FAULTS, LATITUDES } from '../../server/index';
import { expectedCatchers, faultCoverage } from '../../scripts/fault-coverage';
import { listTests } from '../../scripts/list-tests';

/**
 * Standing rule 3: every fault switch of the reference server makes the suites fail where the catalog says it
 * should, and the iteration summary names the failing tests. Each switch is switched on over every latitude (the
 * other conforming choices a real target may make), so a fault is caught on any conforming target, and runs only
 * the tests expected to catch it (the full matrix on the server's defaults, with collateral failures, is
 * docs/fault-coverage.md from `scripts/fault-coverage.ts --write`).
 */
test('every fault switch names regressions that tests of the catalog catch', () => {
  const tests = listTests();
  const uncaught = FAULTS.filter((f) => expectedCatchers(f.name, tests).length === 0).map((f) => f.name);
  expect(uncaught, 'faults no test is expected to catch').toEqual([]);
});

for (const { name } of FAULTS) {
  test(`fault ${name} is caught by the tests that name its regression`, async () => {
    const [result] = await faultCoverage({ faults: [name], latitudes: LATITUDES.map((l) => l.name), targeted: true, concurrency: 1 });
    expect(result.expected.length, 'the catalog names at least one test for it').toBeGreaterThan(0);
    expect(result.missed, 'expected to fail but passed').toEqual([]);
    expect(result.failing.length).toBeGreaterThan(0);
    expect(result.unnamed, 'failing tests the iteration summary does not name').toEqual([]);
  });
}
