/**
 * The wire contract as data: checks HTTP responses against contract/openapi.yaml and WebSocket frames against
 * contract/asyncapi.yaml with ajv (JSON Schema 2020-12). Documents are loaded on first use and each schema is
 * compiled once per process. Every check returns one readable line per problem, [] when all is well; asking about
 * an operation the documents do not have throws (that is a bug in the caller, not in the target).
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { isDeepStrictEqual } from 'node:util';
import { CONTRACT_DIR, isJsonObject, loadDocuments, type Json, type JsonObject } from './load';

/** The operation name of the responses every route may give (unknown route, wrong method). */
export const ANY_ROUTE = '*';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** OpenAPI and AsyncAPI schema keywords that are not JSON Schema 2020-12 ones. */
const DOCUMENT_KEYWORDS = ['example', 'discriminator', 'xml', 'externalDocs'];
const MAX_SHOWN = 60;

interface Checked {
  schema?: JsonObject;
  validate?: ValidateFunction;
}

interface FrameMessage extends Checked {
  name: string;
  /** Own fields of a run event (x-mirrored-in-data). */
  mirrored?: string[];
}

const show = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
};

const pathOf = (root: string, instancePath: string) =>
  root +
  instancePath
    .split('/')
    .slice(1)
    .map((s) => `/${s.replace(/~1/g, '/').replace(/~0/g, '~')}`)
    .join('');

/** One line for an ajv error that is not a combinator (anyOf/oneOf/if). */
function describeError(e: ErrorObject, root: string): string {
  const at = pathOf(root, e.instancePath);
  const got = ` (got ${show(e.data)})`;
  const title = isJsonObject(e.parentSchema) && typeof e.parentSchema.title === 'string' ? e.parentSchema.title : undefined;
  switch (e.keyword) {
    case 'required':
      return `${at}/${e.params.missingProperty}: required field is missing`;
    case 'const':
      return `${at}: must be ${show(e.params.allowedValue)}${got}`;
    case 'enum':
      return `${at}: must be one of ${(e.params.allowedValues as unknown[]).map(show).join(', ')}${got}`;
    case 'contains':
      return isJsonObject(e.schema) && typeof e.schema.title === 'string'
        ? `${at}: must contain ${e.schema.title}`
        : `${at}: must contain an item matching ${show(e.schema)}`;
    case 'type':
    case 'format':
    case 'pattern':
    case 'not':
      if (title) return `${at}: must be ${title}${got}`;
      if (e.keyword === 'type') return `${at}: must be ${String(e.params.type).split(',').join(' or ')}${got}`;
      return `${at}: ${e.message}${got}`;
    default:
      return `${at}: ${e.message}${got}`;
  }
}

/**
 * Readable lines for ajv's errors. A failed anyOf/oneOf becomes one line listing what each alternative missed;
 * "must match then/else" wrappers are dropped because the errors inside them say more.
 */
function describeErrors(errors: ErrorObject[], root: string): string[] {
  const combinators = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const outermost = combinators.filter((c) => !combinators.some((o) => o !== c && c.schemaPath.startsWith(`${o.schemaPath}/`)));
  const inside = (e: ErrorObject, c: ErrorObject) => e.schemaPath.startsWith(`${c.schemaPath}/`);
  // Items that fail a `contains` are not problems themselves; the contains error says what is missing.
  const containers = errors.filter((e) => e.keyword === 'contains');
  const lines: string[] = [];
  for (const e of errors) {
    if (e.keyword === 'if' || containers.some((c) => inside(e, c)) || outermost.some((c) => c !== e && inside(e, c))) continue;
    if (!outermost.includes(e)) {
      lines.push(describeError(e, root));
      continue;
    }
    const branches = new Map<string, ErrorObject[]>();
    for (const inner of errors.filter((x) => inside(x, e))) {
      const branch = inner.schemaPath.slice(e.schemaPath.length + 1).split('/')[0];
      branches.set(branch, [...(branches.get(branch) ?? []), inner]);
    }
    const at = pathOf(root, e.instancePath);
    if (branches.size === 0) lines.push(`${at}: ${e.message}`);
    else
      lines.push(
        `${at}: matches none of the alternatives: ${[...branches.values()].map((b) => describeErrors(b, root).join('; ')).join(' | ')}`,
      );
  }
  return [...new Set(lines)];
}

