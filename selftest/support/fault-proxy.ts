/**
 * A TCP proxy in front of a target that breaks WebSocket connections mid-run, for the robustness self-tests.
 *
 * Every connection is forwarded as is until, on a WebSocket connection (the client's first bytes are an upgrade
 * request), the target sends the first agent event: the target's bytes after the 101 answer are cut into WebSocket
 * frames (a target's frames are unmasked, and the harness offers no compression, so they are plain JSON text), and
 * once the whole frame of type `agent_started` is delivered (the welcome frame lists event names too), the connection is
 *   - `drop`:  destroyed on both sides (the client sees the TCP connection end with no close frame: code 1006);
 *   - `stall`: kept open but no longer forwarded either way, as a hung target or a black-holed route would.
 * HTTP connections are never touched. The proxy records each connection so a test can check what became of it.
 */
import net from 'node:net';

export type FaultMode = 'drop' | 'stall' | 'pass';

export interface ProxiedConnection {
  id: number;
  websocket: boolean;
  openedAt: number;
  /** When the fault hit this connection (WebSocket connections that saw an agent event). */
  brokenAt?: number;
  /** When the client's side of the connection ended (FIN, reset or destroy), whoever caused it. */
  closedAt?: number;
  /** The target accepted the upgrade (101). */
  upgraded: boolean;
  /** The client sent a WebSocket close frame: it closed the socket itself, not the OS at its process's exit. */
  clientCloseFrame: boolean;
}

const TRIGGER = Buffer.from('"type":"agent_started"');
const UPGRADE = /^GET [^\r\n]+ HTTP\/1\.1\r\n[\s\S]*^upgrade:\s*websocket/im;

export class FaultProxy {
  readonly connections: ProxiedConnection[] = [];
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly targetPort: number,
    readonly mode: FaultMode,
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  /** Starts a proxy on a free port of 127.0.0.1 in front of `targetPort`. */
  static async start(targetPort: number, mode: FaultMode): Promise<FaultProxy> {
    const proxy = new FaultProxy(targetPort, mode);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /** Client connections whose client side has not ended yet. */
  open(): ProxiedConnection[] {
    return this.connections.filter((c) => c.closedAt === undefined);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const record: ProxiedConnection = {
      id: this.connections.length + 1,
      websocket: false,
      openedAt: Date.now(),
      upgraded: false,
      clientCloseFrame: false,
    };
    this.connections.push(record);
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    let first = true;
    let stalled = false;
    client.on('data', (chunk: Buffer) => {
      if (first) {
        first = false;
        record.websocket = UPGRADE.test(chunk.toString('latin1'));
      } else if (record.websocket && chunk[0] === 0x88) {
        // A close frame (FIN + opcode 8); the client writes each frame at once, so it starts a chunk.
        record.clientCloseFrame = true;
      }
      // A stalled connection delivers nothing more, the client's close frame included.
      if (!stalled) upstream.write(chunk);
    });
    let pending = Buffer.alloc(0);
    let headersDone = false;
    upstream.on('data', (chunk: Buffer) => {
      if (stalled || client.destroyed) return;
      if (!record.websocket) {
        client.write(chunk);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      if (!headersDone) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        headersDone = true;
        record.upgraded = pending.subarray(0, 13).toString('latin1') === 'HTTP/1.1 101 ';
        client.write(pending.subarray(0, end + 4));
        pending = pending.subarray(end + 4);
      }
      for (let size = frameSize(pending); size !== undefined && size <= pending.length; size = frameSize(pending)) {
        const frame = pending.subarray(0, size);
        pending = pending.subarray(size);
        client.write(frame);
        if (this.mode === 'pass' || !frame.includes(TRIGGER)) continue;
        record.brokenAt = Date.now();
        if (this.mode === 'drop') {
          client.destroy();
          upstream.destroy();
        } else {
          stalled = true;
        }
        return;
      }
    });
    // The client ending is what the tests watch; the target's side is only released after it (a stall holds it).
    client.on('close', () => {
      record.closedAt ??= Date.now();
      upstream.destroy();
    });
    upstream.on('close', () => {
      if (!stalled) client.destroy();
    });
  }
}

/** Bytes of the unmasked WebSocket frame at the start of `buffer` (header included), or undefined if its header is incomplete. */
function frameSize(buffer: Buffer): number | undefined {
  if (buffer.length < 2) return undefined;
  const length = buffer[1] & 0x7f;
  if (length < 126) return 2 + length;
  if (length === 126) return buffer.length < 4 ? undefined : 4 + buffer.readUInt16BE(2);
  return buffer.length < 10 ? undefined : 10 + Number(buffer.readBigUInt64BE(2));
}
