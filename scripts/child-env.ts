/**
 * The environment for a child run of the harness (a self-test's or a benchmark's Playwright run, a server it
 * starts): the parent's, without anything that would configure the child behind its caller's back. The caller then
 * adds exactly what it means to set.
 */
import { SETTING_SPECS } from '../fixtures/settings';

/** Variables the embedded server reads (server/index.ts serverOptionsFromEnv), beyond the harness's settings. */
const SERVER_VARIABLES = ['PORT', 'CORS_ORIGINS', 'HEARTBEAT_INTERVAL', 'MAX_MESSAGE_SIZE', 'AGENT_STEP_DELAY_MS', 'STARTUP_DELAY_MS'];

const DROPPED = new Set<string>([...Object.keys(SETTING_SPECS), ...SERVER_VARIABLES, 'STAGING_FAULTS', 'STAGING_LATITUDES']);
/** Playwright's and the test runner's own, the reporter's switches, CI's, and what colours or instruments Node. */
const DROPPED_PREFIXES = /^(TEST_|PW_|PLAYWRIGHT_|HARNESS_|ITERATION_REPORTER_|GITHUB_)|^(CI|FORCE_COLOR|NODE_OPTIONS)$/;

export function childEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!DROPPED.has(name) && !DROPPED_PREFIXES.test(name)) env[name] = value;
  return { ...env, NO_COLOR: '1', ...extra };
}
