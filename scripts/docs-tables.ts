/**
 * Writes what the docs take from code, so the two never disagree: README's settings table and .env.example from
 * fixtures/settings.ts, docs/latitudes.md's and docs/faults.md's tables from server/latitudes.ts and
 * server/faults.ts, and docs/catalog.md from the tests' catalog annotations (tests/catalog.ts).
 *
 *   npx tsx scripts/docs-tables.ts            rewrite them
 *   npx tsx scripts/docs-tables.ts --check    exit 1 naming every file that is out of date (npm run lint)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SETTING_SPECS } from '../fixtures/settings';
import { FAULTS } from '../server/faults';
import { LATITUDES } from '../server/latitudes';
import { CATEGORIES, PROJECTS } from '../tests/catalog';
import { expectedCatchers } from './fault-coverage';
import { listTests, type ListedTest } from './list-tests';

const ROOT = path.join(__dirname, '..');

/** Table cell text: pipes would end the cell, and <ISO>-like words would read as HTML tags. */
const cell = (text: string) => text.replace(/[|<>]/g, (c) => `\\${c}`);

export function renderEnvExample(): string {
  const lines = [
    '# Configuration of the staging e2e harness. Copy to .env (git-ignored) and fill in what you need.',
    '# With no STAGING_*_URL set, `npx playwright test` starts the embedded reference server instead.',
    '# Generated from fixtures/settings.ts by `npx tsx scripts/docs-tables.ts`; do not edit by hand.',
    '',
  ];
  for (const [name, spec] of Object.entries(SETTING_SPECS)) {
    lines.push(`# ${spec.help}`);
    lines.push('default' in spec ? `# ${name}=${spec.default}` : `${name}=`);
  }
  return `${lines.join('\n')}\n`;
}

function renderSettingsTable(): string {
  const rows = Object.entries(SETTING_SPECS).map(
    ([name, spec]) => `| \`${name}\` | ${'default' in spec ? `\`${spec.default}\`` : '–'} | ${cell(spec.help)} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

function renderLatitudeTable(): string {
  const rows = LATITUDES.map((l) => `| \`${l.name}\` | ${cell(l.clause)} | ${cell(l.does)} |`);
  return ['| name | contract clause that leaves the room | what the server then does |', '|---|---|---|', ...rows].join('\n');
}

function renderFaultTable(tests: readonly ListedTest[]): string {
  const rows = FAULTS.map((f) => {
    const catchers = expectedCatchers(f.name, tests).map((t) => `${t.title} ("${cell(t.catches ?? '')}")`);
    return `| \`${f.name}\` | ${cell(f.clause)} | ${cell(f.breaks)} | ${catchers.join('<br>') || '**none**'} |`;
  });
  return [
    '| name | contract clause it breaks | what breaks | expected to fail it (test and its `catches`) |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function renderCatalog(tests: readonly ListedTest[]): string {
  const sections: string[] = [];
  for (const project of PROJECTS) {
    const own = tests.filter((t) => t.project === project);
    sections.push(`## Project \`${project}\` (${own.length} tests)`, '');
    for (const category of CATEGORIES.filter((c) => c.project === project)) {
      const rows = own.filter((t) => t.category === category.key);
      if (rows.length === 0) continue;
      const weight = category.weightSetting ? ` · weight setting \`${category.weightSetting}\`` : '';
      sections.push(`### ${category.title} — ${rows.length} · tags ${category.tags.map((t) => `\`${t}\``).join(', ')}${weight}`, '');
      sections.push('| id | what it checks | catches |', '|---|---|---|');
      for (const t of rows) {
        const was = t.was ? ` (was ${t.was})` : '';
        sections.push(`| [${t.title}](../${t.file})${was} | ${cell(t.checks ?? '')} | ${cell(t.catches ?? '')} |`);
      }
      sections.push('');
    }
  }
  return sections.join('\n').trimEnd();
}

interface GeneratedPart {
  /** Relative to the repository root. */
  file: string;
  /** Markers around the generated part; none: the whole file is generated. */
  markers?: [string, string];
  render: (tests: readonly ListedTest[]) => string;
}

const PARTS: GeneratedPart[] = [
  { file: '.env.example', render: renderEnvExample },
  { file: 'README.md', markers: ['<!-- settings:start -->', '<!-- settings:end -->'], render: renderSettingsTable },
  { file: 'docs/latitudes.md', markers: ['<!-- latitudes:start -->', '<!-- latitudes:end -->'], render: renderLatitudeTable },
  { file: 'docs/faults.md', markers: ['<!-- faults:start -->', '<!-- faults:end -->'], render: renderFaultTable },
  { file: 'docs/catalog.md', markers: ['<!-- catalog:start -->', '<!-- catalog:end -->'], render: renderCatalog },
];

function withPart(text: string, part: GeneratedPart, tests: readonly ListedTest[]): string {
  if (!part.markers) return part.render(tests);
  const [start, end] = part.markers;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${part.file} lacks the ${start} ... ${end} markers`);
  return `${text.slice(0, from + start.length)}\n${part.render(tests)}\n${text.slice(to)}`;
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  const tests = listTests();
  const stale: string[] = [];
  for (const part of PARTS) {
    const file = path.join(ROOT, part.file);
    const text = readFileSync(file, 'utf8');
    const fresh = withPart(text, part, tests);
    if (fresh === text) continue;
    if (check) stale.push(part.file);
    else writeFileSync(file, fresh);
  }
  if (stale.length > 0) {
    process.stderr.write(`${stale.join(', ')} out of date: run \`npx tsx scripts/docs-tables.ts\`\n`);
    process.exit(1);
  }
}
