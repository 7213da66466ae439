/**
 * Handlebars helpers available to the summary templates in this directory (registered by reporter/render.ts).
 * They only format; every number and judgement comes from the view model (reporter/model.ts).
 */
export const helpers = {
  /** 1-based numbering: `{{inc @index}}`. */
  inc: (n: number): number => n + 1,
  eq: (a: unknown, b: unknown): boolean => a === b,
  gt: (a: number, b: number): boolean => a > b,
  /** `{{#if (or a b c)}}`; the last argument is Handlebars' options object. */
  or: (...args: unknown[]): boolean => args.slice(0, -1).some(Boolean),
  /** `{{plural count "test"}}` -> `1 test`, `3 tests`; an optional third argument gives the plural form. */
  plural: (n: number, one: string, many: unknown): string => `${n} ${n === 1 ? one : typeof many === 'string' ? many : `${one}s`}`,
} as const;
