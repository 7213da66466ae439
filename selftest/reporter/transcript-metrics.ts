/**
 * A reporter for self-tests of the performance section against real runs, until the fixtures attach `metrics.json`
 * themselves: for each test without one, it derives the WebSocket measures from the test's `ws-transcript.jsonl`
 * and attaches them as `metrics.json`, exactly as the fixtures will. Listed before the iteration reporter, which
 * reads the attachment at its onEnd. A test that already has `metrics.json` is left as it is.
 *
 * - ws.handshake: a socket's `upgrade` event to its `connection_established`;
 * - run.first_event: a sent start_agent/user_message to the next agent_started of a new run on that socket;
 * - run.complete: the same request to that run's agent_completed with status `completed`.
 */
import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';
import type { MetricSample } from '../../reporter/types';

interface Entry {
  at: number;
  socket: string;
  dir: 'sent' | 'received' | 'event';
  type?: string;
  note?: string;
  frame?: { run_id?: string; agent_name?: string; status?: string };
}

const STARTS = new Set(['start_agent', 'user_message', 'message', 'chat']);

export function samplesFromTranscript(entries: Entry[]): MetricSample[] {
  const samples: MetricSample[] = [];
  const upgrades = new Map<string, number>();
  const waiting = new Map<string, number[]>();
  const runs = new Map<string, { sentAt: number; agent: string }>();
  for (const e of entries) {
    if (e.dir === 'event' && e.note?.startsWith('upgrade ')) upgrades.set(e.socket, e.at);
    if (e.dir === 'sent' && e.type && STARTS.has(e.type)) waiting.set(e.socket, [...(waiting.get(e.socket) ?? []), e.at]);
    if (e.dir !== 'received') continue;
    if (e.type === 'connection_established' && upgrades.has(e.socket)) {
      samples.push({ measure: 'ws.handshake', ms: e.at - upgrades.get(e.socket)! });
      upgrades.delete(e.socket);
    }
    const runId = e.frame?.run_id;
    if (e.type === 'agent_started' && runId && !runs.has(runId) && waiting.get(e.socket)?.length) {
      const sentAt = waiting.get(e.socket)!.shift()!;
      const agent = e.frame?.agent_name ?? 'unknown';
      runs.set(runId, { sentAt, agent });
      samples.push({ measure: 'run.first_event', agent, ms: e.at - sentAt });
    }
    const run = runId ? runs.get(runId) : undefined;
    if (e.type === 'agent_completed' && run && e.frame?.status === 'completed') {
      samples.push({ measure: 'run.complete', agent: run.agent, ms: e.at - run.sentAt });
    }
  }
  return samples;
}

export default class TranscriptMetrics implements Reporter {
  printsToStdio(): boolean {
    return false;
  }

  onTestEnd(_test: TestCase, result: TestResult): void {
    if (result.attachments.some((a) => a.name === 'metrics.json')) return;
    const transcript = result.attachments.find((a) => a.name === 'ws-transcript.jsonl' && a.body);
    if (!transcript) return;
    const entries = transcript
      .body!.toString('utf8')
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as Entry);
    const samples = samplesFromTranscript(entries);
    if (!samples.length) return;
    result.attachments.push({
      name: 'metrics.json',
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify({ version: 1, samples })),
    });
  }
}
