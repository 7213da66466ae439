/**
 * Plain-data shapes of the iteration reporter. Everything here is JSON: the collector turns Playwright's objects into
 * a {@link RunData}, which is written to `reports/iteration-<N>-<date>-<target>.json` before anything is rendered, and
 * the model, history and templates only ever read these shapes (so goldens and the benchmark need no Playwright).
 */

import type { Diagnosis } from '../fixtures/diagnosis';
import type { SettingValues } from '../fixtures/settings';

/** What a fixture attaches to a failing test as `diagnosis` (application/json): the fixtures' definition. */
export type { Diagnosis };

/** How a test ended, after retries. Derived from `test.outcome()` exactly as Playwright's own summary does. */
export type TestStatus = 'passed' | 'failed' | 'flaky' | 'skipped' | 'interrupted' | 'did-not-run';

/** Playwright's `FullResult.status`. `interrupted` = Ctrl-C/SIGINT/SIGTERM, `timedout` = globalTimeout. */
export type RunStatus = 'passed' | 'failed' | 'timedout' | 'interrupted';

export interface AttemptRecord {
  /** 0 for the first attempt, then Playwright's retry number. */
  retry: number;
  status: 'passed' | 'failed' | 'timedOut' | 'skipped' | 'interrupted';
  durationMs: number;
  /** First lines of the first error, ANSI-free and redacted. */
  error?: string;
}

export interface ErrorRecord {
  /** First lines of the message (ANSI codes stripped, secrets redacted, stack frames dropped). */
  message: string;
  /** The whole message, redacted and ANSI-free, capped; what root-cause rules match against. */
  fullMessage: string;
  /** `file:line` of the error, relative to the config directory, when Playwright knows it. */
  location?: string;
}

/** One re-run of a test by `npm run iterate` (attempt 2 and later). */
export interface RerunRecord {
  attempt: number;
  status: TestStatus;
  error?: string;
}

/**
 * One measurement from a test's `metrics.json` attachment. `measure` is `ws.handshake`, `run.first_event`,
 * `run.complete` (with `agent`) or `rest` (with `route`, the contract operation `GET /api/threads/{id}`, and `status`).
 */
export interface MetricSample {
  measure: string;
  ms: number;
  agent?: string;
  route?: string;
  status?: number;
}

/** One scored agent run of a `quality-score.json` attachment (tests/agent-execution/scenarios.ts). */
export interface QualityRun {
  scenario: string;
  keywords: string[];
  keywordsFound: string[];
  score: number;
  completed: boolean;
  /** answerLength, keywords, toolPairing, toolResults, reasoning: what each part of the score earned. */
  parts: Record<string, number>;
}

export interface QualityRecord {
  qualitySla?: number;
  runs: QualityRun[];
}

/** One place where the target's answers differ from the contract (`contract-drift.json` of the setup project). */
export interface DriftRecord {
  where: string;
  what: string;
  /** The body field the drift is about, when it is about one (`uptime_seconds`, `[]/message_count`). */
  field?: string;
}

export interface TestRecord {
  /** Stable identity across runs, shards and merges: project › file › describe… › title [repeat n]. */
  key: string;
  project: string;
  /** Path relative to the config directory, with `/` separators. */
  file: string;
  line: number;
  column: number;
  /** Titles below the file: describe blocks then the test title. */
  titlePath: string[];
  title: string;
  /** The key of the test's `category` annotation (tests/catalog.ts), when it has one. */
  category?: string;
  /** The catalog's `checks` annotation: what the test sends and asserts. */
  checks?: string;
  /** The catalog's `catches` annotation: the regression the test catches. */
  catches?: string;
  tags: string[];
  /** `test.outcome()`. */
  outcome: 'expected' | 'unexpected' | 'flaky' | 'skipped';
  status: TestStatus;
  expectedStatus: string;
  /** True when the final failing attempt hit the test timeout. */
  timedOut: boolean;
  attempts: AttemptRecord[];
  durationMs: number;
  error?: ErrorRecord;
  diagnosis?: Diagnosis;
  /** The quality scores the test attached, from its failing attempt when it has one. */
  quality?: QualityRecord;
  /** Every attempt's `metrics.json` samples. */
  metrics?: MetricSample[];
  /** Samples of `metrics.json` that were not measurements (no measure, no finite ms) and were left out. */
  metricsRejected?: number;
  contractDrift?: DriftRecord[];
  /** For skipped tests: descriptions of `skip`/`fixme` annotations. */
  skipReason?: string;
  /** For did-not-run tests: why (dependency failed, run interrupted, ...). */
  notRunReason?: string;
  /** Re-runs by the iterate loop, oldest first (absent outside a loop). */
  reruns?: RerunRecord[];
}

