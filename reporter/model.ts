/**
 * Model, the second step of the pipeline: the collected run (+ its target's earlier iterations, the root-cause
 * rules) -> the view model the templates render. Pure: no clock, no environment, no disk. The facts every section
 * reads (counts, categories, root causes, metrics) are derived once; then one builder per section of the document
 * (reporter/sections/) lays out its part, so the text cannot disagree with the run and templates only place it.
 */
import { runFacts } from './facts';
import { businessSection } from './sections/business';
import { categoriesSection } from './sections/categories';
import { changesSection } from './sections/changes';
import { criticalSection } from './sections/critical';
import { driftSection } from './sections/drift';
import { failuresSection } from './sections/failures';
import { flakinessSection } from './sections/flakiness';
import { headerSection } from './sections/header';
import { loopSection } from './sections/loop';
import { nextStepsSection } from './sections/next-steps';
import { notRunSection } from './sections/not-run';
import { performanceSection } from './sections/performance';
import { trendSection } from './sections/trend';
import type { ModelInput, ViewModel } from './view';

export type { ModelInput, ViewModel } from './view';
export { parseAmount, sumWeights } from './sections/business';

export function buildViewModel(input: ModelInput): ViewModel {
  const facts = runFacts(input);
  return {
    ...headerSection(facts),
    ...categoriesSection(facts),
    ...failuresSection(facts),
    ...notRunSection(facts),
    ...driftSection(facts),
    ...loopSection(facts),
    ...changesSection(facts),
    ...trendSection(facts),
    ...flakinessSection(facts),
    ...performanceSection(facts),
    ...businessSection(facts),
    ...criticalSection(facts),
    ...nextStepsSection(facts),
  };
}
