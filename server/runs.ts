/**
 * Agent runs: validation shared by REST and WebSocket, the REST execute path (no events sent) and the WebSocket
 * path, which plays a run's events one by one with a pause between them so clients can act mid-run (stop,
 * disconnect). A run's outcome (final status, assistant message) is written when it ends, or a moment later under
 * the late-persistence latitude. Delivery (fan-out, recovery buffering) belongs to the gateway, behind the
 * EventSink interface.
 */
import { planRun, type AgentType, type Plan, type PlannedEvent } from './agents';
import type { FaultSet } from './faults';
import { isObject } from './http-util';
import type { LatitudeSet } from './latitudes';
import type { Run, RunStatus, Store, Thread } from './store';

/** Where played events go: the gateway (every open connection of the user, or the recovery buffer). */
export interface EventSink {
  deliver(userId: string, runId: string, frame: Record<string, unknown>): void;
}

export interface RunContext {
  simulateDelayMs: number;
  forceFailure: boolean;
}

const MAX_SIMULATE_DELAY_MS = 10_000;
/** late-persistence: how long after a run ends its outcome becomes visible. */
const PERSIST_LAG_MS = 400;

/** Reads `context` (and a top-level force_failure, which REST callers send): a problem text or the switches. */
export function parseRunContext(context: unknown, topLevelForceFailure?: unknown): RunContext | string {
  if (context !== undefined && context !== null && !isObject(context)) return 'context must be an object';
  const ctx = isObject(context) ? context : {};
  const delay = ctx.simulate_delay_ms ?? 0;
  if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0 || delay > MAX_SIMULATE_DELAY_MS) {
    return `context.simulate_delay_ms must be a number from 0 to ${MAX_SIMULATE_DELAY_MS}`;
  }
  return { simulateDelayMs: Math.floor(delay), forceFailure: ctx.force_failure === true || topLevelForceFailure === true };
}

export type ThreadChoice = { ok: true; thread: Thread } | { ok: false; reason: 'not_found' | 'denied' };

const titleFrom = (text: string) => {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 60 ? `${oneLine.slice(0, 60)}…` : oneLine;
};

/**
 * Milliseconds since `since` (a performance.now() reading), cut to whole microseconds. Durations use the
 * high-resolution clock so they never exceed what a client measures around them (Date.now() rounds to whole ms).
 */
const elapsedMs = (since: number) => Math.floor((performance.now() - since) * 1000) / 1000;

/** Active WebSocket runs are played by timers; the handle keeps what stop and completion need. */
interface ActiveRun {
  run: Run;
  plan: Plan;
  type: AgentType;
  thread: Thread;
  pauseMs: number;
  forceFailure: boolean;
  next: number;
  startedMs: number;
  streamed: string;
  toolStartMs: Map<string, number>;
  cancelTimer?: () => void;
}

export type StopOutcome = 'stopped' | 'RUN_NOT_FOUND' | 'RUN_NOT_ACTIVE';

export interface RestOutcome {
  ok: boolean;
  run: Run;
  plan: Plan;
  executionTimeS: number;
}

export class RunEngine {
  private readonly active = new Map<string, ActiveRun>();
  /** Outcomes still waiting out PERSIST_LAG_MS. */
  private readonly lagging = new Set<NodeJS.Timeout>();
  private sink: EventSink | undefined;

  constructor(
    private readonly store: Store,
    private readonly faults: FaultSet,
    private readonly latitudes: LatitudeSet,
    private readonly stepDelayMs: number,
  ) {}

  attach(sink: EventSink): void {
    this.sink = sink;
  }

  /** The thread a run writes to: the given one when the user may use it, else a new one titled by the request. */
  chooseThread(userId: string, threadId: unknown, request: string): ThreadChoice {
    if (threadId === undefined || threadId === null) return { ok: true, thread: this.store.createThread(userId, titleFrom(request), {}) };
    return this.store.accessThread(threadId, userId);
  }

  /** REST execute: the whole run happens inside the request; its would-be events are recorded, none are sent. */
  executeRest(userId: string, type: AgentType, request: string, thread: Thread, ctx: RunContext): RestOutcome {
    const t0 = performance.now();
    const run = this.store.createRun(userId, type, thread.id);
    this.store.addMessage(thread, 'user', request);
    const plan = planRun(type, request, this.faults, this.latitudes);
    const fail = ctx.forceFailure && !this.faults.has('force-failure-ignored');
    const events = fail ? ['agent_started', 'agent_error'] : ['agent_started', ...plan.middle.map((e) => e.type), 'agent_completed'];
    if (!this.latitudes.has('rest-events-empty')) run.events.push(...events);
    this.persist(run, thread, fail ? 'failed' : 'completed', plan.finalResponse);
    return { ok: !fail, run, plan, executionTimeS: elapsedMs(t0) / 1000 };
  }

