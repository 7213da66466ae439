/**
 * Lints the contract documents of one folder with standard tools, then checks what contract/index.ts relies on:
 * - openapi.yaml against the OpenAPI 3.1 schema (@seriousme/openapi-schema-validator, which also checks its refs);
 * - asyncapi.yaml with @asyncapi/parser (AsyncAPI 3.0); any error-severity diagnostic is a problem;
 * - every `$ref` of both documents resolves (contract/load.ts), and every schema compiles with ajv (contract/index.ts);
 * - operationIds are unique, and each run event's x-mirrored-in-data names exactly its `data`'s required fields.
 * Nothing is fetched: references over http(s) are refused instead of read.
 */
import { DiagnosticSeverity, Parser, fromFile } from '@asyncapi/parser';
import { Validator } from '@seriousme/openapi-schema-validator';
import path from 'node:path';
import { Contract } from './index';
import { ASYNCAPI_FILE, CONTRACT_DIR, OPENAPI_FILE, isJsonObject, loadDocuments, type JsonObject } from './load';

async function lintOpenApi(dir: string): Promise<string[]> {
  const validator = new Validator();
  const result = await validator.validate(path.join(dir, OPENAPI_FILE));
  const problems: string[] = [];
  if (!result.valid) {
    const errors = result.errors ?? 'invalid';
    if (typeof errors === 'string') problems.push(`${OPENAPI_FILE}: ${errors}`);
    else
      for (const e of errors)
        problems.push(`${OPENAPI_FILE}: ${e.instancePath || '/'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  } else if (validator.version !== '3.1') {
    problems.push(`${OPENAPI_FILE}: must be OpenAPI 3.1 (found ${validator.version})`);
  }
  return problems;
}

async function lintAsyncApi(dir: string): Promise<string[]> {
  const refused: string[] = [];
  const offline = (schema: 'http' | 'https') => ({
    schema,
    order: 1,
    read: (uri: { toString(): string }) => {
      refused.push(uri.toString());
      return '{}';
    },
  });
  const parser = new Parser({ __unstable: { resolver: { resolvers: [offline('http'), offline('https')] } } });
  const { document, diagnostics } = await fromFile(parser, path.join(dir, ASYNCAPI_FILE)).parse();
  const problems = diagnostics
    .filter((d) => d.severity === DiagnosticSeverity.Error)
    .map((d) => `${ASYNCAPI_FILE}: ${d.path.join('/') || '/'}: ${d.message} (${d.code})`);
  for (const uri of refused) problems.push(`${ASYNCAPI_FILE}: refers to ${uri}; the contract must not depend on the network`);
  const version = document?.version();
  if (document && !version?.startsWith('3.0.')) problems.push(`${ASYNCAPI_FILE}: must be AsyncAPI 3.0 (found ${version})`);
  if (!document && problems.length === 0) problems.push(`${ASYNCAPI_FILE}: the parser returned no document`);
  return problems;
}

const objectValues = (value: unknown): JsonObject[] => (isJsonObject(value) ? Object.values(value).filter(isJsonObject) : []);

/** What contract/index.ts assumes of the documents beyond what their standards say. */
function lintConventions(dir: string): string[] {
  const { openapi, asyncapi, refProblems } = loadDocuments(dir);
  const problems = [...refProblems];
  const seen = new Map<string, string>();
  for (const [route, item] of Object.entries(isJsonObject(openapi.paths) ? openapi.paths : {})) {
    for (const [method, op] of Object.entries(isJsonObject(item) ? item : {})) {
      if (!isJsonObject(op) || !isJsonObject(op.responses)) continue;
      const name = `${method.toUpperCase()} ${route}`;
      const id = op.operationId;
      if (typeof id !== 'string') problems.push(`${OPENAPI_FILE}: ${name} has no operationId`);
      else if (seen.has(id)) problems.push(`${OPENAPI_FILE}: operationId ${id} is used by ${seen.get(id)} and ${name}`);
      else seen.set(id, name);
    }
  }
  for (const message of objectValues(isJsonObject(asyncapi.components) ? asyncapi.components.messages : undefined)) {
    const mirrored = message['x-mirrored-in-data'];
    if (mirrored === undefined) continue;
    const payload = isJsonObject(message.payload) ? message.payload : {};
    const data = isJsonObject(payload.properties) ? payload.properties.data : undefined;
    const required = isJsonObject(data) && Array.isArray(data.required) ? data.required.map(String).sort() : [];
    const listed = Array.isArray(mirrored) ? mirrored.map(String).sort() : [];
    if (listed.length === 0 || listed.join() !== required.join()) {
      problems.push(`${ASYNCAPI_FILE}: message ${message.name}: x-mirrored-in-data [${listed}] is not its data's required [${required}]`);
    }
  }
  return problems;
}

function lintValidator(dir: string): string[] {
  const contract = new Contract(dir);
  return [...contract.documentProblems, ...contract.compileAll()];
}

/** One line per problem of the contract documents in `dir`; [] when they are clean. */
export async function lintContract(dir: string = CONTRACT_DIR): Promise<string[]> {
  const guarded = async (name: string, lint: () => string[] | Promise<string[]>) => {
    try {
      return await lint();
    } catch (err) {
      return [`${name}: ${(err as Error).message}`];
    }
  };
  const results = await Promise.all([
    guarded(OPENAPI_FILE, () => lintOpenApi(dir)),
    guarded(ASYNCAPI_FILE, () => lintAsyncApi(dir)),
    guarded('conventions', () => lintConventions(dir)),
    guarded('validator', () => lintValidator(dir)),
  ]);
  return [...new Set(results.flat())];
}
