import { test, expect } from '@playwright/test';
import { FAULTS } from '../../server/index';
import { faultCoverage, FAULT_CATCHES } from '../../scripts/fault-coverage';

/**
 * Standing rule 3: every fault switch of the reference server makes the suites fail where the catalog says it
 * should, and the iteration summary names the failing tests. Each switch runs only the tests expected to catch it
 * (the full matrix, with collateral failures, is docs/fault-coverage.md from `scripts/fault-coverage.ts --write`).
 */
test('every fault switch has catalog expectations', () => {
  expect(Object.keys(FAULT_CATCHES).sort()).toEqual(FAULTS.map((f) => f.name).sort());
});

for (const { name } of FAULTS) {
  test(`fault ${name} is caught by the tests that name its regression`, async () => {
    const [result] = await faultCoverage({ faults: [name], targeted: true, concurrency: 1 });
    expect(result.expected.length, 'the catalog names at least one test for it').toBeGreaterThan(0);
    expect(result.missed, 'expected to fail but passed').toEqual([]);
    expect(result.failing.length).toBeGreaterThan(0);
    expect(result.unnamed, 'failing tests the iteration summary does not name').toEqual([]);
  });
}
