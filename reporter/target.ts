/**
 * A target's identity: iterations are numbered, compared and charted per target. A staging target is its
 * environment and backend URL; the embedded reference server is one target whatever port it had.
 */
import type { TargetInfo } from './types';

export const EMBEDDED_TARGET = 'embedded';
export const UNKNOWN_TARGET = 'unknown';

/** `staging https://staging.example.test`, `embedded` or `unknown`. */
export function targetKey(target: TargetInfo): string {
  if (target.kind === 'embedded') return EMBEDDED_TARGET;
  if (target.kind === 'staging' && target.url) return `${target.environment} ${target.url}`;
  return UNKNOWN_TARGET;
}

/** How the summary names the target. */
export function targetLabel(target: TargetInfo): string {
  if (target.kind === 'embedded') return `embedded reference server${target.url ? ` (${target.url})` : ''}`;
  if (target.kind === 'staging' && target.url) return target.url;
  return 'not recorded (no STAGING_BASE_URL or HARNESS_EMBEDDED_URL in the reporter’s environment)';
}

/** The target part of file names: `embedded`, `unknown`, `staging-staging.example.test`. */
export function targetSlug(target: TargetInfo): string {
  const key = targetKey(target);
  if (key !== `${target.environment} ${target.url}`) return key;
  let host = target.url ?? '';
  try {
    host = new URL(host).host;
  } catch {
    // An unparsable URL keeps its text; the replacement below makes it a file name.
  }
  return `${target.environment}-${host}`
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
