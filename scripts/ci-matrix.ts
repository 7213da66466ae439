/**
 * The GitHub Actions matrix of .github/workflows/staging-e2e.yml: one job per project × shard.
 *
 *   PROJECTS=priority,auth SHARDS=3 npx tsx scripts/ci-matrix.ts
 *
 * PROJECTS: comma- or space-separated project names, or `all` / empty for every project of tests/catalog.ts.
 * SHARDS: shards per project, 1–20 (default 2). Writes `matrix=<json>` to $GITHUB_OUTPUT when set (else stdout);
 * an unknown project or a bad shard count exits 1 with one line naming it.
 */
import { appendFileSync } from 'node:fs';
import { PROJECTS } from '../tests/catalog';

/** The projects the matrix offers: every project of the catalog. */
export { PROJECTS };
export const DEFAULT_SHARDS = 2;
const MAX_SHARDS = 20;

export interface MatrixEntry {
  project: string;
  shard: number;
  total: number;
}

export function buildMatrix(projectsInput = '', shardsInput = ''): { include: MatrixEntry[] } {
  const asked = projectsInput
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  const projects = asked.length === 0 || (asked.length === 1 && asked[0] === 'all') ? [...PROJECTS] : [...new Set(asked)];
  const unknown = projects.filter((p) => !(PROJECTS as readonly string[]).includes(p));
  if (unknown.length)
    throw new Error(`unknown project(s) ${unknown.map((p) => `"${p}"`).join(', ')}; projects are ${PROJECTS.join(', ')} or all`);
  const raw = shardsInput.trim();
  const total = raw === '' ? DEFAULT_SHARDS : Number(raw);
  if (!Number.isInteger(total) || total < 1 || total > MAX_SHARDS)
    throw new Error(`shards must be a whole number from 1 to ${MAX_SHARDS} (got "${shardsInput}")`);
  return { include: projects.flatMap((project) => Array.from({ length: total }, (_, i) => ({ project, shard: i + 1, total }))) };
}

if (require.main === module) {
  try {
    const matrix = buildMatrix(process.env.PROJECTS, process.env.SHARDS);
    const line = `matrix=${JSON.stringify(matrix)}\n`;
    if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, line);
    else process.stdout.write(line);
    const projects = [...new Set(matrix.include.map((e) => e.project))].join(', ');
    process.stdout.write(`${matrix.include.length} job(s): ${projects} × ${matrix.include[0].total} shard(s)\n`);
  } catch (error) {
    process.stderr.write(`ci-matrix: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
