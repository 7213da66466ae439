/**
 * Writes .env.example from the settings table (fixtures/settings.ts), so the two never disagree.
 * `--check` fails when the committed file is out of date (run by the self-tests).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SETTING_SPECS } from '../fixtures/settings';

export function renderEnvExample(): string {
  const lines = [
    '# Configuration of the staging e2e harness. Copy to .env (git-ignored) and fill in what you need.',
    '# With no STAGING_*_URL set, `npx playwright test` starts the embedded reference server instead.',
    '# Generated from fixtures/settings.ts by `npx tsx scripts/env-example.ts`; do not edit by hand.',
    '',
  ];
  for (const [name, spec] of Object.entries(SETTING_SPECS)) {
    lines.push(`# ${spec.help}`);
    const value = 'default' in spec ? spec.default : '';
    lines.push(`${'default' in spec ? '# ' : ''}${name}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}

const file = path.join(__dirname, '..', '.env.example');
if (require.main === module) {
  if (process.argv.includes('--check')) {
    if (readFileSync(file, 'utf8') !== renderEnvExample()) {
      process.stderr.write('.env.example is out of date: run `npx tsx scripts/env-example.ts`\n');
      process.exit(1);
    }
  } else {
    writeFileSync(file, renderEnvExample());
  }
}
