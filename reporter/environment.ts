/**
 * What the reporter reads from the environment: the target (never its credentials), the business weights and the
 * injectable clock. `loadSettings()` is deliberately not used: it throws without a target, and a report must still be
 * written when the configuration is broken.
 */
import { CATEGORIES } from '../tests/catalog';
import { EMBEDDED_URL_VAR, SETTING_SPECS, type SettingName } from '../fixtures/settings';
import { environmentSecrets, redact } from '../fixtures/redact';
import type { TargetInfo } from './types';

/** Env var that pins the run's start time (ISO 8601), for goldens. */
export const NOW_VAR = 'ITERATION_REPORTER_NOW';
/** Env var that pins the run's duration in ms, for goldens. */
export const DURATION_VAR = 'ITERATION_REPORTER_DURATION_MS';

/** A URL without userinfo, query credentials or fragments; anything unparsable is redacted as text. */
export function safeUrl(raw: string, env: NodeJS.ProcessEnv = process.env): string {
  let text = raw.trim();
  try {
    const url = new URL(text);
    url.username = '';
    url.password = '';
    url.hash = '';
    text = url.toString().replace(/\/$/, '');
  } catch {
    text = text.replace(/\/\/[^/@\s]*@/, '//');
  }
  return redact(text, environmentSecrets(env));
}

export function targetFromEnv(env: NodeJS.ProcessEnv = process.env): TargetInfo {
  const environment = env.STAGING_ENVIRONMENT?.trim() || SETTING_SPECS.STAGING_ENVIRONMENT.default;
  const staging = env.STAGING_BASE_URL?.trim();
  if (staging) return { kind: 'staging', url: safeUrl(staging, env), environment };
  const embedded = env[EMBEDDED_URL_VAR]?.trim();
  if (embedded) return { kind: 'embedded', url: safeUrl(embedded, env), environment };
  return { kind: 'unknown', environment };
}

/** The value of every business-weight setting the categories use: the env value, else the table's default. */
export function weightsFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const weights: Record<string, string | undefined> = {};
  for (const category of CATEGORIES) {
    const setting = category.weightSetting;
    if (!setting || setting in weights) continue;
    const given = env[setting]?.trim();
    const spec = SETTING_SPECS[setting as SettingName] as { default?: string };
    weights[setting] = given || spec.default;
  }
  return weights;
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
