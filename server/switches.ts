/**
 * What fault switches (faults.ts) and latitude switches (latitudes.ts) share: a table of named switches, and the
 * set of those that are on, whose `has` only takes names of its table, so a typo in server code fails to compile.
 */

/** The switches of one kind: the variable that lists them and their names. */
export interface SwitchKind<Name extends string> {
  /** Singular noun for messages: `fault`, `latitude`. */
  noun: string;
  /** The environment variable that turns them on (`STAGING_FAULTS`). */
  variable: string;
  names: readonly Name[];
}

/** Throws an Error naming the unknown switch(es) and listing the valid ones. */
export function assertKnown<Name extends string>(kind: SwitchKind<Name>, names: readonly string[], extraValid: string[] = []): void {
  const unknown = names.filter((n) => !(kind.names as readonly string[]).includes(n));
  if (unknown.length === 0) return;
  const plural = unknown.length > 1 ? 's' : '';
  throw new Error(
    `unknown ${kind.noun}${plural} ${unknown.map((n) => `"${n}"`).join(', ')} in ${kind.variable}; ` +
      `valid ${kind.noun}s: ${[...extraValid, ...kind.names].join(', ')}`,
  );
}

/** The switches of one kind that are on. */
export class SwitchSet<Name extends string> {
  private readonly on: ReadonlySet<string>;

  constructor(kind: SwitchKind<Name>, names: readonly string[]) {
    assertKnown(kind, names);
    this.on = new Set(names);
  }

  has(name: Name): boolean {
    return this.on.has(name);
  }

  get names(): string[] {
    return [...this.on];
  }
}
