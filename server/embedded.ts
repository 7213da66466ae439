/**
 * How `playwright.config.ts` runs the embedded reference server when no target is configured: its port and
 * credentials are chosen once, in the runner process, and reach the server and the workers through the environment
 * they inherit.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { PlaywrightTestConfig } from '@playwright/test';
import { EMBEDDED_URL_VAR, type Settings } from '../fixtures/settings';

/**
 * With no STAGING_*_URL, puts the embedded server's URL (a free port) and a generated JWT secret and bypass key
 * into `env`, unless a parent process did already. Secrets go through the inherited environment and never through
 * `webServer.env`, which blob and JSON reports serialize.
 */
export function prepareEmbeddedTarget(env: NodeJS.ProcessEnv): void {
  const targeted = env.STAGING_BASE_URL || env.STAGING_AUTH_URL || env.STAGING_WS_URL;
  if (targeted || env[EMBEDDED_URL_VAR]) return;
  env[EMBEDDED_URL_VAR] = `http://127.0.0.1:${freePort()}`;
  env.JWT_SECRET_KEY ||= randomBytes(48).toString('base64url');
  env.E2E_OAUTH_SIMULATION_KEY ||= randomBytes(24).toString('base64url');
}

/** The `webServer` entry that starts the embedded server, or undefined when a target is configured. */
export function embeddedWebServer(settings: Settings): PlaywrightTestConfig['webServer'] {
  if (!settings.embedded) return undefined;
  return {
    command: 'npx tsx server/main.ts',
    url: `${settings.baseUrl}/health`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: 'ignore',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
    env: { PORT: new URL(settings.baseUrl).port, STAGING_ENVIRONMENT: settings.environment },
  };
}

/** A port nothing listens on now, asked of the OS by a short child process (the config is loaded synchronously). */
function freePort(): string {
  const script =
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})";
  return execFileSync(process.execPath, ['-e', script]).toString();
}
