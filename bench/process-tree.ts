/**
 * Peak memory of a process tree, sampled from /proc (Linux): every `intervalMs` the tree below `rootPid` is found
 * from each process's parent pid, and the resident set size of each process is added to its role's total. Peaks
 * are per role (the sums at the sample where each role was largest) and for the whole tree.
 */
import * as fs from 'node:fs';

export type Role = 'runner' | 'workers' | 'server' | 'other';

export interface RssPeaks {
  /** Peak MiB per role, and of the whole tree. */
  runner: number;
  workers: number;
  server: number;
  other: number;
  total: number;
  /** Most worker processes seen at once. */
  maxWorkers: number;
  samples: number;
}

const PAGE_KIB = 4; // getconf PAGESIZE on x86_64 and arm64 Linux

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process ended between listing and reading
  }
}

/** pid -> parent pid of every process. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readText(`/proc/${name}/stat`);
    if (!stat) continue;
    // Field 4 (ppid) follows the command name, which is in parentheses and may contain spaces.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    out.set(Number(name), ppid);
  }
  return out;
}

/** Every pid below `root` (root included). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents()) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The process's role by its command line: the Playwright runner, a test worker, the embedded server (and its npx/tsx wrappers). */
function roleOf(pid: number, rootPid: number): Role | undefined {
  const cmdline = readText(`/proc/${pid}/cmdline`)?.replace(/\0/g, ' ');
  if (cmdline === undefined) return undefined;
  if (pid === rootPid) return 'runner';
  if (cmdline.includes('workerProcessEntry')) return 'workers';
  if (cmdline.includes('server/main.ts')) return 'server';
  return 'other';
}

function rssMiB(pid: number): number {
  const statm = readText(`/proc/${pid}/statm`);
  return statm ? (Number(statm.split(' ')[1]) * PAGE_KIB) / 1024 : 0;
}

/** Starts sampling the tree below `rootPid`; `stop()` returns the peaks. */
export function sampleRss(rootPid: number, intervalMs = 100): { stop(): RssPeaks } {
  const peaks: RssPeaks = { runner: 0, workers: 0, server: 0, other: 0, total: 0, maxWorkers: 0, samples: 0 };
  const sample = () => {
    const sums: Record<Role, number> = { runner: 0, workers: 0, server: 0, other: 0 };
    let workers = 0;
    for (const pid of descendants(rootPid)) {
      const role = roleOf(pid, rootPid);
      if (!role) continue;
      sums[role] += rssMiB(pid);
      if (role === 'workers') workers++;
    }
    for (const role of Object.keys(sums) as Role[]) peaks[role] = Math.max(peaks[role], sums[role]);
    peaks.total = Math.max(peaks.total, sums.runner + sums.workers + sums.server + sums.other);
    peaks.maxWorkers = Math.max(peaks.maxWorkers, workers);
    peaks.samples++;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return peaks;
    },
  };
}
