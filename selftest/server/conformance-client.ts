/**
 * The socket interface selftest/contract/server-conforms.spec.ts is written against, as a view of the contract
 * client's AgentSocket. That spec's body belongs to the contract documents' work; once it uses AgentSocket itself
 * (helpers.ts `connect` and `upgrade`, `say`/`startAgent` and `finished()`), this file goes.
 */
import { AgentRun } from '../../fixtures/client/agent-run';
import type { AgentSocket } from '../../fixtures/client/agent-socket';
import { connect as connectSocket, request, upgrade as upgradeSocket, type Frame, type SocketOptions } from './helpers';

export class Client {
  constructor(readonly socket: AgentSocket) {}

  /** The frames, then every message that was not one (a contract check must see those too). */
  get frames(): Frame[] {
    return [...this.socket.frames, ...this.socket.malformed.map((raw) => ({ type: '__unparseable__', raw }))];
  }

  get closed(): Promise<{ code: number; reason: string }> {
    return this.socket.closed;
  }

  send(frame: Frame): Promise<void> {
    return this.socket.send(frame);
  }

  request(frame: unknown, type: string): Promise<Frame> {
    return request(this.socket, frame as Frame | string, type);
  }

  waitFor(match: (frame: Frame) => boolean, timeout?: number): Promise<Frame> {
    return this.socket.waitFor(match, { timeout });
  }

  waitType(type: string, timeout?: number, from?: number): Promise<Frame> {
    return this.socket.waitFor(type, { timeout, from });
  }

  close(): Promise<{ code: number; reason: string }> {
    return this.socket.close();
  }
}

export async function connect(wsUrl: string, opts: SocketOptions): Promise<Client> {
  return new Client(await connectSocket(wsUrl, opts));
}

export async function upgrade(wsUrl: string, opts: SocketOptions = {}): Promise<{ open: true; client: Client } | { open: false }> {
  const { socket } = await upgradeSocket(wsUrl, opts);
  return socket ? { open: true, client: new Client(socket) } : { open: false };
}

/** Sends `frame`, which starts a run whose request is `text`, and resolves with the run's frames once it ended. */
export async function playRun(client: Client, frame: Frame, text: string): Promise<Frame[]> {
  const from = client.socket.frames.length;
  await client.socket.send(frame);
  return new AgentRun(client.socket, text, from, performance.now()).finished();
}
