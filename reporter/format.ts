/** Small formatting helpers shared by the sections and the terminal summary. All times are UTC so output is stable. */

/** `98.1%`; `n/a` when nothing ran. */
export function percent(numerator: number, denominator: number): string {
  if (denominator <= 0) return 'n/a';
  return `${((numerator / denominator) * 100).toFixed(1)}%`;
}

export function rate(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

export function formatRate(value: number | null): string {
  return value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `2025-09-07` */
export function isoDate(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** `00:24:18` */
export function isoTime(d: Date): string {
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** `6m 42s`, `1h 02m`, `850ms` */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(s % 60)}s`;
  return `${Math.floor(m / 60)}h ${pad(m % 60)}m`;
}

/** `412 ms`; one decimal below 10 ms (`5.1 ms`). */
export function milliseconds(ms: number): string {
  return ms >= 9.95 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Removes ANSI colour codes from Playwright's error messages. */
export function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}

/** Text safe inside a Markdown table cell or a single list line. */
export function inline(text: string): string {
  return text
    .replace(/\r?\n+/g, ' ')
    .replace(/\|/g, '\\|')
    .trim();
}

/** A code span that survives backticks in the text. */
export function code(text: string): string {
  const t = inline(text).replace(/\\\|/g, '|');
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((s) => s.length));
  const fence = '`'.repeat(longest + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

/** A fenced block that survives fences in the text. */
export function fenced(text: string, info = 'text'): string {
  const longest = Math.max(2, ...(text.match(/`{3,}/g) ?? []).map((s) => s.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${info}\n${text}\n${fence}`;
}

/** Compresses `P1, P2, P3` into `P1–P3`; other keys are listed as they are. */
export function compressKeys(keys: string[]): string {
  const out: string[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length >= 3) out.push(`P${run[0]}–P${run[run.length - 1]}`);
    else out.push(...run.map((n) => `P${n}`));
    run = [];
  };
  for (const key of keys) {
    const m = /^P(\d)$/.exec(key);
    if (m) {
      const n = Number(m[1]);
      if (run.length && n !== run[run.length - 1] + 1) flush();
      run.push(n);
    } else {
      flush();
      out.push(key);
    }
  }
  flush();
  return out.join(', ');
}
