/**
 * Lints the contract documents (contract/openapi.yaml, contract/asyncapi.yaml): standard OpenAPI 3.1 and
 * AsyncAPI 3 validation, resolvable refs, and schemas the validator compiles. Prints one line per problem and exits
 * 1 when there is any. Offline. `--dir <folder>` lints the documents of another folder.
 *
 *   npx tsx scripts/lint-contract.ts
 */
import path from 'node:path';
import { lintContract } from '../contract/lint';
import { CONTRACT_DIR } from '../contract/load';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--dir');
  if ((at >= 0 && !args[at + 1]) || args.some((a, i) => a !== '--dir' && i !== at + 1)) {
    console.error('usage: npx tsx scripts/lint-contract.ts [--dir <folder with openapi.yaml and asyncapi.yaml>]');
    return 2;
  }
  const dir = at >= 0 ? path.resolve(args[at + 1]) : CONTRACT_DIR;
  const problems = await lintContract(dir);
  for (const p of problems) console.error(p);
  if (problems.length > 0) return 1;
  console.log(`contract: ${path.relative(process.cwd(), dir) || '.'}/openapi.yaml and asyncapi.yaml are clean`);
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