/** The frame types a message payload declares: the const or enum of its `type` property. */
function declaredTypes(payload: JsonObject | undefined): string[] {
  const type = payload && isJsonObject(payload.properties) ? payload.properties.type : undefined;
  if (!isJsonObject(type)) return [];
  if (type.const !== undefined) return [String(type.const)];
  return Array.isArray(type.enum) ? type.enum.map(String) : [];
}

const rootHint = (body: unknown) => (typeof body === 'string' && body.trim() !== '' ? `body is not JSON: ${show(body)}` : 'body is empty');

/** The two documents of one folder, compiled on demand. Most callers use the module's functions, not this class. */
export class Contract {
  private readonly ajv: Ajv2020;
  private readonly responses = new Map<string, Map<number, Checked>>();
  private readonly serverFrames = new Map<string, FrameMessage>();
  private readonly clientFrames = new Map<string, FrameMessage>();
  /** The client message for any type no other one declares (answered with ack). */
  private clientOther?: FrameMessage;
  private readonly envelope: string[];
  /** Problems met while reading the documents (unresolved refs, messages without a type, ...). */
  readonly documentProblems: string[];

  constructor(dir: string = CONTRACT_DIR) {
    const { openapi, asyncapi, refProblems } = loadDocuments(dir);
    this.documentProblems = [...refProblems];
    this.ajv = new Ajv2020({ strict: true, allErrors: true, verbose: true, allowUnionTypes: true });
    addFormats(this.ajv);
    this.ajv.addVocabulary(DOCUMENT_KEYWORDS);

    this.readOperations(openapi);
    this.readMessages(asyncapi);
    const schemas = isJsonObject(asyncapi.components) ? asyncapi.components.schemas : undefined;
    const runEnvelope = isJsonObject(schemas) ? schemas.RunEnvelope : undefined;
    this.envelope = isJsonObject(runEnvelope) && Array.isArray(runEnvelope.required) ? runEnvelope.required.map(String) : [];
    if (this.envelope.length === 0) this.documentProblems.push('asyncapi.yaml: components.schemas.RunEnvelope has no required fields');
  }

  private readOperations(openapi: JsonObject): void {
    const add = (operation: string, responses: Json | undefined) => {
      const byStatus = new Map<number, Checked>();
      for (const [status, response] of Object.entries(isJsonObject(responses) ? responses : {})) {
        if (!/^[1-5]\d\d$/.test(status)) {
          this.documentProblems.push(`openapi.yaml: ${operation} response "${status}" is not a plain status code`);
          continue;
        }
        const content = isJsonObject(response) && isJsonObject(response.content) ? response.content : undefined;
        const media = content?.['application/json'];
        const schema = isJsonObject(media) && isJsonObject(media.schema) ? media.schema : undefined;
        if (content && !schema)
          this.documentProblems.push(`openapi.yaml: ${operation} ${status} has content but no application/json schema`);
        byStatus.set(Number(status), { schema });
      }
      this.responses.set(operation, byStatus);
    };
    for (const [route, item] of Object.entries(isJsonObject(openapi.paths) ? openapi.paths : {})) {
      if (!isJsonObject(item)) continue;
      for (const method of HTTP_METHODS) {
        const op = item[method];
        if (isJsonObject(op)) add(`${method.toUpperCase()} ${route}`, op.responses);
      }
    }
    add(ANY_ROUTE, openapi['x-any-route']);
  }

