/**
 * Debian's chromium for the self-tests that look at reports the way a user does. Installed by
 * scripts/install-chromium.sh when missing (the suites themselves never need a browser).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { REPO } from './harness-run';

export const CHROMIUM = '/usr/bin/chromium';

/** Flags for a root container on a closed network: no sandbox, no GPU, and no background traffic to Google. */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Installs chromium with the project's script when it is missing; throws with the script's output if it cannot. */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  try {
    execFileSync('bash', [path.join(REPO, 'scripts', 'install-chromium.sh')], { stdio: 'pipe', timeout: 300_000 });
  } catch (error) {
    const e = error as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(
      `scripts/install-chromium.sh could not install ${CHROMIUM}: ${e.stderr?.toString() || e.stdout?.toString() || e.message}`,
    );
  }
}

export async function launchChromium(): Promise<Browser> {
  ensureChromium();
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}
