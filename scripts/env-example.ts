/**
 * Writes .env.example and README's configuration table from the settings table (fixtures/settings.ts), so they
 * never disagree with it. `--check` fails when either is out of date (run by the self-tests).
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

/** README's configuration table, between the settings markers. */
export function renderReadmeTable(): string {
  const rows = Object.entries(SETTING_SPECS).map(
    ([name, spec]) => `| \`${name}\` | ${'default' in spec ? `\`${spec.default}\`` : '–'} | ${spec.help.replace(/\|/g, '\\|')} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

const START = '<!-- settings:start -->';
const END = '<!-- settings:end -->';

function withTable(readme: string): string {
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) throw new Error(`README.md lacks the ${START} ... ${END} markers`);
  return `${readme.slice(0, from + START.length)}\n${renderReadmeTable()}\n${readme.slice(to)}`;
}

const root = path.join(__dirname, '..');
const envFile = path.join(root, '.env.example');
const readmeFile = path.join(root, 'README.md');
if (require.main === module) {
  const readme = readFileSync(readmeFile, 'utf8');
  if (process.argv.includes('--check')) {
    const stale = [
      ...(readFileSync(envFile, 'utf8') !== renderEnvExample() ? ['.env.example'] : []),
      ...(readme !== withTable(readme) ? ['README.md'] : []),
    ];
    if (stale.length) {
      process.stderr.write(`${stale.join(' and ')} out of date: run \`npx tsx scripts/env-example.ts\`\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(envFile, renderEnvExample());
    writeFileSync(readmeFile, withTable(readme));
  }
}
