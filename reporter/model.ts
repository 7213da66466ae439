/**
 * Model: RunData (+ previous iterations, root-cause rules) -> the view model the templates render. Pure: no clock,
 * no environment, no disk. Every number in the document is computed here from the test records, so the text cannot
 * disagree with the run; templates only lay it out.
 */
import { CATEGORIES, type Category } from '../fixtures/categories';
import { computeCounts } from './counts';
import { compileRules, explain, type Cause, type CompiledRule } from './diagnosis';
import { code, compressKeys, duration, fenced, formatRate, inline, isoDate, isoTime, percent, plural, rate } from './format';
import { diffRuns, type TestChange } from './history';
import type { Counts, HistoryEntry, RootCauseRule, RunData, RunStatus, TestRecord } from './types';

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

interface Group {
  key: string;
  title: string;
  project: string;
  order: number;
  weightSetting?: string;
  tests: TestRecord[];
}

const PROJECT_TITLES: Record<Category['project'], string> = {
  priority: 'Priority Tests (P1–P6)',
  core: 'Core Staging Tests (1–10)',
  'agent-execution': 'Real Agent Execution',
  connectivity: 'Connectivity Validation',
  auth: 'Auth & Security',
};

/** `P1–P6, Real Agent Execution`; a whole project's categories by the project's title. */
function categoryLabels(cats: Category[]): string {
  const unique = [...new Map(cats.map((c) => [c.key, c])).values()];
  const labels: string[] = [];
  const pKeys = unique.filter((c) => /^P\d$/.test(c.key)).map((c) => c.key);
  if (pKeys.length === 1) labels.push(unique.find((c) => c.key === pKeys[0])!.title);
  else if (pKeys.length) labels.push(compressKeys(pKeys));
  const rest = unique.filter((c) => !/^P\d$/.test(c.key));
  const byProject = new Map<string, Category[]>();
  for (const c of rest) byProject.set(c.project, [...(byProject.get(c.project) ?? []), c]);
  for (const [project, list] of byProject) {
    const all = CATEGORIES.filter((c) => c.project === project);
    if (list.length === all.length && all.length > 1) labels.push(PROJECT_TITLES[project as Category['project']]);
    else labels.push(...list.map((c) => c.title));
  }
  return labels.join(', ');
}

const STATUS_LABELS: Record<RunStatus, string> = {
  passed: '✅ PASSED',
  failed: '❌ FAILED',
  interrupted: '⚠️ INTERRUPTED',
  timedout: '⚠️ INTERRUPTED (global timeout)',
};

const SOURCE_LABELS: Record<Cause['source'], string> = {
  diagnosis: 'fixture diagnosis',
  rule: 'known error shape',
  none: 'not diagnosed',
};

const categoryIndex = new Map(CATEGORIES.map((c, i) => [c.title, { category: c, order: i }]));

function groupOf(test: TestRecord, setupProjects: ReadonlySet<string>): Omit<Group, 'tests'> {
  const known = test.describe !== undefined ? categoryIndex.get(test.describe) : undefined;
  if (known) {
    return { key: known.category.key, title: known.category.title, project: known.category.project, order: known.order, weightSetting: known.category.weightSetting };
  }
  const title = test.describe ?? (setupProjects.has(test.project) ? `Setup (project "${test.project}")` : `${test.project || 'default'} (no category)`);
  return { key: `other:${title}`, title, project: test.project, order: CATEGORIES.length };
}

function label(test: TestRecord, multiProject: boolean): string {
  const where = code(`${test.file}:${test.line}`);
  return `**${inline(test.title)}** — ${where}${multiProject ? ` [${inline(test.project)}]` : ''}`;
}

function categoryState(c: Counts): CategoryView['state'] {
  if (c.failed > 0) return 'failing';
  if (c.ran === 0) return 'not-run';
  if (c.didNotRun > 0 || c.interrupted > 0) return 'incomplete';
  return 'passing';
}

function breakdown(c: Counts): string {
  const parts = [`${c.passed} passed`];
  if (c.flaky) parts.push(`${c.flaky} flaky`);
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  if (c.interrupted) parts.push(`${c.interrupted} interrupted`);
  if (c.didNotRun) parts.push(`${c.didNotRun} did not run`);
  return parts.join(', ');
}

