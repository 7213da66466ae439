/**
 * Reads the contract documents (openapi.yaml, asyncapi.yaml) and resolves every `$ref` — within a document and
 * across the two — into plain objects, so the validator compiles self-contained schemas. A target reached by
 * several refs becomes one shared object.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const CONTRACT_DIR = __dirname;
export const OPENAPI_FILE = 'openapi.yaml';
export const ASYNCAPI_FILE = 'asyncapi.yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isJsonObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface ResolvedDocuments {
  openapi: JsonObject;
  asyncapi: JsonObject;
  /** One line per `$ref` that does not resolve or is not alone in its object; empty when all is well. */
  refProblems: string[];
}

const unescapePointer = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

/** Resolves `$ref`s of the documents in one folder; documents are read once, on first use. */
class Resolver {
  private readonly raw = new Map<string, Json>();
  private readonly resolved = new Map<string, Json>();
  private readonly inProgress = new Set<string>();
  readonly problems: string[] = [];

  constructor(private readonly dir: string) {}

  document(file: string): Json {
    let doc = this.raw.get(file);
    if (doc === undefined) {
      const text = readFileSync(path.join(this.dir, file), 'utf8');
      try {
        doc = parse(text) as Json;
      } catch (err) {
        throw new Error(`not valid YAML: ${(err as Error).message}`);
      }
      this.raw.set(file, doc);
    }
    return doc;
  }

  /** The whole document `file` with every `$ref` replaced by its target. */
  resolveDocument(file: string): Json {
    return this.resolveTarget(file, '', `${file}#`);
  }

  private resolveTarget(file: string, pointer: string, where: string): Json {
    const key = `${file}#${pointer}`;
    const done = this.resolved.get(key);
    if (done !== undefined) return done;
    if (this.inProgress.has(key)) {
      this.problems.push(`${where}: $ref "${key}" refers to itself (cycles are not supported)`);
      return {};
    }
    const target = this.lookup(file, pointer);
    if (target === undefined) {
      this.problems.push(`${where}: $ref "${key}" does not resolve`);
      return {};
    }
    this.inProgress.add(key);
    const value = this.walk(file, target, `${file}#${pointer}`);
    this.inProgress.delete(key);
    this.resolved.set(key, value);
    return value;
  }

  /** The raw node at `pointer` in `file`, following `$ref`s met on the way. */
  private lookup(file: string, pointer: string): Json | undefined {
    let node: Json | undefined;
    try {
      node = this.document(file);
    } catch (err) {
      this.problems.push(`${file}: cannot be read: ${(err as Error).message}`);
      return undefined;
    }
    for (const segment of pointer.split('/').slice(1).map(unescapePointer)) {
      if (isJsonObject(node) && typeof node.$ref === 'string') node = this.resolveRef(file, node.$ref, `${file}#${pointer}`);
      if (Array.isArray(node) && /^\d+$/.test(segment)) node = node[Number(segment)];
      else if (isJsonObject(node) && Object.hasOwn(node, segment)) node = node[segment];
      else return undefined;
    }
    return node;
  }

  private resolveRef(file: string, ref: string, where: string): Json {
    const [target, pointer = ''] = ref.split('#', 2);
    if (/^[a-z][a-z\d+.-]*:/i.test(target) || path.posix.isAbsolute(target)) {
      this.problems.push(`${where}: $ref "${ref}" is not a relative file; the documents refer only to each other`);
      return {};
    }
    const targetFile = target === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
    if (pointer !== '' && !pointer.startsWith('/')) {
      this.problems.push(`${where}: $ref "${ref}" is not a JSON pointer`);
      return {};
    }
    return this.resolveTarget(targetFile, pointer, where);
  }

  /** `where` is the node's own `file#pointer`, so a node reached both directly and by a `$ref` is one object. */
  private walk(file: string, node: Json, where: string): Json {
    const done = this.resolved.get(where);
    if (done !== undefined) return done;
    let out: Json;
    if (Array.isArray(node)) {
      out = node.map((item, i) => this.walk(file, item, `${where}/${i}`));
    } else if (!isJsonObject(node)) {
      return node;
    } else if (typeof node.$ref === 'string') {
      // Draft-07 (AsyncAPI) ignores keywords beside $ref while 2020-12 (OpenAPI 3.1) applies them: allow none.
      const siblings = Object.keys(node).filter((k) => k !== '$ref');
      if (siblings.length > 0) this.problems.push(`${where}: $ref must stand alone (found ${siblings.join(', ')}); use allOf`);
      out = this.resolveRef(file, node.$ref, where);
    } else {
      const object: JsonObject = {};
      for (const [k, v] of Object.entries(node)) object[k] = this.walk(file, v, `${where}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      out = object;
    }
    this.resolved.set(where, out);
    return out;
  }
}

/** Both documents of `dir`, resolved. Throws when one of them is missing or not YAML. */
export function loadDocuments(dir: string = CONTRACT_DIR): ResolvedDocuments {
  const resolver = new Resolver(dir);
  const docs = [OPENAPI_FILE, ASYNCAPI_FILE].map((file) => {
    try {
      resolver.document(file);
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
    const doc = resolver.resolveDocument(file);
    if (!isJsonObject(doc)) throw new Error(`${file}: the document is not a YAML mapping`);
    return doc;
  });
  return { openapi: docs[0], asyncapi: docs[1], refProblems: [...new Set(resolver.problems)] };
}
