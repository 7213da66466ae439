/**
 * Processes left behind by a child run: every process (but this one) whose command line or environment mentions
 * `marker`, typically the run's own temp directory, which the runner, its workers and its web server all inherit
 * through PLAYWRIGHT_HTML_OUTPUT_DIR / ITERATION_REPORTER_OUTPUT_DIR. Linux only (/proc).
 */
import * as fs from 'node:fs';
import net from 'node:net';

export interface Leftover {
  pid: number;
  cmdline: string;
}

function read(file: string): string {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return ''; // gone, or not ours to read
  }
}

export function processesMentioning(marker: string): Leftover[] {
  const out: Leftover[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = read(`/proc/${name}/cmdline`).replace(/\0/g, ' ').trim();
    // A zombie has an empty command line; it holds nothing but its exit status and is not "left running".
    if (!cmdline) continue;
    if (cmdline.includes(marker) || read(`/proc/${name}/environ`).includes(marker)) out.push({ pid: Number(name), cmdline });
  }
  return out;
}

/** Polls until no process mentions `marker` or `timeoutMs` passes; returns what is still there. */
export async function waitForNoProcesses(marker: string, timeoutMs = 5_000): Promise<Leftover[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = processesMentioning(marker);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(2_000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}
