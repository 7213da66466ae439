/**
 * The agents' catalog and content (contract §4 "Agent content"): which tools each type uses, what it thinks,
 * what it answers and what `result` holds. Everything is a pure function of (type, request text, faults,
 * latitudes), so a run's frames are reproducible; only timing fields are filled in when the run is played
 * (see runs.ts).
 */
import { randomBytes } from 'node:crypto';
import type { FaultSet } from './faults';
import type { LatitudeSet } from './latitudes';

export const AGENT_TYPES = ['triage', 'data', 'optimization', 'supervisor'] as const;
export type AgentType = (typeof AGENT_TYPES)[number];
type SubAgent = Exclude<AgentType, 'supervisor'>;

export const isAgentType = (v: unknown): v is AgentType => typeof v === 'string' && (AGENT_TYPES as readonly string[]).includes(v);

const SUB_AGENT_TOOLS: Record<SubAgent, string[]> = {
  triage: ['intent_classifier'],
  data: ['data_query', 'metrics_aggregator'],
  optimization: ['cost_analyzer', 'recommendation_engine'],
};

export const CATALOG: Record<AgentType, { name: string; description: string; tools: string[] }> = {
  triage: {
    name: 'Triage Agent',
    description: 'Classifies a request and decides which agents should handle it.',
    tools: SUB_AGENT_TOOLS.triage,
  },
  data: {
    name: 'Data Agent',
    description: 'Queries usage data and aggregates metrics (latency, throughput, spend).',
    tools: SUB_AGENT_TOOLS.data,
  },
  optimization: {
    name: 'Optimization Agent',
    description: 'Analyses cost and recommends changes that lower spend without hurting quality.',
    tools: SUB_AGENT_TOOLS.optimization,
  },
  supervisor: {
    name: 'Supervisor Agent',
    description: 'Orchestrates triage, data and optimization agents and writes the combined answer.',
    tools: [...SUB_AGENT_TOOLS.triage, ...SUB_AGENT_TOOLS.data, ...SUB_AGENT_TOOLS.optimization],
  },
};

const TOOL_DESCRIPTIONS: Record<string, string> = {
  intent_classifier: 'Classifies what a request asks for.',
  data_query: 'Reads usage records for a period.',
  metrics_aggregator: 'Aggregates usage metrics per model.',
  cost_analyzer: 'Prices usage per model.',
  recommendation_engine: 'Ranks changes by their impact.',
  docs_search: 'Searches the platform documentation.',
};

/** The tool-objects latitude's form of a tool list. */
export const toolObjects = (names: readonly string[]) => names.map((name) => ({ name, description: TOOL_DESCRIPTIONS[name] ?? name }));

/** §4 topics: matched case-insensitively anywhere in the request text. */
interface Topics {
  cost: boolean;
  anomaly: boolean;
  capacity: boolean;
}

function topicsOf(text: string): Topics {
  const t = text.toLowerCase();
  return { cost: t.includes('cost') || t.includes('saving'), anomaly: t.includes('anomal'), capacity: t.includes('capacity') };
}

function intentOf(topics: Topics): string {
  if (topics.cost) return 'cost_optimization';
  if (topics.anomaly) return 'anomaly_detection';
  if (topics.capacity) return 'capacity_planning';
  return 'usage_analysis';
}

const MONTHLY_SPEND_USD = 12_840;
const SAVINGS_USD = 3_852;

/** The result fields the topics call for (data, optimization and supervisor runs). */
function topicResult(topics: Topics, faults: FaultSet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (topics.cost && !faults.has('savings-missing')) out.estimated_monthly_savings = SAVINGS_USD;
  if (topics.anomaly) {
    out.anomalies = [
      { metric: 'p95_latency_ms', model: 'gpt-4o', observed: 2140, expected: 820, severity: 'high', window: 'last 7 days' },
      { metric: 'daily_spend_usd', model: 'claude-3-haiku', observed: 612, expected: 410, severity: 'medium', window: 'last 7 days' },
    ];
  }
  if (topics.capacity) out.capacity_forecast = { horizon_days: 90, projected_utilization: 0.82, current_utilization: 0.64 };
  return out;
}

