/**
 * Render: view model -> Markdown with Handlebars. Templates are templates/<name>.hbs and partials
 * templates/partials/<name>.hbs, all compiled strict (a missing field throws instead of printing nothing) and
 * noEscape (the output is Markdown, not HTML; the model already made inline text safe).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Handlebars from 'handlebars';
import { helpers } from '../templates/helpers';
import { TEMPLATES_DIR } from './diagnosis';
import type { ViewModel } from './model';

export const TEMPLATE_NAMES = ['complete-summary', 'status-report'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export const DEFAULT_TEMPLATE: TemplateName = 'complete-summary';

export function isTemplateName(name: string | undefined): name is TemplateName {
  return !!name && (TEMPLATE_NAMES as readonly string[]).includes(name);
}

/** The template named by the option, else SUMMARY_TEMPLATE, else complete-summary. An unknown name is an error. */
export function resolveTemplate(option: string | undefined, env: NodeJS.ProcessEnv = process.env): TemplateName {
  const name = option ?? (env.SUMMARY_TEMPLATE?.trim() || DEFAULT_TEMPLATE);
  if (!isTemplateName(name)) throw new Error(`Unknown summary template "${name}" (expected one of ${TEMPLATE_NAMES.join(', ')})`);
  return name;
}

const OPTIONS: CompileOptions = { strict: true, noEscape: true };

type Compiled = (model: ViewModel) => string;
const cache = new Map<string, Compiled>();

function environment(dir: string): typeof Handlebars {
  const hbs = Handlebars.create();
  for (const [name, fn] of Object.entries(helpers)) hbs.registerHelper(name, fn as Handlebars.HelperDelegate);
  const partialsDir = path.join(dir, 'partials');
  if (fs.existsSync(partialsDir)) {
    for (const file of fs.readdirSync(partialsDir).sort()) {
      if (!file.endsWith('.hbs')) continue;
      const source = fs.readFileSync(path.join(partialsDir, file), 'utf8');
      hbs.registerPartial(file.slice(0, -4), hbs.compile(source, OPTIONS));
    }
  }
  return hbs;
}

/** Compiles (once per directory and name) the template; throws on syntax errors. */
export function compileTemplate(name: TemplateName, dir = TEMPLATES_DIR): Compiled {
  const cacheKey = `${dir}\0${name}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const hbs = environment(dir);
  const template = hbs.compile<ViewModel>(fs.readFileSync(path.join(dir, `${name}.hbs`), 'utf8'), OPTIONS);
  const compiled: Compiled = (model) => template(model);
  cache.set(cacheKey, compiled);
  return compiled;
}

/** Markdown for the model: blank-line runs collapsed, one trailing newline. */
export function renderMarkdown(model: ViewModel, name: TemplateName = DEFAULT_TEMPLATE, dir = TEMPLATES_DIR): string {
  const out = compileTemplate(name, dir)(model);
  return `${out
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}
