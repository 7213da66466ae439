/**
 * Business impact: each weight setting (BUSINESS_WEIGHT_*) is protected when every category carrying it ran and
 * passed, at risk when one of them has failures, and not verified otherwise (not in the run, incomplete). Weights
 * that are amounts (`$120K MRR`) are summed per currency and unit.
 */
import { CATEGORIES, type Category } from '../../tests/catalog';
import { weightOf, type Group, type RunFacts } from '../facts';
import { plural } from '../format';
import type { ViewModel } from '../view';
import { categoryLabels } from './shared';

export interface Amount {
  prefix: string;
  value: number;
  unit: string;
}

/** `$120K MRR` -> { prefix: '$', value: 120000, unit: 'MRR' }; undefined when the text is not an amount. */
export function parseAmount(text: string): Amount | undefined {
  const m = /^\s*([$€£]?)\s*(\d+(?:[.,]\d+)?)\s*([KkMmBb]?)\+?\s*(.*?)\s*$/.exec(text);
  if (!m) return undefined;
  const mult = { '': 1, k: 1e3, m: 1e6, b: 1e9 }[m[3].toLowerCase()] ?? 1;
  return { prefix: m[1], value: Number(m[2].replace(',', '.')) * mult, unit: m[4] };
}

function formatAmount(a: Amount): string {
  const scaled = (n: number, s: string) => `${Number(n.toFixed(1))}${s}`;
  const v =
    a.value >= 1e9
      ? scaled(a.value / 1e9, 'B')
      : a.value >= 1e6
        ? scaled(a.value / 1e6, 'M')
        : a.value >= 1e3
          ? scaled(a.value / 1e3, 'K')
          : String(a.value);
  return `${a.prefix}${v}${a.unit ? ` ${a.unit}` : ''}`;
}

/** Sums weights per currency and unit (`$295K MRR + $500K ARR`); text that is not an amount is listed as is. */
export function sumWeights(values: string[]): string {
  if (!values.length) return 'none';
  const sums = new Map<string, Amount>();
  const other: string[] = [];
  for (const v of values) {
    const a = parseAmount(v);
    if (!a) {
      other.push(v);
      continue;
    }
    const k = `${a.prefix}|${a.unit}`;
    const s = sums.get(k);
    if (s) s.value += a.value;
    else sums.set(k, { ...a });
  }
  return [...[...sums.values()].map(formatAmount), ...other].join(' + ');
}

export function businessSection(f: RunFacts): Pick<ViewModel, 'business'> {
  const groupByKey = new Map(f.groups.map((g) => [g.key, g]));
  const bySetting = new Map<string, Category[]>();
  for (const c of CATEGORIES) if (c.weightSetting) bySetting.set(c.weightSetting, [...(bySetting.get(c.weightSetting) ?? []), c]);
  const business: ViewModel['business'] = { protected: 'none', atRisk: 'none', unverified: null, unweighted: null, items: [] };
  const protectedItems: { cats: Category[]; value: string }[] = [];
  const atRiskItems: string[] = [];
  const atRiskValues: string[] = [];
  const unverifiedByNote = new Map<string, { cats: Category[]; values: string[] }>();
  for (const [setting, cats] of bySetting) {
    const value = weightOf(f, setting);
    if (!value) continue;
    const groups = cats.map((c) => groupByKey.get(c.key));
    const name = categoryLabels(cats);
    const failing = groups.filter((g): g is Group => !!g && g.state === 'failing');
    if (failing.length) {
      const n = failing.reduce((s, g) => s + g.counts.failed, 0);
      atRiskItems.push(
        `${name} ${value}: ${plural(n, 'failing test')}${cats.length > 1 ? ` in ${failing.map((g) => g.title).join(', ')}` : ''}`,
      );
      atRiskValues.push(value);
      business.items.push({ setting, value, categories: name, state: 'at risk' });
    } else if (groups.every((g) => g?.state === 'passing')) {
      protectedItems.push({ cats, value });
      business.items.push({ setting, value, categories: name, state: 'protected' });
    } else {
      const missing = cats.filter((c) => !groupByKey.get(c.key));
      const notes: string[] = [];
      if (missing.length) notes.push(missing.length === cats.length ? 'not in this run' : `${categoryLabels(missing)} not in this run`);
      for (const g of groups)
        if (g && g.state !== 'passing') notes.push(`${g.title} ${g.state === 'not-run' ? 'had no test run' : 'incomplete'}`);
      const note = notes.join('; ');
      const entry = unverifiedByNote.get(note) ?? { cats: [], values: [] };
      entry.cats.push(...cats);
      entry.values.push(value);
      unverifiedByNote.set(note, entry);
      business.items.push({ setting, value, categories: name, state: 'not verified' });
    }
  }
  if (protectedItems.length) {
    const cats = protectedItems.flatMap((p) => p.cats);
    const all = cats.length > 1 ? 'all ' : '';
    business.protected = `${sumWeights(protectedItems.map((p) => p.value))} (${categoryLabels(cats)} ${all}passing)`;
  }
  if (atRiskItems.length) business.atRisk = `${sumWeights(atRiskValues)} (${atRiskItems.join('; ')})`;
  if (unverifiedByNote.size) {
    business.unverified = [...unverifiedByNote.entries()]
      .map(([note, e]) => `${sumWeights(e.values)} (${categoryLabels(e.cats)}: ${note})`)
      .join('; ');
  }
  const unweighted = f.groups.filter((g) => !weightOf(f, g.weightSetting));
  business.unweighted = unweighted.length
    ? unweighted.map((g) => `${g.title} (${g.state === 'failing' ? `${g.counts.failed} failing` : g.state.replace('-', ' ')})`).join(', ')
    : null;
  return { business };
}
