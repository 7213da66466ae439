/**
 * The attachments the reporter reads, parsed into plain records at collect time: a fixture's `diagnosis`, the
 * `metrics.json` every test attaches, agent tests' `quality-score.json` and the setup project's
 * `contract-drift.json`. A body may be inline or a file (attachments survive `merge-reports` either way). Anything
 * malformed is ignored rather than trusted; every text is redacted.
 */
import * as fs from 'node:fs';
import { DIAGNOSIS_ATTACHMENT } from '../fixtures/diagnosis';
import { redact } from '../fixtures/redact';
import type { Diagnosis, DriftRecord, MetricSample, QualityRecord, QualityRun } from './types';

export const METRICS_ATTACHMENT = 'metrics.json';
export const QUALITY_ATTACHMENT = 'quality-score.json';
export const DRIFT_ATTACHMENT = 'contract-drift.json';

export interface AttachmentLike {
  name: string;
  contentType: string;
  path?: string;
  body?: Buffer;
}

const text = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const record = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The attachment's JSON when it has that name and a JSON content type. */
function readJson(attachment: AttachmentLike, name: string): unknown {
  if (attachment.name !== name || !attachment.contentType.startsWith('application/json')) return undefined;
  try {
    const raw = attachment.body ? attachment.body.toString('utf8') : attachment.path ? fs.readFileSync(attachment.path, 'utf8') : undefined;
    return raw === undefined ? undefined : JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** A `diagnosis` attachment; undefined when it is not one or lacks a title, root cause or impact. */
export function parseDiagnosis(attachment: AttachmentLike, secrets: readonly string[]): Diagnosis | undefined {
  const d = readJson(attachment, DIAGNOSIS_ATTACHMENT);
  if (!record(d) || !text(d.title) || !text(d.rootCause) || !text(d.impact)) return undefined;
  const clean = (s: string) => redact(s.trim(), secrets);
  const diagnosis: Diagnosis = { title: clean(d.title), rootCause: clean(d.rootCause), impact: clean(d.impact) };
  if (text(d.nextStep)) diagnosis.nextStep = clean(d.nextStep);
  if (record(d.details)) diagnosis.details = JSON.parse(redact(JSON.stringify(d.details), secrets)) as Record<string, unknown>;
  return diagnosis;
}

/** `metrics.json` (`{"version":1,"samples":[...]}`): its measurements, and how many samples were not one. */
export function parseMetrics(
  attachment: AttachmentLike,
  secrets: readonly string[],
): { samples: MetricSample[]; rejected: number } | undefined {
  const m = readJson(attachment, METRICS_ATTACHMENT);
  if (!record(m) || m.version !== 1 || !Array.isArray(m.samples)) return undefined;
  const samples: MetricSample[] = [];
  for (const s of m.samples as unknown[]) {
    if (!record(s) || !text(s.measure) || !finite(s.ms) || s.ms < 0) continue;
    const sample: MetricSample = { measure: redact(s.measure.trim(), secrets), ms: s.ms };
    if (text(s.agent)) sample.agent = redact(s.agent.trim(), secrets);
    if (text(s.route)) sample.route = redact(s.route.trim(), secrets);
    if (finite(s.status)) sample.status = s.status;
    samples.push(sample);
  }
  return { samples, rejected: m.samples.length - samples.length };
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter(text) : []);

/** `quality-score.json` (tests/agent-execution/scenarios.ts `attachQuality`): each run's score and its parts. */
export function parseQuality(attachment: AttachmentLike, secrets: readonly string[]): QualityRecord | undefined {
  const q = readJson(attachment, QUALITY_ATTACHMENT);
  if (!record(q) || !Array.isArray(q.runs)) return undefined;
  const runs: QualityRun[] = [];
  for (const r of q.runs as unknown[]) {
    if (!record(r) || !record(r.quality) || !finite(r.quality.score) || !record(r.quality.parts)) continue;
    const parts = Object.fromEntries(Object.entries(r.quality.parts).filter((e): e is [string, number] => finite(e[1])));
    runs.push({
      scenario: redact(text(r.scenario) ? r.scenario : 'run', secrets),
      keywords: strings(r.keywords),
      keywordsFound: strings(r.quality.keywordsFound),
      score: r.quality.score,
      completed: r.quality.completed !== false,
      parts,
    });
  }
  if (!runs.length) return undefined;
  return { ...(finite(q.qualitySla) ? { qualitySla: q.qualitySla } : {}), runs };
}

/** `contract-drift.json` (`{"drifts":[{"where","what","field"?}]}`). */
export function parseContractDrift(attachment: AttachmentLike, secrets: readonly string[]): DriftRecord[] | undefined {
  const d = readJson(attachment, DRIFT_ATTACHMENT);
  if (!record(d) || !Array.isArray(d.drifts)) return undefined;
  return (d.drifts as unknown[])
    .filter((x): x is { where: string; what: string; field?: unknown } => record(x) && text(x.where) && text(x.what))
    .map((x) => ({
      where: redact(x.where.trim(), secrets),
      what: redact(x.what.trim(), secrets),
      ...(text(x.field) ? { field: redact(x.field.trim(), secrets) } : {}),
    }));
}