/** minimal-content's result: the topic fields the contract asks for, with other values than the default's and nothing else. */
function floorResult(topics: Topics, faults: FaultSet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (topics.cost && !faults.has('savings-missing')) out.estimated_monthly_savings = 1250;
  if (topics.anomaly) out.anomalies = [{ metric: 'daily_cost_usd' }];
  if (topics.capacity) out.capacity_forecast = { horizon_days: 30, projected_utilization: 0.7 };
  return out;
}

/** The §4 topic words in the order the request first uses them, and how minimal-content writes each. */
const TOPIC_WORDS: Record<string, string> = { cost: 'cost', saving: 'saving', anomal: 'anomalies', capacity: 'capacity' };

/**
 * minimal-content's final_response: >= 100 characters, every topic word of the request, no quote of the request and
 * none of the words the default answer adds (spend, latency, usage, utilization, growth, request, volume, model).
 */
function floorAnswer(type: AgentType, request: string): string {
  const text = request.toLowerCase();
  const words = Object.keys(TOPIC_WORDS)
    .filter((w) => text.includes(w))
    .sort((a, b) => text.indexOf(a) - text.indexOf(b))
    .map((w) => TOPIC_WORDS[w]);
  const covered = words.length > 0 ? ` It covered ${listOf(words)}.` : '';
  return `The ${type} agent finished its work and checked each point it was given.${covered} Details of every finding are in the result.`;
}

/** Sentences that name every topic word of the request ("cost", "saving", "anomal", "capacity"). */
function topicSentences(topics: Topics, faults: FaultSet): string[] {
  const s: string[] = [];
  if (topics.cost) {
    s.push(
      faults.has('savings-missing')
        ? 'Cost: routing simple prompts to a smaller model and caching repeats are the main savings levers.'
        : `Cost: monthly spend is $${MONTHLY_SPEND_USD.toLocaleString('en-US')}; routing simple prompts to a smaller model ` +
            `and caching repeats gives estimated savings of $${SAVINGS_USD.toLocaleString('en-US')} per month.`,
    );
  }
  if (topics.anomaly)
    s.push('Anomalies: 2 anomalies found in the last 7 days, a p95 latency spike on gpt-4o and a daily spend jump on claude-3-haiku.');
  if (topics.capacity)
    s.push('Capacity: at the current growth rate utilization reaches 82% within 90 days, so plan extra capacity before then.');
  return s;
}

const REASONING: Record<SubAgent, string> = {
  triage: 'Reading the request to classify its intent and decide which agents should handle it.',
  data: 'Choosing which usage data to query and which metrics to aggregate for this request.',
  optimization: 'Pricing current usage per model and ranking changes that lower cost without hurting quality.',
};

/** multi-thinking's second thought of each agent. */
const SECOND_THOUGHT: Record<SubAgent, string> = {
  triage: 'Checking the classification against the topics the request names before routing it.',
  data: 'Planning the query order so the aggregation reads each usage record once.',
  optimization: 'Comparing each candidate change with the quality it must keep before ranking it.',
};

/** supervisor-thinks: the supervisor's own thought before it delegates. */
const SUPERVISOR_REASONING = 'Planning the delegation: triage first, then data, then optimization, and one combined answer.';

const RECOMMENDATIONS = [
  { action: 'Route short, simple prompts to a smaller model', impact: 'high' },
  { action: 'Cache responses to repeated prompts', impact: 'medium' },
  { action: 'Batch non-urgent jobs off-peak', impact: 'low' },
];