export interface TargetInfo {
  kind: 'staging' | 'embedded' | 'unknown';
  /** URL without credentials, or undefined when not known. */
  url?: string;
  environment: string;
}

/** The settings a performance threshold comes from (contract §5). */
export type ThresholdSetting = 'WS_HANDSHAKE_MS' | 'FIRST_EVENT_MS' | 'RUN_COMPLETE_MS' | 'HEALTH_P95_MS' | 'LATENCY_P95_MS';

/** The settings the summary is computed with, as they were when the run was collected. */
/** The settings the summary uses (fixtures/settings.ts), with the thresholds of the performance section. */
export interface ReportSettings extends Pick<
  SettingValues,
  'historyWindow' | 'perfChangeRatio' | 'perfChangeMinMs' | 'flakyRate' | 'finalResponseMinChars'
> {
  thresholds: Record<ThresholdSetting, number>;
}

export interface LoopAttempt {
  attempt: number;
  /** `full` for the first run, `last-failed` for re-runs. */
  scope: 'full' | 'last-failed';
  status: RunStatus;
  ran: number;
  passed: number;
  failed: number;
  startTime: string;
  durationMs: number;
}

export interface LoopInfo {
  id: string;
  /** Re-runs allowed (`--max N`). */
  maxReruns: number;
  attempts: LoopAttempt[];
}

export interface RunData {
  schemaVersion: 2;
  status: RunStatus;
  /** ISO time the run started (or the injected clock). */
  startTime: string;
  durationMs: number;
  target: TargetInfo;
  /** Business weight settings as configured when the report was made (setting name -> value). */
  weights: Record<string, string | undefined>;
  settings: ReportSettings;
  /** Settings whose values were refused (their defaults were used), redacted. */
  configProblems: string[];
  tests: TestRecord[];
  /** Errors outside any test (onError): first lines, redacted. */
  errors: string[];
  /** Projects other projects depend on (setup projects); their tests without a category are shown as setup. */
  setupProjects: string[];
  /** Keys that appeared more than once (a setup project run in every shard) and were counted once. */
  duplicates: string[];
  /** Present when this run is part of `npm run iterate`. */
  loop?: LoopInfo;
}

export interface Counts {
  /** All tests in the run, whatever happened to them. */
  total: number;
  /** Tests that ran to a verdict: passed + failed + flaky. */
  ran: number;
  passed: number;
  failed: number;
  flaky: number;
  skipped: number;
  interrupted: number;
  didNotRun: number;
  /** passed + flaky: tests whose final verdict is a pass. */
  passing: number;
}

/** count, p50, p95 and max of one series of samples (ms; percentiles by nearest rank). */
export interface MetricSummary {
  count: number;
  p50: number;
  p95: number;
  max: number;
}

export interface HistoryEntry {
  iteration: number;
  startTime: string;
  status: RunStatus;
  counts: Counts;
  /** passing / ran, or null when nothing ran. */
  successRate: number | null;
  markdown: string;
  json: string;
  loopId?: string;
  /** Status per test key; kept for the most recent iterations of the target only (see history.ts). */
  tests?: Record<string, TestStatus>;
  /** Per series (`run.first_event (supervisor)`, `rest GET /health`, ...): what the iteration measured. */
  metrics?: Record<string, MetricSummary>;
}

/** The iterations of one target, oldest first. */
export interface TargetHistory {
  target: TargetInfo;
  iterations: HistoryEntry[];
}

/** reports/history.json: iterations per target, by target key (target.ts). */
export interface History {
  version: 2;
  targets: Record<string, TargetHistory>;
}

/** reports/history.json before iterations were kept per target. */
export interface HistoryV1 {
  version: 1;
  iterations: HistoryEntry[];
}

export interface RootCauseRule {
  id: string;
  /** Regular expression (source) matched against the error message. */
  match: string;
  flags?: string;
  title: string;
  rootCause: string;
  impact: string;
  nextStep: string;
  /** `quality`: when the test attached quality scores, `evidenceRootCause` (with `$evidence`) replaces `rootCause`. */
  evidence?: 'quality';
  evidenceRootCause?: string;
}
