/**
 * Latitude switches, the mirror image of faults.spec.ts: each one makes the server take another choice the contract
 * allows. Every latitude probe sees the default choice on a default server; on a server with latitude L only L's
 * probe sees something else, which proves L changes what goes over the wire and touches nothing the other probes
 * look at. With every latitude on at once, every fault probe still finds its contract clause kept, and every
 * latitude can still be seen.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { LATITUDES, serverOptionsFromEnv, type RunningServer } from '../../server/index';
import { runServerMain, startTestServer } from './helpers';
import { LATITUDE_PROBES } from './latitude-probes';
import { PROBES, type Probe } from './probes';

const ROOT = path.join(__dirname, '../..');
const ALL = LATITUDES.map((l) => l.name);

/** Runs every probe of `probes` at once against one server; returns name -> what it reported (undefined = nothing). */
async function probeAll(probes: Record<string, Probe>, latitudes: string[]): Promise<Record<string, string | undefined>> {
  const srv: RunningServer = await startTestServer({ latitudes });
  try {
    const names = Object.keys(probes);
    const outcomes = await Promise.all(names.map((n) => probes[n](srv).catch((err: Error) => `probe crashed: ${err.message}`)));
    return Object.fromEntries(names.map((n, i) => [n, outcomes[i]]));
  } finally {
    await srv.close();
  }
}

const reported = (outcomes: Record<string, string | undefined>) => Object.entries(outcomes).filter(([, v]) => v !== undefined);

test('every latitude switch has a probe and a docs/latitudes.md row', () => {
  expect(Object.keys(LATITUDE_PROBES).sort()).toEqual([...ALL].sort());
  const doc = readFileSync(path.join(ROOT, 'docs/latitudes.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]);
  expect(documented).toEqual(ALL);
  expect(ALL.length).toBeGreaterThanOrEqual(30);
});

test('a default server makes the default choice everywhere a latitude probe looks', async () => {
  expect(reported(await probeAll(LATITUDE_PROBES, []))).toEqual([]);
});

for (const { name } of LATITUDES) {
  test(`latitude ${name} changes what its probe sees, and nothing else`, async () => {
    const outcomes = await probeAll(LATITUDE_PROBES, [name]);
    expect(outcomes[name], `the ${name} probe must see the other choice`).toEqual(expect.any(String));
    expect(
      reported(outcomes).filter(([probe]) => probe !== name),
      'every other probe still sees the default',
    ).toEqual([]);
  });
}

test('with every latitude on, every fault probe finds the contract kept', async () => {
  expect(reported(await probeAll(PROBES, ALL))).toEqual([]);
});

test('with every latitude on, every latitude is still seen', async () => {
  const outcomes = await probeAll(LATITUDE_PROBES, ALL);
  expect(ALL.filter((name) => outcomes[name] === undefined)).toEqual([]);
});

test('STAGING_LATITUDES: all, a list, or nothing; an unknown name is an error listing the valid ones', () => {
  expect(serverOptionsFromEnv({ STAGING_LATITUDES: 'all' }).latitudes).toEqual(ALL);
  expect(serverOptionsFromEnv({ STAGING_LATITUDES: ' jitter, ws-degraded ,' }).latitudes).toEqual(['jitter', 'ws-degraded']);
  expect(serverOptionsFromEnv({ STAGING_LATITUDES: ' ' }).latitudes).toBeUndefined();
  expect(serverOptionsFromEnv({}).latitudes).toBeUndefined();
  expect(serverOptionsFromEnv({ STAGING_FAULTS: 'short-answers', STAGING_LATITUDES: 'jitter' })).toMatchObject({
    faults: ['short-answers'],
    latitudes: ['jitter'],
  });
  expect(() => serverOptionsFromEnv({ STAGING_LATITUDES: 'jitter,bogus' })).toThrow(
    /^unknown latitude "bogus" in STAGING_LATITUDES; valid latitudes: all, extra-fields, .*validation-before-resource$/,
  );
  expect(() => serverOptionsFromEnv({ STAGING_LATITUDES: 'all,jitter' })).toThrow(/^unknown latitude "all"/);
});

test('npm run server names the latitudes in its ready line; an unknown one is one stderr line and exit 1', async () => {
  const [on, bogus] = await Promise.all([
    runServerMain({ PORT: '0', STAGING_LATITUDES: 'ws-degraded,jitter', STAGING_FAULTS: 'short-answers' }),
    runServerMain({ PORT: '0', STAGING_LATITUDES: 'bogus' }),
  ]);
  expect(on.stdout).toMatch(
    /^reference server ready at http:\/\/127\.0\.0\.1:\d+ \(environment staging, faults: short-answers, latitudes: ws-degraded,jitter\)\n$/,
  );
  expect(on.code).toBe(0);
  expect(bogus.code).toBe(1);
  expect(bogus.stdout).toBe('');
  expect(bogus.stderr).toMatch(/^reference server: unknown latitude "bogus" in STAGING_LATITUDES; valid latitudes: all, [a-z0-9, -]+\n$/);
});
