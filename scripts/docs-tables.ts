/**
 * Writes the tables the docs take from code, so the two never disagree: the latitude table of docs/latitudes.md
 * comes from server/latitudes.ts.
 *
 *   npx tsx scripts/docs-tables.ts            rewrite the tables
 *   npx tsx scripts/docs-tables.ts --check    exit 1 naming every file whose table is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LATITUDES } from '../server/latitudes';

/** Table cell text: pipes would end the cell, and <ISO>-like words would read as HTML tags. */
const cell = (text: string) => text.replace(/[|<>]/g, (c) => `\\${c}`);

export function renderLatitudeTable(): string {
  const rows = LATITUDES.map((l) => `| \`${l.name}\` | ${cell(l.clause)} | ${cell(l.does)} |`);
  return ['| name | contract clause that leaves the room | what the server then does |', '|---|---|---|', ...rows].join('\n');
}

interface GeneratedTable {
  /** Relative to the repository root. */
  file: string;
  start: string;
  end: string;
  render: () => string;
}

const TABLES: GeneratedTable[] = [
  { file: 'docs/latitudes.md', start: '<!-- latitudes:start -->', end: '<!-- latitudes:end -->', render: renderLatitudeTable },
];

function withTable(text: string, table: GeneratedTable): string {
  const from = text.indexOf(table.start);
  const to = text.indexOf(table.end);
  if (from < 0 || to < from) throw new Error(`${table.file} lacks the ${table.start} ... ${table.end} markers`);
  return `${text.slice(0, from + table.start.length)}\n${table.render()}\n${text.slice(to)}`;
}

if (require.main === module) {
  const root = path.join(__dirname, '..');
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const table of TABLES) {
    const file = path.join(root, table.file);
    const text = readFileSync(file, 'utf8');
    const fresh = withTable(text, table);
    if (fresh === text) continue;
    if (check) stale.push(table.file);
    else writeFileSync(file, fresh);
  }
  if (stale.length > 0) {
    process.stderr.write(`${stale.join(' and ')} out of date: run \`npx tsx scripts/docs-tables.ts\`\n`);
    process.exit(1);
  }
}
