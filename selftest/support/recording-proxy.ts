/**
 * An HTTP + WebSocket-upgrade proxy in front of a target that writes down every credential crossing it: bearer
 * tokens, the bypass key, `jwt.` subprotocol entries, `?ticket=` / `?token=` parameters, and the token and ticket
 * fields of request and response bodies. A child harness run pointed at it (STAGING_BASE_URL) then has a complete
 * list of "the run's secrets" to look for in its artifacts, and of the tokens that must be dead after it.
 * Bodies pass through unchanged; frames after an upgrade are piped, not parsed.
 */
import { request as httpRequest, createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface RecordedCredentials {
  /** Access and refresh tokens (JWTs or opaque) seen in headers, subprotocols, parameters or bodies. */
  tokens: Set<string>;
  /** WebSocket ticket ids. */
  tickets: Set<string>;
  /** Values of X-E2E-Bypass-Key. */
  bypassKeys: Set<string>;
}

export interface RecordingProxy extends RecordedCredentials {
  url: string;
  /** Every recorded value, for scans. */
  all(): string[];
  close(): Promise<void>;
}

const TOKEN_FIELDS = new Set(['access_token', 'refresh_token', 'token']);
const TICKET_FIELDS = new Set(['ticket_id', 'ticket']);

export async function startRecordingProxy(targetUrl: string): Promise<RecordingProxy> {
  const target = new URL(targetUrl);
  const host = target.hostname;
  const port = Number(target.port || 80);
  const seen: RecordedCredentials = { tokens: new Set(), tickets: new Set(), bypassKeys: new Set() };
  const add = (set: Set<string>, value: unknown) => {
    if (typeof value === 'string' && value.length >= 8) set.add(value);
  };

  const fromJson = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(fromJson);
    else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (TOKEN_FIELDS.has(key)) add(seen.tokens, v);
        else if (TICKET_FIELDS.has(key)) add(seen.tickets, v);
        else fromJson(v);
      }
    }
  };
  const fromBody = (body: Buffer) => {
    if (!body.length) return;
    try {
      fromJson(JSON.parse(body.toString('utf8')));
    } catch {
      // not JSON: nothing of the contract's credentials travels in other bodies
    }
  };
  const fromRequest = (url: string, headers: IncomingHttpHeaders) => {
    const bearer = /^Bearer\s+(.+)$/i.exec(String(headers.authorization ?? ''));
    if (bearer) add(seen.tokens, bearer[1].trim());
    add(seen.bypassKeys, headers['x-e2e-bypass-key']);
    for (const entry of String(headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())) {
      if (!entry.startsWith('jwt.')) continue;
      const raw = entry.slice(4);
      add(seen.tokens, raw.startsWith('eyJ') ? raw : Buffer.from(raw, 'base64url').toString('utf8'));
      add(seen.tokens, raw);
    }
    const query = new URL(url, 'http://x').searchParams;
    add(seen.tickets, query.get('ticket'));
    add(seen.tokens, query.get('token'));
    add(seen.tokens, query.get('access_token'));
  };

  const upgraded = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      fromRequest(req.url ?? '/', req.headers);
      fromBody(body);
      const upstream = httpRequest({ host, port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          const payload = Buffer.concat(parts);
          fromBody(payload);
          // The body is passed on whole: its length replaces any chunked framing (HEAD, 204 and 304 have none).
          const headers = { ...answer.headers };
          delete headers['transfer-encoding'];
          const status = answer.statusCode ?? 502;
          if (req.method !== 'HEAD' && status !== 204 && status !== 304) headers['content-length'] = String(payload.length);
          res.writeHead(status, answer.statusMessage, headers);
          res.end(payload);
        });
      });
      upstream.on('error', (error) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy: ${error.message}`);
      });
      upstream.end(body);
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    fromRequest(req.url ?? '/', req.headers);
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    const upstream = connect(port, host, () => {
      let head1 = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) head1 += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      upstream.write(`${head1}\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upgraded.add(upstream);
    upstream.on('close', () => {
      upgraded.delete(upstream);
      socket.destroy();
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    socket.on('close', () => upstream.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as AddressInfo;
  return {
    ...seen,
    url: `http://127.0.0.1:${own}`,
    all: () => [...seen.tokens, ...seen.tickets, ...seen.bypassKeys],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of upgraded) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
