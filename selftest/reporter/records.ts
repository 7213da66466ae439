/** Test records and runs made in code, for the reporter's tests that need no Playwright run. */
import { readConfiguration } from '../../reporter/configuration';
import type { RunData, TestRecord } from '../../reporter/types';

/** The settings of an empty environment: every default. */
export const DEFAULT_SETTINGS = readConfiguration({}).settings;

export const STAGING = { kind: 'staging', url: 'https://staging.example.test', environment: 'staging' } as const;

export const record = (title: string, status: TestRecord['status'], attempts = 1, extra: Partial<TestRecord> = {}): TestRecord => ({
  key: `p › f.spec.ts › ${title}`,
  project: 'p',
  file: 'f.spec.ts',
  line: 1,
  column: 1,
  titlePath: [title],
  title,
  tags: [],
  outcome: status === 'passed' ? 'expected' : status === 'failed' ? 'unexpected' : status === 'flaky' ? 'flaky' : 'skipped',
  status,
  expectedStatus: 'passed',
  timedOut: false,
  attempts: Array.from({ length: attempts }, (_, retry) => ({ retry, status: status === 'failed' ? 'failed' : 'passed', durationMs: 1 })),
  durationMs: attempts,
  ...(status === 'failed' ? { error: { message: `Error: ${title} broke`, fullMessage: `Error: ${title} broke` } } : {}),
  ...extra,
});

export const runOf = (tests: TestRecord[], extra: Partial<RunData> = {}): RunData => ({
  schemaVersion: 2,
  status: tests.some((t) => t.status === 'failed') ? 'failed' : 'passed',
  startTime: '2025-09-07T00:24:18.000Z',
  durationMs: 1000,
  target: STAGING,
  weights: { BUSINESS_WEIGHT_P1: '$120K MRR' },
  settings: DEFAULT_SETTINGS,
  configProblems: [],
  tests,
  errors: [],
  setupProjects: [],
  duplicates: [],
  ...extra,
});
