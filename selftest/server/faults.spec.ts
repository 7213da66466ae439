/**
 * Fault switches: each one breaks the clause it names and nothing else the probes cover. Every probe passes on a
 * healthy server; on a server with fault F, F's probe reports a violation and every other probe still passes
 * (the baseline that shows the rest of the contract keeps working).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { FAULTS } from '../../server/index';
import type { FaultName } from '../../server/faults';
import { startTestServer } from './helpers';
import { PROBES } from './probes';

/** Runs every probe at once against one server; returns name -> violation (undefined = contract kept). */
async function probeAll(faults: string[]): Promise<Record<string, string | undefined>> {
  const srv = await startTestServer({ faults });
  try {
    const names = Object.keys(PROBES) as FaultName[];
    const outcomes = await Promise.all(names.map((n) => PROBES[n](srv).catch((err: Error) => `probe crashed: ${err.message}`)));
    return Object.fromEntries(names.map((n, i) => [n, outcomes[i]]));
  } finally {
    await srv.close();
  }
}

test('every fault switch has a probe and a docs/faults.md row', () => {
  const names = FAULTS.map((f) => f.name).sort();
  expect(Object.keys(PROBES).sort()).toEqual(names);
  const doc = readFileSync(path.join(__dirname, '../../docs/faults.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]).sort();
  expect(documented).toEqual(names);
  expect(names.length).toBeGreaterThanOrEqual(20);
  expect(names).toContain('ws-subprotocol-auth-broken');
});

test('a healthy server passes every probe', async () => {
  const outcomes = await probeAll([]);
  expect(Object.entries(outcomes).filter(([, v]) => v !== undefined)).toEqual([]);
});

for (const fault of FAULTS) {
  test(`fault ${fault.name} breaks only its clause`, async () => {
    const outcomes = await probeAll([fault.name]);
    expect(outcomes[fault.name], `the ${fault.name} probe must see the regression`).toEqual(expect.any(String));
    const others = Object.entries(outcomes).filter(([name, v]) => name !== fault.name && v !== undefined);
    expect(others, 'every other probe must still pass').toEqual([]);
  });
}
