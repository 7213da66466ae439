/**
 * Contract drift: how the OpenAPI document a target serves (FastAPI serves `/openapi.json`) differs from ours, in
 * what our tests rely on: a route of ours it lacks, a field our success responses require that its schema does not
 * require, a field whose type changed. Said once, before the tests, instead of as thirty failures.
 */
import { isJsonObject, loadDocuments, type Json, type JsonObject } from './load';

export interface Drift {
  /** The operation and status (`"GET /health 200"`), or the operation alone for a missing route. */
  where: string;
  /** The field's path in the body (`uptime_seconds`, `messages[]/role`), when the drift is about a field. */
  field?: string;
  what: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
/** Deep enough for any body of the contract; guards against self-referencing schemas. */
const MAX_DEPTH = 12;

/** `{thread_id}` and `{id}` name the same path segment. */
const shape = (template: string) => template.replace(/\{[^}]+\}/g, '{}').replace(/\/$/, '');

/** Resolves internal `$ref`s (`#/components/...`) of a document served as JSON, lazily and with a depth bound. */
function follow(doc: Json, node: Json | undefined, depth = 0): Json | undefined {
  if (!isJsonObject(node) || typeof node.$ref !== 'string' || depth > MAX_DEPTH) return node;
  const pointer = node.$ref.startsWith('#/') ? node.$ref.slice(2).split('/') : undefined;
  if (!pointer) return undefined;
  let target: Json | undefined = doc;
  for (const segment of pointer.map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    target = isJsonObject(target) ? target[segment] : undefined;
  }
  return follow(doc, target, depth + 1);
}

const typesOf = (schema: JsonObject | undefined): string[] | undefined => {
  const type = schema?.type;
  if (typeof type === 'string') return [type];
  return Array.isArray(type) ? type.map(String) : undefined;
};

/** The JSON body schema of a response object, if it has one. */
function bodySchema(doc: Json, response: Json | undefined): JsonObject | undefined {
  const resolved = follow(doc, response);
  const content = isJsonObject(resolved) ? follow(doc, resolved.content) : undefined;
  const media = isJsonObject(content) ? follow(doc, content['application/json']) : undefined;
  const schema = isJsonObject(media) ? follow(doc, media.schema) : undefined;
  return isJsonObject(schema) ? schema : undefined;
}

/** Fields `ours` requires that `theirs` does not, and type changes, down objects and array items. */
function compareSchemas(
  theirDoc: Json,
  ours: JsonObject,
  theirs: JsonObject,
  where: string,
  at: string,
  depth: number,
  out: Drift[],
): void {
  if (depth > MAX_DEPTH) return;
  const field = (name: string) => (at ? `${at}/${name}` : name);
  const ourTypes = typesOf(ours);
  const theirTypes = typesOf(theirs);
  if (ourTypes && theirTypes && !theirTypes.every((t) => ourTypes.includes(t) || (t === 'integer' && ourTypes.includes('number')))) {
    out.push({ where, field: at || undefined, what: `type changed: ${ourTypes.join(' or ')} → ${theirTypes.join(' or ')}` });
    return;
  }
  const theirProperties = isJsonObject(theirs.properties) ? theirs.properties : {};
  const theirRequired = Array.isArray(theirs.required) ? theirs.required.map(String) : [];
  const ourProperties = isJsonObject(ours.properties) ? ours.properties : {};
  for (const name of Array.isArray(ours.required) ? ours.required.map(String) : []) {
    const theirProperty = follow(theirDoc, theirProperties[name]);
    if (theirProperty === undefined || !theirRequired.includes(name)) {
      out.push({
        where,
        field: field(name),
        what: `required field ${field(name)} ${theirProperty === undefined ? 'missing' : 'no longer required'}`,
      });
      continue;
    }
    const ourProperty = ourProperties[name];
    if (isJsonObject(ourProperty) && isJsonObject(theirProperty))
      compareSchemas(theirDoc, ourProperty, theirProperty, where, field(name), depth + 1, out);
  }
  const theirItems = follow(theirDoc, theirs.items);
  if (isJsonObject(ours.items) && isJsonObject(theirItems))
    compareSchemas(theirDoc, ours.items, theirItems, where, `${at}[]`, depth + 1, out);
}

/**
 * The drift of `served` (a target's OpenAPI document, parsed) from contract/openapi.yaml: every route of ours it
 * lacks, and for the success responses of the routes both have, every field we require that it does not and every
 * changed type. Error responses and everything it adds are not drift.
 */
export function contractDrift(served: Json): Drift[] {
  const ours = loadDocuments().openapi;
  const theirPaths = isJsonObject(served) && isJsonObject(served.paths) ? served.paths : {};
  const theirByShape = new Map(Object.entries(theirPaths).map(([template, item]) => [shape(template), follow(served, item)]));
  const drifts: Drift[] = [];
  for (const [template, item] of Object.entries(isJsonObject(ours.paths) ? ours.paths : {})) {
    if (!isJsonObject(item)) continue;
    const theirItem = theirByShape.get(shape(template));
    for (const method of METHODS.filter((m) => isJsonObject(item[m]))) {
      const operation = `${method.toUpperCase()} ${template}`;
      const theirOperation = isJsonObject(theirItem) ? follow(served, theirItem[method]) : undefined;
      if (!isJsonObject(theirOperation)) {
        drifts.push({ where: operation, what: 'route missing' });
        continue;
      }
      const ourResponses = (item[method] as JsonObject).responses;
      const theirResponses = follow(served, theirOperation.responses);
      for (const [status, response] of Object.entries(isJsonObject(ourResponses) ? ourResponses : {})) {
        if (!status.startsWith('2')) continue;
        const ourBody = bodySchema(ours, response);
        const theirBody = isJsonObject(theirResponses) ? bodySchema(served, theirResponses[status]) : undefined;
        if (ourBody && theirBody) compareSchemas(served, ourBody, theirBody, `${operation} ${status}`, '', 0, drifts);
      }
    }
  }
  return drifts;
}
