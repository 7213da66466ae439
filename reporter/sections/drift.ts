/**
 * Contract drift: where the target's answers differ from the contract, as the setup project found and attached in
 * `contract-drift.json`. Absent when no test attached one; an empty list means the target was checked and conforms.
 */
import type { RunFacts } from '../facts';
import { code, inline, plural } from '../format';
import type { ViewModel } from '../view';

export function driftSection(f: RunFacts): Pick<ViewModel, 'contractDrift'> {
  const reports = f.run.tests.filter((t) => t.contractDrift);
  if (!reports.length) return { contractDrift: null };
  const seen = new Set<string>();
  const items: { where: string; what: string }[] = [];
  for (const d of reports.flatMap((t) => t.contractDrift!)) {
    const key = `${d.where}\n${d.what}`;
    if (seen.has(key)) continue;
    seen.add(key);
    items.push({ where: code(d.where), what: inline(d.what) });
  }
  return {
    contractDrift: {
      summary: items.length
        ? `The target's answers differ from the contract (docs/contract.md) in ${plural(items.length, 'place')}:`
        : 'The target was checked against the contract (docs/contract.md): no drift found.',
      items,
    },
  };
}
