/** The view model: what the templates render. Plain data; built by model.ts from one section builder each. */
import type { Cause, CompiledRule } from './diagnosis';
import type { Counts, HistoryEntry, RootCauseRule, RunData, RunStatus } from './types';

export interface ModelInput {
  run: RunData;
  iteration: number;
  /** Earlier iterations of the run's target, oldest first (not including this one). */
  history: readonly HistoryEntry[];
  rules: readonly RootCauseRule[] | readonly CompiledRule[];
}

export interface CategoryView {
  key: string;
  title: string;
  project: string;
  weight: string | null;
  counts: Counts;
  state: 'passing' | 'failing' | 'incomplete' | 'not-run';
  passRate: string;
  /** e.g. `✅ ALL PASSED (25/25)` */
  status: string;
  /** e.g. `1 passed, 3 failed, 27 skipped` */
  breakdown: string;
}

export interface ProjectGroupView {
  title: string;
  /** e.g. `95/95 PASSED ✅` or `1 PASSED, 3 FAILED, 33 SKIPPED ❌` */
  line: string;
}

export interface CauseView {
  source: Cause['source'];
  /** Where the explanation comes from, as shown to readers. */
  sourceLabel: string;
  title: string;
  rootCause: string;
  impact: string;
  nextStep: string | null;
  details: string | null;
}

export interface FailureView {
  number: number;
  title: string;
  fullTitle: string;
  project: string;
  location: string;
  errorLocation: string | null;
  category: string;
  weight: string | null;
  timedOut: boolean;
  error: string;
  errorBlock: string;
  errorFirstLine: string;
  attempts: string;
  cause: CauseView;
  rerun: string | null;
  /** The catalog's `checks`: what the test sends and asserts. */
  checks: string | null;
  /** The catalog's `catches`: the regression the test catches, quoted as its impact. */
  catches: string | null;
}

export interface FlakyView {
  title: string;
  location: string;
  category: string;
  note: string;
  error: string;
  cause: string;
}

export interface ReasonGroup {
  reason: string;
  count: number;
  tests: string;
}

export interface ChangeView {
  label: string;
  note: string;
}

export interface TrendRow {
  iteration: number;
  date: string;
  status: string;
  passing: string;
  rate: string;
  delta: string;
  /** p95 of run.first_event over all agents, or `—`. */
  firstEventP95: string;
  current: boolean;
}

export interface TrendView {
  /** `#1 80.0% → #2 70.0% → #3 33.3%` */
  line: string;
  rows: TrendRow[];
  /** What the charts and the table cover. */
  intro: string;
  /** Fenced ```mermaid blocks. */
  charts: string[];
  /** Why a chart is missing, when one is. */
  chartsNote: string | null;
}

export interface PerformanceRow {
  series: string;
  count: number;
  p50: string;
  p95: string;
  max: string;
  /** `each ≤ 5000 ms (WS_HANDSHAKE_MS)`, `p95 ≤ 2000 ms (HEALTH_P95_MS)`, or `—`. */
  heldTo: string;
  verdict: string;
  /** p95 at the last iteration of the target that measured the series, or `—`. */
  previous: string;
}

export interface PerformanceView {
  summary: string;
  rows: PerformanceRow[];
  /** Heading of the change list, or the sentence saying there is none. */
  changesNote: string;
  /** `run.first_event (supervisor) p95 412 ms → 1180 ms, +186%` */
  changes: string[];
  /** Series over their threshold, one sentence each. */
  over: string[];
}

export interface FlakinessRow {
  label: string;
  /** `new`, `unstable` or `failing`. */
  kind: string;
  /** `3 of 8 (38%)` */
  share: string;
  /** The first iteration of the window in which it failed or was flaky. */
  since: string;
  /** One mark per iteration of the window, oldest first. */
  marks: string;
}

export interface FlakinessView {
  summary: string;
  /** What the marks of a row mean. */
  legend: string;
  rows: FlakinessRow[];
  more: string | null;
}

export interface DriftView {
  summary: string;
  items: { where: string; what: string }[];
}

export interface WeightView {
  setting: string;
  value: string;
  categories: string;
  state: 'protected' | 'at risk' | 'not verified';
}

export interface CauseGroupView {
  number: number;
  title: string;
  count: number;
  tests: string;
  categories: string;
  weights: string;
  rootCause: string;
  impact: string;
  sourceLabel: string;
}

export interface LoopView {
  maxReruns: number;
  attempts: { attempt: number; scope: string; status: string; ran: number; passed: number; failed: number; duration: string }[];
  persistent: ChangeView[];
  flakyOnRerun: ChangeView[];
  summary: string;
}

export interface ViewModel {
  iteration: number;
  status: RunStatus;
  statusLabel: string;
  interrupted: boolean;
  interruptedNote: string | null;
  header: { date: string; startTime: string; endTime: string; duration: string; environment: string; target: string };
  /** Refused settings (their defaults were used). */
  configProblems: string[];
  counts: Counts;
  stats: { passedPct: string; failedPct: string; flakyPct: string; successRate: string };
  footer: string;
  categories: CategoryView[];
  categoriesNotInRun: string | null;
  projectGroups: ProjectGroupView[];
  passingSuites: CategoryView[];
  passingSuiteTests: number;
  failures: FailureView[];
  flaky: FlakyView[];
  skipped: ReasonGroup[];
  didNotRun: ReasonGroup[];
  interruptedTests: ChangeView[];
  runErrors: string[];
  changes: {
    previousIteration: number | null;
    summary: string;
    newlyFailing: ChangeView[];
    fixed: ChangeView[];
    stillFailing: ChangeView[];
    flaky: ChangeView[];
    notReverified: ChangeView[];
  };
  trend: TrendView;
  flakiness: FlakinessView;
  performance: PerformanceView;
  contractDrift: DriftView | null;
  business: {
    /** e.g. `$295K MRR (P1–P6 all passing)`, or `none` */
    protected: string;
    atRisk: string;
    unverified: string | null;
    unweighted: string | null;
    items: WeightView[];
  };
  criticalFailures: CauseGroupView[];
  nextSteps: string[];
  loop: LoopView | null;
  duplicatesNote: string | null;
}