function toolCall(
  tool: string,
  excerpt: string,
  topics: Topics,
  faults: FaultSet,
): { parameters: Record<string, unknown>; results: Record<string, unknown> } {
  switch (tool) {
    case 'intent_classifier':
      return { parameters: { text: excerpt }, results: { intent: intentOf(topics), confidence: 0.92 } };
    case 'data_query':
      return {
        parameters: { source: 'usage_metrics', period_days: 30 },
        results: { rows: 1440, source: 'usage_metrics', period_days: 30 },
      };
    case 'metrics_aggregator':
      return {
        parameters: { metrics: ['latency_ms', 'requests', 'spend_usd'], group_by: 'model' },
        results: { avg_latency_ms: 412, p95_latency_ms: 1180, requests_per_day: 48_200, monthly_spend_usd: MONTHLY_SPEND_USD },
      };
    case 'cost_analyzer':
      return { parameters: { period_days: 30 }, results: { monthly_spend_usd: MONTHLY_SPEND_USD, top_cost_driver: 'gpt-4o' } };
    default: {
      const results: Record<string, unknown> = { recommendations: RECOMMENDATIONS.length };
      if (topics.cost && !faults.has('savings-missing')) results.estimated_monthly_savings = SAVINGS_USD;
      return { parameters: { objective: intentOf(topics) }, results };
    }
  }
}