function categoryStatus(c: Counts, state: CategoryView['state']): string {
  const extras: string[] = [];
  if (c.flaky) extras.push(`${c.flaky} flaky`);
  if (c.skipped) extras.push(`${c.skipped} skipped`);
  if (c.interrupted) extras.push(`${c.interrupted} interrupted`);
  if (c.didNotRun) extras.push(`${c.didNotRun} did not run`);
  const tail = extras.length ? `; ${extras.join(', ')}` : '';
  switch (state) {
    case 'failing':
      return `❌ ${c.failed} FAILED (${c.passing}/${c.ran} passed${tail})`;
    case 'passing':
      return `✅ ALL PASSED (${c.passing}/${c.ran}${tail})`;
    case 'incomplete':
      return `⚠️ INCOMPLETE (${c.passing}/${c.ran} passed${tail})`;
    case 'not-run':
      return `⏭️ NOT RUN (${extras.join(', ') || 'no tests'})`;
  }
}

interface Amount {
  prefix: string;
  value: number;
  unit: string;
}

/** `$120K MRR` -> { prefix: '$', value: 120000, unit: 'MRR' }; undefined when the text is not an amount. */
export function parseAmount(text: string): Amount | undefined {
  const m = /^\s*([$€£]?)\s*(\d+(?:[.,]\d+)?)\s*([KkMmBb]?)\+?\s*(.*?)\s*$/.exec(text);
  if (!m) return undefined;
  const mult = { '': 1, k: 1e3, m: 1e6, b: 1e9 }[m[3].toLowerCase()] ?? 1;
  return { prefix: m[1], value: Number(m[2].replace(',', '.')) * mult, unit: m[4] };
}

function formatAmount(a: Amount): string {
  const scaled = (n: number, s: string) => `${Number(n.toFixed(1))}${s}`;
  const v = a.value >= 1e9 ? scaled(a.value / 1e9, 'B') : a.value >= 1e6 ? scaled(a.value / 1e6, 'M') : a.value >= 1e3 ? scaled(a.value / 1e3, 'K') : String(a.value);
  return `${a.prefix}${v}${a.unit ? ` ${a.unit}` : ''}`;
}

/** Sums weights per currency and unit (`$295K MRR + $500K ARR`); text that is not an amount is listed as is. */
export function sumWeights(values: string[]): string {
  if (!values.length) return 'none';
  const sums = new Map<string, Amount>();
  const other: string[] = [];
  for (const v of values) {
    const a = parseAmount(v);
    if (!a) {
      other.push(v);
      continue;
    }
    const k = `${a.prefix}|${a.unit}`;
    const s = sums.get(k);
    if (s) s.value += a.value;
    else sums.set(k, { ...a });
  }
  return [...[...sums.values()].map(formatAmount), ...other].join(' + ');
}

function causeView(cause: Cause): CauseView {
  let details: string | null = null;
  if ('details' in cause && cause.details && Object.keys(cause.details).length) {
    const json = JSON.stringify(cause.details);
    details = json.length > 400 ? `${json.slice(0, 399)}…` : json;
  }
  return {
    source: cause.source,
    sourceLabel: cause.ruleId ? `${SOURCE_LABELS.rule}: ${cause.ruleId}` : SOURCE_LABELS[cause.source],
    title: cause.title,
    rootCause: cause.rootCause,
    impact: cause.impact,
    nextStep: cause.nextStep ?? null,
    details,
  };
}

function attemptsText(t: TestRecord): string {
  const statuses = t.attempts.map((a) => (a.status === 'timedOut' ? 'timed out' : a.status));
  return `${plural(statuses.length, 'attempt')}: ${statuses.join(', ') || 'none'}`;
}