  /** WebSocket run: records the user message, sends agent_started now and the rest on timers. */
  startWs(userId: string, type: AgentType, request: string, thread: Thread, ctx: RunContext): Run {
    const run = this.store.createRun(userId, type, thread.id);
    this.store.addMessage(thread, 'user', request);
    const handle: ActiveRun = {
      run,
      plan: planRun(type, request, this.faults, this.latitudes),
      type,
      thread,
      pauseMs: Math.max(this.stepDelayMs, ctx.simulateDelayMs),
      forceFailure: ctx.forceFailure && !this.faults.has('force-failure-ignored'),
      next: 0,
      startedMs: performance.now(),
      streamed: '',
      toolStartMs: new Map(),
    };
    this.active.set(run.run_id, handle);
    this.emit(handle, type, 'agent_started', { status: 'started', task_description: request });
    this.schedule(handle);
    return run;
  }

  stop(userId: string, runId: unknown): StopOutcome {
    const run = this.store.run(runId);
    if (!run || run.ownerId !== userId) return 'RUN_NOT_FOUND';
    const handle = this.active.get(run.run_id);
    if (!handle) return 'RUN_NOT_ACTIVE';
    if (this.faults.has('stop-ignored')) return 'stopped';
    handle.cancelTimer?.();
    this.finish(handle, 'cancelled');
    return 'stopped';
  }

  /** Run ids of the user's runs still playing (the gateway marks them for recovery when the user drops). */
  activeRunIds(userId: string): string[] {
    return [...this.active.values()].filter((h) => h.run.ownerId === userId).map((h) => h.run.run_id);
  }

  close(): void {
    for (const handle of this.active.values()) handle.cancelTimer?.();
    this.active.clear();
    for (const timer of this.lagging) clearTimeout(timer);
    this.lagging.clear();
  }

  /**
   * Writes how a run ended: its final status (completed_at = now) and, for a completed run, the assistant message.
   * Under late-persistence both are written PERSIST_LAG_MS later, completed_at still saying when the run ended.
   */
  private persist(run: Run, thread: Thread, status: Exclude<RunStatus, 'running'>, answer: string): void {
    const endedMs = this.store.now();
    const write = () => {
      this.store.finishRun(run, status, endedMs);
      if (status === 'completed' && !this.faults.has('assistant-message-not-saved')) this.store.addMessage(thread, 'assistant', answer);
    };
    if (!this.latitudes.has('late-persistence')) return write();
    const timer = setTimeout(() => {
      this.lagging.delete(timer);
      write();
    }, PERSIST_LAG_MS);
    this.lagging.add(timer);
  }

  private schedule(handle: ActiveRun): void {
    const step = () => {
      handle.cancelTimer = undefined;
      this.step(handle);
    };
    if (handle.pauseMs === 0) {
      const immediate = setImmediate(step);
      handle.cancelTimer = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(step, handle.pauseMs);
      handle.cancelTimer = () => clearTimeout(timer);
    }
  }

  private step(handle: ActiveRun): void {
    if (handle.forceFailure) {
      this.finish(handle, 'failed');
      return;
    }
    const planned: PlannedEvent | undefined = handle.plan.middle[handle.next++];
    if (!planned) {
      this.finish(handle, 'completed');
      return;
    }
    const fields = { ...planned.fields };
    const now = performance.now();
    if (planned.type === 'tool_executing') handle.toolStartMs.set(fields.execution_id as string, now);
    if (fields.duration !== undefined) fields.duration = elapsedMs(handle.toolStartMs.get(fields.execution_id as string) ?? now) / 1000;
    if (planned.type === 'stream_chunk') handle.streamed += fields.content as string;
    this.emit(handle, planned.agent, planned.type, fields);
    this.schedule(handle);
  }

  /**
   * The terminal event. State (messages, run status) is written before it is sent, so a client that reacts to it sees
   * it; under late-persistence it is written a moment after.
   */
  private finish(handle: ActiveRun, status: 'completed' | 'failed' | 'cancelled'): void {
    this.active.delete(handle.run.run_id);
    this.persist(handle.run, handle.thread, status, handle.plan.finalResponse);
    const executionMs = elapsedMs(handle.startedMs);
    if (status === 'failed') {
      this.emit(handle, handle.type, 'agent_error', {
        error_code: 'AGENT_FAILED',
        error_message: `The ${handle.type} agent failed: context.force_failure was set`,
      });
      return;
    }
    this.emit(handle, handle.type, 'agent_completed', {
      status,
      // A cancelled run's answer is what was streamed so far, so chunks still join to final_response.
      final_response: status === 'completed' ? handle.plan.finalResponse : handle.streamed,
      result: status === 'completed' ? handle.plan.result : {},
      execution_time_ms: executionMs,
    });
  }

  private emit(handle: ActiveRun, agent: AgentType, type: string, fields: Record<string, unknown>): void {
    const { run } = handle;
    run.events.push(type);
    const frame: Record<string, unknown> = {
      type,
      run_id: run.run_id,
      thread_id: run.thread_id,
      user_id: run.ownerId,
      agent_name: agent,
      timestamp: this.store.stamp(),
      ...fields,
    };
    if (!this.faults.has('data-not-mirrored')) frame.data = { ...fields };
    this.sink?.deliver(run.ownerId, run.run_id, frame);
  }
}