const listOf = (items: string[]) => (items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}` : items.join(''));

const AGENT_SUMMARY: Record<AgentType, (topics: Topics, agents: SubAgent[]) => string> = {
  triage: (t) =>
    `Triage classified the request as ${intentOf(t).replace('_', ' ')} with confidence 0.92 ` +
    'and routed it to the data and optimization agents.',
  data: () =>
    'Data analysis complete: data_query read 1,440 hourly usage records for the last 30 days and metrics_aggregator ' +
    'summarised latency, requests and spend per model (average latency 412 ms, p95 1,180 ms).',
  optimization: () =>
    'Optimization review complete: cost_analyzer priced usage per model and recommendation_engine ranked 3 changes by ' +
    'impact: route simple prompts to a smaller model, cache repeated prompts, batch off-peak jobs.',
  supervisor: (t, agents) =>
    `Supervisor summary: ${listOf(agents.map((a) => `the ${a} agent`))} handled the request ` +
    `(intent ${intentOf(t).replace('_', ' ')}); usage metrics for the last 30 days were analysed and 3 recommendations ranked by impact.`,
};

/** A run event before timing: the type, which agent sends it, and the type's own fields. */
export interface PlannedEvent {
  agent: AgentType;
  type: string;
  fields: Record<string, unknown>;
}

export interface Plan {
  /** Everything between agent_started and agent_completed. */
  middle: PlannedEvent[];
  finalResponse: string;
  result: Record<string, unknown>;
  toolsUsed: string[];
}

const CHUNK_GRAPHEMES = 120;
const EXCERPT_GRAPHEMES = 160;
const SEGMENTER = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** User-perceived characters: cutting between them never splits a surrogate pair or an emoji sequence. */
const graphemes = (text: string) => Array.from(SEGMENTER.segment(text), (s) => s.segment);

/** small-chunks: code points, which may split an emoji sequence but never a surrogate pair. */
const SMALL_CHUNK_CODE_POINTS = 8;

function chunk(units: string[], size: number): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < units.length; i += size) chunks.push(units.slice(i, i + size).join(''));
  return chunks;
}

function excerptOf(text: string): string {
  const all = graphemes(text.trim());
  return all.length > EXCERPT_GRAPHEMES ? `${all.slice(0, EXCERPT_GRAPHEMES).join('')}…` : all.join('');
}

/** One (sub-)agent's tool pairs: each tool_executing followed by its tool_completed, or (overlapping-tools) all calls first. */
function toolEvents(agent: SubAgent, excerpt: string, topics: Topics, faults: FaultSet, latitudes: LatitudeSet): PlannedEvent[] {
  const tools = SUB_AGENT_TOOLS[agent];
  const calls = latitudes.has('repeated-tool') ? [tools[0], ...tools] : tools;
  const executing: PlannedEvent[] = [];
  const completed: PlannedEvent[] = [];
  for (const tool of calls) {
    const executionId = `exec_${randomBytes(8).toString('hex')}`;
    const call = toolCall(tool, excerpt, topics, faults);
    const results = latitudes.has('minimal-content') ? {} : call.results;
    executing.push({ agent, type: 'tool_executing', fields: { tool_name: tool, parameters: call.parameters, execution_id: executionId } });
    completed.push({
      agent,
      type: faults.has('tool-completed-renamed') ? 'tool_result' : 'tool_completed',
      fields: { tool_name: tool, execution_id: executionId, results, duration: 0, success: true },
    });
  }
  if (latitudes.has('overlapping-tools')) return [...executing, ...completed.reverse()];
  return executing.flatMap((e, i) => [e, completed[i]]);
}

export function planRun(type: AgentType, request: string, faults: FaultSet, latitudes: LatitudeSet): Plan {
  const topics = topicsOf(request);
  const excerpt = excerptOf(request);
  const minimal = latitudes.has('minimal-content');
  const agents: SubAgent[] =
    type === 'supervisor'
      ? faults.has('supervisor-skips-data')
        ? ['triage', 'optimization']
        : ['triage', 'data', 'optimization']
      : [type];

  const middle: PlannedEvent[] = [];
  if (type === 'supervisor' && latitudes.has('supervisor-thinks') && !faults.has('agent-thinking-dropped'))
    middle.push({ agent: 'supervisor', type: 'agent_thinking', fields: { reasoning: SUPERVISOR_REASONING } });
  for (const agent of agents) {
    const thoughts = latitudes.has('multi-thinking') ? [REASONING[agent], SECOND_THOUGHT[agent]] : [REASONING[agent]];
    const thinking: PlannedEvent[] = faults.has('agent-thinking-dropped')
      ? []
      : thoughts.map((reasoning) => ({ agent, type: 'agent_thinking', fields: { reasoning } }));
    const tools = toolEvents(agent, excerpt, topics, faults, latitudes);
    middle.push(...(faults.has('thinking-after-tools') ? [...tools, ...thinking] : [...thinking, ...tools]));
  }
  let step = 0;
  for (const e of middle) if (e.type === 'agent_thinking') e.fields.step_number = ++step;
  const toolsUsed = middle.filter((e) => e.type === 'tool_executing').map((e) => e.fields.tool_name as string);

  const finalResponse = faults.has('short-answers')
    ? 'Done. The analysis finished; see the result for details.'
    : minimal
      ? floorAnswer(type, request)
      : [`Request: "${excerpt}".`, AGENT_SUMMARY[type](topics, agents), ...topicSentences(topics, faults)].join(' ');
  let chunks = latitudes.has('small-chunks')
    ? chunk(Array.from(finalResponse), SMALL_CHUNK_CODE_POINTS)
    : chunk(graphemes(finalResponse), CHUNK_GRAPHEMES);
  if (faults.has('chunks-mismatch') && chunks.length > 1) chunks = chunks.slice(0, -1);
  chunks.forEach((content, i) => middle.push({ agent: type, type: 'stream_chunk', fields: { content, chunk_index: i } }));

  const result: Record<string, unknown> = minimal
    ? type === 'triage'
      ? {}
      : floorResult(topics, faults)
    : type === 'triage'
      ? { intent: intentOf(topics), confidence: 0.92 }
      : type === 'data'
        ? {
            records_analyzed: 1440,
            period_days: 30,
            metrics: toolCall('metrics_aggregator', excerpt, topics, faults).results,
            ...topicResult(topics, faults),
          }
        : type === 'optimization'
          ? { recommendations: RECOMMENDATIONS, ...topicResult(topics, faults) }
          : { intent: intentOf(topics), delegated_to: agents, recommendations: RECOMMENDATIONS, ...topicResult(topics, faults) };

  return { middle, finalResponse, result, toolsUsed };
}
