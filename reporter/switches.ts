/**
 * The reporter's own environment switches, which are not settings of the harness: where to write, the pinned clock
 * of golden runs, and the loop context scripts/iterate.ts passes to each attempt.
 */

/** Env var that pins the run's start time (ISO 8601), for goldens. */
export const NOW_VAR = 'ITERATION_REPORTER_NOW';
/** Env var that pins the run's duration in ms, for goldens. */
export const DURATION_VAR = 'ITERATION_REPORTER_DURATION_MS';
/** Env var naming the output directory when the reporter's options do not. */
export const OUTPUT_DIR_VAR = 'ITERATION_REPORTER_OUTPUT_DIR';

/** Env vars set by scripts/iterate.ts for each attempt of a loop. */
export const LOOP_ENV = {
  id: 'ITERATION_REPORTER_LOOP_ID',
  attempt: 'ITERATION_REPORTER_ATTEMPT',
  maxReruns: 'ITERATION_REPORTER_MAX_RERUNS',
  stateFile: 'ITERATION_REPORTER_LOOP_STATE',
} as const;

export interface LoopContext {
  id: string;
  attempt: number;
  maxReruns: number;
  /** File where the outcome of each attempt is written for scripts/iterate.ts. */
  stateFile?: string;
}

export function loopFromEnv(env: NodeJS.ProcessEnv = process.env): LoopContext | undefined {
  const id = env[LOOP_ENV.id];
  if (!id) return undefined;
  const attempt = Number(env[LOOP_ENV.attempt] ?? '1');
  const maxReruns = Number(env[LOOP_ENV.maxReruns] ?? '0');
  const loop: LoopContext = {
    id,
    attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
    maxReruns: Number.isInteger(maxReruns) ? maxReruns : 0,
  };
  if (env[LOOP_ENV.stateFile]) loop.stateFile = env[LOOP_ENV.stateFile];
  return loop;
}

/** The injected start time, if any (option wins over env). Throws on an unparsable value: goldens must not drift. */
export function injectedNow(option: string | undefined, env: NodeJS.ProcessEnv = process.env): Date | undefined {
  const raw = option ?? env[NOW_VAR];
  if (!raw) return undefined;
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw new Error(`${NOW_VAR}/now is not a date: "${raw}"`);
  return d;
}

export function injectedDuration(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (option !== undefined) return option;
  const raw = env[DURATION_VAR];
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${DURATION_VAR} is not a duration in ms: "${raw}"`);
  return n;
}