  /**
   * Server frames are the messages the platform sends (send operations, and replies to what it receives); client
   * frames the ones it receives. A message's frame types are the const or enum of its payload's `type`.
   */
  private readMessages(asyncapi: JsonObject): void {
    const asList = (v: Json | undefined) => (Array.isArray(v) ? v.filter(isJsonObject) : []);
    const server = new Set<JsonObject>();
    const client = new Set<JsonObject>();
    for (const op of Object.values(isJsonObject(asyncapi.operations) ? asyncapi.operations : {})) {
      if (!isJsonObject(op)) continue;
      const [own, replies] = op.action === 'send' ? [server, client] : [client, server];
      for (const m of asList(op.messages)) own.add(m);
      for (const m of asList(isJsonObject(op.reply) ? op.reply.messages : undefined)) replies.add(m);
    }
    // Channel order, so frameTypes() lists types as the document does.
    const channelMessages: JsonObject[] = [];
    for (const channel of Object.values(isJsonObject(asyncapi.channels) ? asyncapi.channels : {})) {
      if (isJsonObject(channel) && isJsonObject(channel.messages))
        channelMessages.push(...Object.values(channel.messages).filter(isJsonObject));
    }
    for (const message of [...new Set([...channelMessages, ...server, ...client])]) {
      const name = typeof message.name === 'string' ? message.name : '(unnamed)';
      const schema = isJsonObject(message.payload) ? message.payload : undefined;
      const mirrored = message['x-mirrored-in-data'];
      const entry: FrameMessage = { name, schema, mirrored: Array.isArray(mirrored) ? mirrored.map(String) : undefined };
      const types = declaredTypes(schema);
      if (!server.has(message) && !client.has(message)) {
        this.documentProblems.push(`asyncapi.yaml: message ${name} is in no operation`);
        continue;
      }
      if (server.has(message) && client.has(message)) this.documentProblems.push(`asyncapi.yaml: message ${name} goes both ways`);
      const frames = server.has(message) ? this.serverFrames : this.clientFrames;
      if (types.length === 0 && frames === this.clientFrames && !this.clientOther) this.clientOther = entry;
      else if (types.length === 0)
        this.documentProblems.push(`asyncapi.yaml: message ${name} has no payload.properties.type const or enum`);
      for (const type of types) {
        if (frames.has(type)) this.documentProblems.push(`asyncapi.yaml: frame type ${type} has two messages`);
        frames.set(type, entry);
      }
    }
  }

  private validator(checked: Checked): ValidateFunction | undefined {
    if (checked.schema && !checked.validate) checked.validate = this.ajv.compile(checked.schema);
    return checked.validate;
  }

  private responsesOf(operation: string): Map<number, Checked> {
    const byStatus = this.responses.get(operation);
    if (!byStatus) throw new Error(`unknown operation "${operation}"; the contract has: ${this.operations().join(', ')}`);
    return byStatus;
  }

  responseProblems(operation: string, status: number, body: unknown): string[] {
    const byStatus = this.responsesOf(operation);
    const response = byStatus.get(status);
    if (!response) return [`status ${status} is not a response of ${operation} (${[...byStatus.keys()].join(', ')})`];
    const validate = this.validator(response);
    if (!validate || validate(body)) return [];
    if (body === undefined || typeof body === 'string') return [rootHint(body)];
    return describeErrors(validate.errors ?? [], 'body');
  }

  private checkFrame(frames: Map<string, FrameMessage>, side: string, frame: unknown, type?: string): string[] {
    if (!isJsonObject(frame)) return [`frame: must be a JSON object (got ${show(frame)})`];
    const wanted = type ?? frame.type;
    if (typeof wanted !== 'string') return [`frame/type: must be a string naming the frame type (got ${show(wanted)})`];
    const message = frames.get(wanted) ?? (frames === this.clientFrames ? this.clientOther : undefined);
    if (!message) return [`frame/type: ${show(wanted)} is not a ${side} frame type (${[...frames.keys()].join(', ')})`];
    const validate = this.validator(message);
    const problems = validate && !validate(frame) ? describeErrors(validate.errors ?? [], 'frame') : [];
    const data = frame.data;
    for (const field of isJsonObject(data) ? (message.mirrored ?? []) : []) {
      const [top, mirror] = [frame[field], (data as JsonObject)[field]];
      if (mirror === undefined) problems.push(`frame/data/${field}: required field is missing`);
      else if (top !== undefined && !isDeepStrictEqual(top, mirror)) {
        problems.push(`frame/data/${field}: must equal the top-level ${field} (got ${show(mirror)}, top level ${show(top)})`);
      }
    }
    return [...new Set(problems)];
  }

  frameProblems(frame: unknown, type?: string): string[] {
    return this.checkFrame(this.serverFrames, 'server', frame, type);
  }

  clientFrameProblems(frame: unknown): string[] {
    return this.checkFrame(this.clientFrames, 'client', frame);
  }

  operations(): string[] {
    return [...this.responses.keys()].filter((op) => op !== ANY_ROUTE);
  }

  /** Statuses an operation declares, in document order. */
  statuses(operation: string): number[] {
    return [...this.responsesOf(operation).keys()];
  }

