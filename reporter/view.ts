/** The view model: what the templates render. Plain data; built by model.ts. */
import type { Cause, CompiledRule } from './diagnosis';
import type { Counts, HistoryEntry, RootCauseRule, RunData, RunStatus } from './types';

export interface ModelInput {
  run: RunData;
  iteration: number;
  /** Earlier iterations, oldest first (not including this one). */
  history: readonly HistoryEntry[];
  rules: readonly RootCauseRule[] | readonly CompiledRule[];
  /** Iterations shown in the trend, this one included. */
  trendLength?: number;
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
  current: boolean;
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
  trend: { line: string; rows: TrendRow[] };
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
