/**
 * What the reporter takes from the harness's settings: the target (never its credentials), the business weights,
 * the summary template and the thresholds and windows the summary is computed with. Everything comes from
 * `parseSettings` (fixtures/settings.ts), which never throws: a refused value is listed as a problem and its default
 * used, so a report is written even when the configuration is broken (and says so).
 */
import { environmentSecrets, redact } from '../fixtures/redact';
import { EMBEDDED_URL_VAR, parseSettings, settingValue, SETTING_SPECS, type SettingName } from '../fixtures/settings';
import { CATEGORIES } from '../tests/catalog';
import type { ReportSettings, TargetInfo, ThresholdSetting } from './types';

/** The summary templates: SUMMARY_TEMPLATE's choices, one templates/<name>.hbs each. */
export const TEMPLATE_NAMES = SETTING_SPECS.SUMMARY_TEMPLATE.choices;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];
export const DEFAULT_TEMPLATE: TemplateName = SETTING_SPECS.SUMMARY_TEMPLATE.default;

export interface Configuration {
  target: TargetInfo;
  /** Business weight per setting the categories name. */
  weights: Record<string, string | undefined>;
  template: TemplateName;
  settings: ReportSettings;
  /** Refused values, redacted: the settings above hold their defaults instead. */
  problems: string[];
}

const TARGET_URLS: SettingName[] = ['STAGING_BASE_URL', 'STAGING_AUTH_URL', 'STAGING_WS_URL'];
const THRESHOLDS: ThresholdSetting[] = ['WS_HANDSHAKE_MS', 'FIRST_EVENT_MS', 'RUN_COMPLETE_MS', 'HEALTH_P95_MS', 'LATENCY_P95_MS'];

/** A URL without userinfo or fragment, secrets redacted; anything unparsable loses `user:pass@` as text. */
export function safeUrl(raw: string, secrets: readonly string[] = environmentSecrets()): string {
  let text = raw.trim();
  try {
    const url = new URL(text);
    url.username = '';
    url.password = '';
    url.hash = '';
    text = url.toString().replace(/\/$/, '');
  } catch {
    text = text.replace(/\/\/[^/@\s]*@/, '//');
  }
  return redact(text, secrets);
}

export function readConfiguration(env: NodeJS.ProcessEnv = process.env): Configuration {
  const { values, problems } = parseSettings(env);
  const secrets = environmentSecrets(env);
  const messages = problems.map((p) => redact(p.message.replace(/\/\/[^/@\s"]*@/g, '//'), secrets));
  const refused = new Set(problems.map((p) => p.variable));

  const environment = values.environment;
  let target: TargetInfo = { kind: 'unknown', environment };
  const embeddedUrl = env[EMBEDDED_URL_VAR]?.trim();
  if (values.baseUrl) target = { kind: 'staging', url: safeUrl(values.baseUrl, secrets), environment };
  else if (!TARGET_URLS.some((name) => refused.has(name) || settingValue(values, name)) && embeddedUrl)
    target = { kind: 'embedded', url: safeUrl(embeddedUrl, secrets), environment };

  const weights: Record<string, string | undefined> = {};
  for (const category of CATEGORIES) {
    if (category.weightSetting) weights[category.weightSetting] = settingValue(values, category.weightSetting) as string | undefined;
  }
  const thresholds = Object.fromEntries(THRESHOLDS.map((name) => [name, settingValue(values, name) as number])) as Record<
    ThresholdSetting,
    number
  >;
  return {
    target,
    weights,
    template: values.summaryTemplate,
    settings: {
      historyWindow: values.historyWindow,
      perfChangeRatio: values.perfChangeRatio,
      perfChangeMinMs: values.perfChangeMinMs,
      flakyRate: values.flakyRate,
      finalResponseMinChars: values.finalResponseMinChars,
      thresholds,
    },
    problems: messages,
  };
}
