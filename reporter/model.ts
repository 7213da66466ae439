/**
 * Model: RunData (+ previous iterations, root-cause rules) -> the view model the templates render. Pure: no clock,
 * no environment, no disk. Every number in the document is computed here from the test records, so the text cannot
 * disagree with the run; templates only lay it out.
 */
import { buildBusiness } from './business';
import { buildCategories, categoryLabels } from './categories';
import { computeCounts } from './counts';
import { compileRules, explain, type Cause, type CompiledRule } from './diagnosis';
import { code, duration, fenced, formatRate, inline, isoDate, isoTime, percent, plural, rate } from './format';
import { diffRuns, type TestChange } from './history';
import type { Counts, RootCauseRule, RunStatus, TestRecord } from './types';
import type {
  CauseGroupView,
  CauseView,
  ChangeView,
  FailureView,
  FlakyView,
  LoopView,
  ModelInput,
  ReasonGroup,
  TrendRow,
  ViewModel,
} from './view';

export type {
  CategoryView,
  CauseGroupView,
  CauseView,
  ChangeView,
  FailureView,
  FlakyView,
  LoopView,
  ModelInput,
  ProjectGroupView,
  ReasonGroup,
  TrendRow,
  ViewModel,
  WeightView,
} from './view';
export { parseAmount, sumWeights } from './business';

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

function label(test: TestRecord, multiProject: boolean): string {
  const where = code(`${test.file}:${test.line}`);
  return `**${inline(test.title)}** — ${where}${multiProject ? ` [${inline(test.project)}]` : ''}`;
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
  const rules: CompiledRule[] =
    input.rules.length && 'regex' in input.rules[0] ? (input.rules as CompiledRule[]) : compileRules(input.rules as RootCauseRule[]);
  const tests = run.tests;
  const counts = computeCounts(tests);
  const multiProject = new Set(tests.map((t) => t.project)).size > 1;

  const { groupOfTest: groupKeyOf, categories, viewByKey, projectGroups, notInRun } = buildCategories(run);
  const weightOf = (setting?: string) => (setting ? (run.weights[setting] ?? null) : null);
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
    const reruns = t.reruns?.length
      ? `failed again in ${plural(t.reruns.length, 're-run')} (${t.reruns.map((r) => `attempt ${r.attempt}: ${STATUS_WORDS[r.status]}`).join(', ')})`
      : null;
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
    newlyFailing: diff.newlyFailing
      .sort(byPlaceChange)
      .map((c) => changeView(c, multiProject, c.previous ? `was ${STATUS_WORDS[c.previous]}` : 'new test')),
    fixed: diff.fixed
      .sort(byPlaceChange)
      .map((c) => changeView(c, multiProject, c.test?.status === 'flaky' ? 'passes now, but flaky' : 'passes now')),
    stillFailing: diff.stillFailing
      .sort(byPlaceChange)
      .map((c) =>
        changeView(c, multiProject, `failing since iteration ${c.failingSince}${c.test ? ` — ${causes.get(c.test)?.title ?? ''}` : ''}`),
      ),
    flaky: diff.flaky
      .sort(byPlaceChange)
      .map((c) =>
        changeView(
          c,
          multiProject,
          c.previous === 'flaky' ? 'flaky last time too' : c.previous ? `was ${STATUS_WORDS[c.previous]}` : 'new test',
        ),
      ),
    notReverified: diff.notReverified
      .sort(byPlaceChange)
      .map((c) =>
        changeView(c, multiProject, c.test ? `failed last time, ${STATUS_WORDS[c.test.status]} now` : 'failed last time, not in this run'),
      ),
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

  const business = buildBusiness(run, categories, viewByKey);

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
    const step =
      g.cause.nextStep ??
      `Investigate ${g.tests
        .map((t) => code(`${t.file}:${t.line}`))
        .slice(0, 3)
        .join(', ')}: no diagnosis or known error shape explains it.`;
    nextSteps.push(`**${g.cause.title}** (${plural(g.tests.length, 'test')}): ${step}`);
  }
  if (failed.length) {
    nextSteps.push(
      'Re-run only the failures after the fix: `npm run iterate -- --max 2` (tells persistent failures from flaky ones) or `npx playwright test --last-failed`.',
    );
  }
  if (flakyTests.length)
    nextSteps.push(
      `Stabilise ${plural(flakyTests.length, 'flaky test')}: ${flakyTests
        .slice(0, 5)
        .map((t) => inline(t.title))
        .join(', ')}${flakyTests.length > 5 ? ', …' : ''}.`,
    );
  for (const r of didNotRun) {
    if (r.reason.startsWith('dependency project'))
      nextSteps.push(`Fix the ${r.reason.replace(/ failed$/, '')}: ${plural(r.count, 'test')} depending on it did not run.`);
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
      .map((t) => ({
        label: label(t, multiProject),
        note: `failed in all ${t.reruns!.length + 1} attempts — ${causes.get(t)?.title ?? ''}`,
      }));
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