function reasonGroups(tests: TestRecord[], reasonOf: (t: TestRecord) => string, multiProject: boolean): ReasonGroup[] {
  const groups = new Map<string, TestRecord[]>();
  for (const t of tests) {
    const r = reasonOf(t);
    groups.set(r, [...(groups.get(r) ?? []), t]);
  }
  return [...groups.entries()]
    .map(([reason, list]) => {
      const shown = list.slice(0, 10).map((t) => inline(t.title) + (multiProject ? ` [${inline(t.project)}]` : ''));
      const more = list.length > shown.length ? `, and ${list.length - shown.length} more` : '';
      return { reason: inline(reason), count: list.length, tests: shown.join(', ') + more };
    })
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

function changeView(change: TestChange, multiProject: boolean, note: string): ChangeView {
  return { label: change.test ? label(change.test, multiProject) : code(change.key), note };
}

const STATUS_WORDS: Record<string, string> = {
  passed: 'passed',
  failed: 'failed',
  flaky: 'flaky',
  skipped: 'skipped',
  interrupted: 'interrupted',
  'did-not-run': 'did not run',
};

export function buildViewModel(input: ModelInput): ViewModel {
  const { run, iteration, history } = input;
  const rules: CompiledRule[] = input.rules.length && 'regex' in input.rules[0] ? (input.rules as CompiledRule[]) : compileRules(input.rules as RootCauseRule[]);
  const tests = run.tests;
  const counts = computeCounts(tests);
  const multiProject = new Set(tests.map((t) => t.project)).size > 1;
  const setupProjects = new Set(run.setupProjects ?? []);

  // --- categories ------------------------------------------------------------------------------------------
  const groups = new Map<string, Group>();
  const groupKeyOf = new Map<TestRecord, Group>();
  for (const t of tests) {
    const g0 = groupOf(t, setupProjects);
    let g = groups.get(g0.key);
    if (!g) {
      g = { ...g0, tests: [] };
      groups.set(g.key, g);
    }
    g.tests.push(t);
    groupKeyOf.set(t, g);
  }
  const orderedGroups = [...groups.values()].sort((a, b) => a.order - b.order || a.title.localeCompare(b.title));
  const weightOf = (setting?: string) => (setting ? (run.weights[setting] ?? null) : null);
  const categories: CategoryView[] = orderedGroups.map((g) => {
    const c = computeCounts(g.tests);
    const state = categoryState(c);
    return {
      key: g.key,
      title: g.title,
      project: g.project,
      weight: weightOf(g.weightSetting),
      counts: c,
      state,
      passRate: percent(c.passing, c.ran),
      status: categoryStatus(c, state),
      breakdown: breakdown(c),
    };
  });
  const viewByKey = new Map(categories.map((c) => [c.key, c]));
  const notInRun = CATEGORIES.filter((c) => !groups.has(c.key));

  const projectGroups: ProjectGroupView[] = [];
  const byProject = new Map<string, TestRecord[]>();
  const projectTitle = new Map<string, string>();
  for (const g of orderedGroups) {
    const known = g.order < CATEGORIES.length;
    const pk = known ? `known:${g.project}` : `other:${g.title}`;
    projectTitle.set(pk, known ? PROJECT_TITLES[g.project as Category['project']] : g.title);
    byProject.set(pk, [...(byProject.get(pk) ?? []), ...g.tests]);
  }
  for (const [pk, list] of byProject) {
    const c = computeCounts(list);
    const state = categoryState(c);
    const icon = { passing: '✅', failing: '❌', incomplete: '⚠️', 'not-run': '⏭️' }[state];
    const line =
      c.failed === 0 && c.flaky === 0 && c.skipped === 0 && c.didNotRun === 0 && c.interrupted === 0
        ? `${c.passing}/${c.ran} PASSED ${icon}`
        : `${breakdown(c).toUpperCase()} ${icon}`;
    projectGroups.push({ title: projectTitle.get(pk)!, line });
  }

  const passingSuites = categories.filter((c) => c.state === 'passing');

  // --- failures -----------------------------------------------------------------------------------------------
  const sortKey = (t: TestRecord) => groupKeyOf.get(t)!.order;
  const byPlace = (a: TestRecord, b: TestRecord) =>
    sortKey(a) - sortKey(b) || a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.key.localeCompare(b.key);
  const failed = tests.filter((t) => t.status === 'failed').sort(byPlace);
  const causes = new Map<TestRecord, Cause>();
  for (const t of failed) causes.set(t, explain(t, rules));
  const failures: FailureView[] = failed.map((t, i) => {
    const cause = causes.get(t)!;
    const g = groupKeyOf.get(t)!;
    const error = t.error?.message ?? '(no error message)';
    const reruns = t.reruns?.length ? `failed again in ${plural(t.reruns.length, 're-run')} (${t.reruns.map((r) => `attempt ${r.attempt}: ${STATUS_WORDS[r.status]}`).join(', ')})` : null;
    return {
      number: i + 1,
      title: inline(t.title),
      fullTitle: inline(t.titlePath.join(' › ')),
      project: t.project,
      location: code(`${t.file}:${t.line}`),
      errorLocation: t.error?.location ? code(t.error.location) : null,
      category: g.title,
      weight: viewByKey.get(g.key)?.weight ?? null,
      timedOut: t.timedOut,
      error,
      errorBlock: fenced(error),
      errorFirstLine: inline(error.split('\n')[0]),
      attempts: attemptsText(t),
      cause: causeView(cause),
      rerun: reruns,
    };
  });

  const flakyTests = tests.filter((t) => t.status === 'flaky').sort(byPlace);
  const flaky: FlakyView[] = flakyTests.map((t) => {
    const g = groupKeyOf.get(t)!;
    const passedRerun = t.reruns?.find((r) => r.status === 'passed' || r.status === 'flaky');
    const failedRetries = t.attempts.filter((a) => a.status !== 'passed' && a.status !== 'skipped').length;
    const note = passedRerun
      ? `failed in the full run, passed when re-run (attempt ${passedRerun.attempt})`
      : `failed ${plural(failedRetries, 'time')}, then passed on retry ${t.attempts.findIndex((a) => a.status === 'passed')}`;
    const cause = t.error || t.diagnosis ? explain(t, rules) : undefined;
    return {
      title: inline(t.title),
      location: code(`${t.file}:${t.line}`) + (multiProject ? ` [${inline(t.project)}]` : ''),
      category: g.title,
      note,
      error: inline((t.error?.message ?? '').split('\n')[0] || '(no error message)'),
      cause: cause ? cause.title : 'not diagnosed',
    };
  });

  const skipped = reasonGroups(
    tests.filter((t) => t.status === 'skipped').sort(byPlace),
    (t) => t.skipReason ?? 'no reason given',
    multiProject,
  );
  const didNotRun = reasonGroups(
    tests.filter((t) => t.status === 'did-not-run').sort(byPlace),
    (t) => t.notRunReason ?? 'not run',
    multiProject,
  );
  const interruptedTests = tests
    .filter((t) => t.status === 'interrupted')
    .sort(byPlace)
    .map((t) => ({ label: label(t, multiProject), note: 'was running when the run stopped; no verdict' }));

  // --- changes and trend ---------------------------------------------------------------------------------------
  const diff = diffRuns(history, tests);
  const byPlaceChange = (a: TestChange, b: TestChange) =>
    a.test && b.test ? byPlace(a.test, b.test) : a.test ? -1 : b.test ? 1 : a.key.localeCompare(b.key);
  const changes: ViewModel['changes'] = {
    previousIteration: diff.previousIteration,
    summary: '',
    newlyFailing: diff.newlyFailing.sort(byPlaceChange).map((c) => changeView(c, multiProject, c.previous ? `was ${STATUS_WORDS[c.previous]}` : 'new test')),
    fixed: diff.fixed.sort(byPlaceChange).map((c) => changeView(c, multiProject, c.test?.status === 'flaky' ? 'passes now, but flaky' : 'passes now')),
    stillFailing: diff.stillFailing
      .sort(byPlaceChange)
      .map((c) => changeView(c, multiProject, `failing since iteration ${c.failingSince}${c.test ? ` — ${causes.get(c.test)?.title ?? ''}` : ''}`)),
    flaky: diff.flaky.sort(byPlaceChange).map((c) => changeView(c, multiProject, c.previous === 'flaky' ? 'flaky last time too' : c.previous ? `was ${STATUS_WORDS[c.previous]}` : 'new test')),
    notReverified: diff.notReverified
      .sort(byPlaceChange)
      .map((c) => changeView(c, multiProject, c.test ? `failed last time, ${STATUS_WORDS[c.test.status]} now` : 'failed last time, not in this run')),
  };
  changes.summary =
    diff.previousIteration === null
      ? 'First recorded iteration: nothing to compare with.'
      : `Since iteration ${diff.previousIteration}: ${changes.newlyFailing.length} newly failing, ${changes.fixed.length} fixed, ${changes.stillFailing.length} still failing, ${changes.flaky.length} flaky${changes.notReverified.length ? `, ${changes.notReverified.length} not re-verified` : ''}.`;

  const start = new Date(run.startTime);
  const end = new Date(start.getTime() + run.durationMs);
  const currentRate = rate(counts.passing, counts.ran);
  const trendLength = input.trendLength ?? 10;
  const past = history.slice(Math.max(0, history.length - (trendLength - 1)));
  const trendRows: TrendRow[] = [];
  let prevRate: number | null = null;
  const pushRow = (iterationNo: number, startTime: string, status: RunStatus, c: Counts, r: number | null, current: boolean) => {
    const delta = r !== null && prevRate !== null ? `${r >= prevRate ? '+' : ''}${((r - prevRate) * 100).toFixed(1)} pp` : '—';
    trendRows.push({
      iteration: iterationNo,
      date: isoDate(new Date(startTime)),
      status: STATUS_LABELS[status],
      passing: `${c.passing}/${c.ran}`,
      rate: formatRate(r),
      delta,
      current,
    });
    prevRate = r ?? prevRate;
  };
  for (const e of past) pushRow(e.iteration, e.startTime, e.status, e.counts, e.successRate, false);
  pushRow(iteration, run.startTime, run.status, counts, currentRate, true);
  const trend = { line: trendRows.map((r) => `#${r.iteration} ${r.rate}`).join(' → '), rows: trendRows };

  // --- business impact -----------------------------------------------------------------------------------------
  const bySetting = new Map<string, Category[]>();
  for (const c of CATEGORIES) if (c.weightSetting) bySetting.set(c.weightSetting, [...(bySetting.get(c.weightSetting) ?? []), c]);
  const business: ViewModel['business'] = { protected: 'none', atRisk: 'none', unverified: null, unweighted: null, items: [] };
  const protectedItems: { cats: Category[]; value: string }[] = [];
  const atRiskItems: string[] = [];
  const atRiskValues: string[] = [];
  const unverifiedByNote = new Map<string, { cats: Category[]; values: string[] }>();
  for (const [setting, cats] of bySetting) {
    const value = run.weights[setting];
    if (!value) continue;
    const views = cats.map((c) => viewByKey.get(c.key));
    const name = categoryLabels(cats);
    const failing = views.filter((v): v is CategoryView => !!v && v.state === 'failing');
    if (failing.length) {
      const n = failing.reduce((s, v) => s + v.counts.failed, 0);
      atRiskItems.push(`${name} ${value}: ${plural(n, 'failing test')}${cats.length > 1 ? ` in ${failing.map((v) => v.title).join(', ')}` : ''}`);
      atRiskValues.push(value);
      business.items.push({ setting, value, categories: name, state: 'at risk' });
    } else if (views.every((v) => v?.state === 'passing')) {
      protectedItems.push({ cats, value });
      business.items.push({ setting, value, categories: name, state: 'protected' });
    } else {
      const missing = cats.filter((c) => !viewByKey.get(c.key));
      const notes: string[] = [];
      if (missing.length) notes.push(missing.length === cats.length ? 'not in this run' : `${categoryLabels(missing)} not in this run`);
      for (const v of views) if (v && v.state !== 'passing') notes.push(`${v.title} ${v.state === 'not-run' ? 'had no test run' : 'incomplete'}`);
      const note = notes.join('; ');
      const entry = unverifiedByNote.get(note) ?? { cats: [], values: [] };
      entry.cats.push(...cats);
      entry.values.push(value);
      unverifiedByNote.set(note, entry);
      business.items.push({ setting, value, categories: name, state: 'not verified' });
    }
  }
  if (protectedItems.length) {
    const cats = protectedItems.flatMap((p) => p.cats);
    business.protected = `${sumWeights(protectedItems.map((p) => p.value))} (${categoryLabels(cats)} ${cats.length > 1 ? 'all ' : ''}passing)`;
  }
  if (atRiskItems.length) business.atRisk = `${sumWeights(atRiskValues)} (${atRiskItems.join('; ')})`;
  if (unverifiedByNote.size) {
    business.unverified = [...unverifiedByNote.entries()].map(([note, e]) => `${sumWeights(e.values)} (${categoryLabels(e.cats)}: ${note})`).join('; ');
  }
  const unweighted = categories.filter((c) => !c.weight);
  business.unweighted = unweighted.length ? unweighted.map((c) => `${c.title} (${c.state === 'failing' ? `${c.counts.failed} failing` : c.state.replace('-', ' ')})`).join(', ') : null;

  // --- critical failures and next steps --------------------------------------------------------------------------
  const causeGroups = new Map<string, { cause: Cause; tests: TestRecord[] }>();
  for (const t of failed) {
    const cause = causes.get(t)!;
    const k = `${cause.source}|${cause.title}|${cause.rootCause}`;
    const entry = causeGroups.get(k);
    if (entry) entry.tests.push(t);
    else causeGroups.set(k, { cause, tests: [t] });
  }
  const criticalFailures: CauseGroupView[] = [...causeGroups.values()].map((g, i) => {
    const cats = [...new Set(g.tests.map((t) => groupKeyOf.get(t)!))];
    const weights = [...new Set(cats.map((c) => weightOf(c.weightSetting)).filter((w): w is string => !!w))];
    const shown = g.tests.slice(0, 10).map((t) => inline(t.title));
    return {
      number: i + 1,
      title: g.cause.title,
      count: g.tests.length,
      tests: shown.join(', ') + (g.tests.length > shown.length ? `, and ${g.tests.length - shown.length} more` : ''),
      categories: cats.map((c) => c.title).join(', '),
      weights: weights.length ? weights.join(' + ') : 'no business weight',
      rootCause: g.cause.rootCause,
      impact: g.cause.impact,
      sourceLabel: causeView(g.cause).sourceLabel,
    };
  });

  const nextSteps: string[] = [];
  if (run.status === 'interrupted' || run.status === 'timedout') {
    nextSteps.push(
      `Re-run the suites: this run ${run.status === 'timedout' ? 'hit the global timeout' : 'was interrupted'} and ${plural(counts.didNotRun + counts.interrupted, 'test')} got no verdict.`,
    );
  }
  for (const g of causeGroups.values()) {
    const step = g.cause.nextStep ?? `Investigate ${g.tests.map((t) => code(`${t.file}:${t.line}`)).slice(0, 3).join(', ')}: no diagnosis or known error shape explains it.`;
    nextSteps.push(`**${g.cause.title}** (${plural(g.tests.length, 'test')}): ${step}`);
  }
  if (failed.length) {
    nextSteps.push('Re-run only the failures after the fix: `npm run iterate -- --max 2` (tells persistent failures from flaky ones) or `npx playwright test --last-failed`.');
  }
  if (flakyTests.length) nextSteps.push(`Stabilise ${plural(flakyTests.length, 'flaky test')}: ${flakyTests.slice(0, 5).map((t) => inline(t.title)).join(', ')}${flakyTests.length > 5 ? ', …' : ''}.`);
  for (const r of didNotRun) {
    if (r.reason.startsWith('dependency project')) nextSteps.push(`Fix the ${r.reason.replace(/ failed$/, '')}: ${plural(r.count, 'test')} depending on it did not run.`);
  }
  for (const r of skipped) {
    nextSteps.push(
      /no reason given/.test(r.reason)
        ? `${plural(r.count, 'test')} skipped without a reason (${r.tests}): give the skip a reason or fix and enable ${r.count === 1 ? 'it' : 'them'}.`
        : `${plural(r.count, 'test')} skipped (“${r.reason}”): resolve that condition to verify ${r.count === 1 ? 'it' : 'them'}.`,
    );
  }
  if (!nextSteps.length) nextSteps.push(`None: all ${plural(counts.ran, 'test')} that ran passed.`);

  // --- loop --------------------------------------------------------------------------------------------------
  let loop: LoopView | null = null;
  if (run.loop) {
    const rerunTests = tests.filter((t) => t.reruns?.length).sort(byPlace);
    const persistent = rerunTests
      .filter((t) => t.status === 'failed')
      .map((t) => ({ label: label(t, multiProject), note: `failed in all ${t.reruns!.length + 1} attempts — ${causes.get(t)?.title ?? ''}` }));
    const flakyOnRerun = rerunTests
      .filter((t) => t.status === 'flaky')
      .map((t) => {
        const ok = t.reruns!.find((r) => r.status === 'passed' || r.status === 'flaky');
        return { label: label(t, multiProject), note: `failed in the full run, passed in attempt ${ok?.attempt ?? '?'}` };
      });
    loop = {
      maxReruns: run.loop.maxReruns,
      attempts: run.loop.attempts.map((a) => ({
        attempt: a.attempt,
        scope: a.scope === 'full' ? 'full run' : 're-run of failures (--last-failed)',
        status: STATUS_LABELS[a.status],
        ran: a.ran,
        passed: a.passed,
        failed: a.failed,
        duration: duration(a.durationMs),
      })),
      persistent,
      flakyOnRerun,
      summary: `${plural(run.loop.attempts.length, 'attempt')} (at most ${plural(run.loop.maxReruns, 're-run')}): ${plural(persistent.length, 'persistent failure')}, ${plural(flakyOnRerun.length, 'test')} passed only when re-run.`,
    };
  }

  const interrupted = run.status === 'interrupted' || run.status === 'timedout';
  const noVerdict = counts.didNotRun + counts.interrupted;
  const interruptedNote = interrupted
    ? `${run.status === 'timedout' ? 'The global timeout stopped the run' : 'The run was interrupted (Ctrl-C or a signal)'} before it finished: counts are partial — ${plural(counts.interrupted, 'test')} stopped mid-run and ${plural(counts.didNotRun, 'test')} did not run.`
    : null;

  const target =
    run.target.kind === 'embedded'
      ? `embedded reference server (${run.target.url})`
      : run.target.kind === 'staging'
        ? run.target.url!
        : 'not recorded (no STAGING_BASE_URL or HARNESS_EMBEDDED_URL in the reporter’s environment)';

  const footerExtras: string[] = [];
  if (counts.flaky) footerExtras.push(`${counts.flaky} flaky`);
  if (counts.skipped) footerExtras.push(`${counts.skipped} skipped`);
  if (noVerdict) footerExtras.push(`${noVerdict} without a verdict`);
  if (interrupted) footerExtras.push('run interrupted, counts partial');
  const footer = `${counts.passing} of ${counts.ran} tests passing (${percent(counts.passing, counts.ran)} success rate)${footerExtras.length ? ` — ${footerExtras.join(', ')}` : ''}`;

  return {
    iteration,
    status: run.status,
    statusLabel: STATUS_LABELS[run.status],
    interrupted,
    interruptedNote,
    header: {
      date: isoDate(start),
      startTime: isoTime(start),
      endTime: isoTime(end),
      duration: duration(run.durationMs),
      environment: run.target.environment,
      target,
    },
    counts,
    stats: {
      passedPct: percent(counts.passed, counts.ran),
      failedPct: percent(counts.failed, counts.ran),
      flakyPct: percent(counts.flaky, counts.ran),
      successRate: percent(counts.passing, counts.ran),
    },
    footer,
    categories,
    categoriesNotInRun: notInRun.length ? categoryLabels(notInRun) : null,
    projectGroups,
    passingSuites,
    passingSuiteTests: passingSuites.reduce((s, c) => s + c.counts.passing, 0),
    failures,
    flaky,
    skipped,
    didNotRun,
    interruptedTests,
    runErrors: run.errors,
    changes,
    trend,
    business,
    criticalFailures,
    nextSteps,
    loop,
    duplicatesNote: run.duplicates.length
      ? `${plural(run.duplicates.length, 'test')} appeared in more than one shard (setup projects run in every shard) and ${run.duplicates.length === 1 ? 'is' : 'are'} counted once.`
      : null,
  };
}