  frameTypes(): string[] {
    return [...this.serverFrames.keys()];
  }

  clientFrameTypes(): string[] {
    return [...this.clientFrames.keys()];
  }

  runEventTypes(): string[] {
    return [...this.serverFrames].filter(([, m]) => m.mirrored).map(([type]) => type);
  }

  ownFields(type: string): string[] {
    const fields = this.serverFrames.get(type)?.mirrored;
    if (!fields) throw new Error(`"${type}" is not a run event; run events are: ${this.runEventTypes().join(', ')}`);
    return [...fields];
  }

  runEnvelopeFields(): string[] {
    return [...this.envelope];
  }

  /** Compiles every response and message schema now; one line per schema that does not compile. */
  compileAll(): string[] {
    const problems: string[] = [];
    const compile = (where: string, checked: Checked) => {
      try {
        this.validator(checked);
      } catch (err) {
        problems.push(`${where}: ${(err as Error).message}`);
      }
    };
    for (const [operation, byStatus] of this.responses)
      for (const [status, r] of byStatus) compile(`openapi.yaml: ${operation} ${status}`, r);
    for (const [type, m] of this.serverFrames) compile(`asyncapi.yaml: server frame ${type}`, m);
    for (const [type, m] of this.clientFrames) compile(`asyncapi.yaml: client frame ${type}`, m);
    if (this.clientOther) compile(`asyncapi.yaml: client message ${this.clientOther.name}`, this.clientOther);
    return problems;
  }
}

let shared: Contract | undefined;
const contract = () => (shared ??= new Contract());

/**
 * Problems of one HTTP response: `operation` is `"<METHOD> <path template>"` as in the documents (`"GET
 * /api/threads/{id}"`) or `"*"` for the responses any route may give; `body` is the parsed JSON, or the raw text
 * when it is not JSON. A status the operation declares without a body schema accepts any body.
 */
export const responseProblems = (operation: string, status: number, body: unknown): string[] =>
  contract().responseProblems(operation, status, body);

/** Problems of one server frame, against the message of its `type` (or of `type` when given), run-event mirroring included. */
export const frameProblems = (frame: unknown, type?: string): string[] => contract().frameProblems(frame, type);

/** Problems of one client frame (what a client may send), for the server's own tests. */
export const clientFrameProblems = (frame: unknown): string[] => contract().clientFrameProblems(frame);

/** Every `"<METHOD> <path template>"` of openapi.yaml. */
export const operations = (): string[] => contract().operations();

/** The statuses an operation (or `"*"`) declares. */
export const statuses = (operation: string): number[] => contract().statuses(operation);

/** Every server frame type of asyncapi.yaml. */
export const frameTypes = (): string[] => contract().frameTypes();

/** Every client frame type asyncapi.yaml names (any other type is acknowledged). */
export const clientFrameTypes = (): string[] => contract().clientFrameTypes();

/** The run events: server frame types whose own fields are mirrored under `data`, in document order. */
export const runEventTypes = (): string[] => contract().runEventTypes();

/** A run event's own fields (its message's x-mirrored-in-data); throws for a type that is not a run event. */
export const ownFields = (type: string): string[] => contract().ownFields(type);

/** The top-level fields every run event carries (`type, run_id, thread_id, user_id, agent_name, timestamp`). */
export const runEnvelopeFields = (): string[] => contract().runEnvelopeFields();

let routes: { operation: string; method: string; pattern: RegExp; params: number }[] | undefined;

/**
 * The operation (`"GET /api/threads/{id}"`) a request to `path` with `method` is, or undefined when the documents
 * have none: for grouping measured latency by route.
 */
export function operationOf(method: string, path: string): string | undefined {
  routes ??= operations().map((operation) => {
    const [verb, template] = operation.split(' ');
    const pattern = template.split(/\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return { operation, method: verb, pattern: new RegExp(`^${pattern.join('[^/]+')}/?$`), params: pattern.length - 1 };
  });
  // A literal path wins over a template that also matches it (`/api/agents/execute` over `/api/agents/{type}`).
  routes.sort((a, b) => a.params - b.params);
  const bare = path.split('?')[0];
  return routes.find((r) => r.method === method.toUpperCase() && r.pattern.test(bare))?.operation;
}
