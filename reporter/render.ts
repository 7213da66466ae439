/**
 * Render, the third step of the pipeline: view model -> Markdown with Handlebars. Templates are
 * templates/<name>.hbs, one per choice of the SUMMARY_TEMPLATE setting (the setting lists the names; a self-test
 * checks the files match), and partials templates/partials/<name>.hbs, all compiled strict (a missing field throws
 * instead of printing nothing) and noEscape (the output is Markdown, not HTML; the model already made inline text safe).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Handlebars from 'handlebars';
import { helpers } from '../templates/helpers';
import { DEFAULT_TEMPLATE, TEMPLATE_NAMES, type TemplateName } from './configuration';
import { TEMPLATES_DIR } from './diagnosis';
import type { ViewModel } from './model';

export { DEFAULT_TEMPLATE, TEMPLATE_NAMES, type TemplateName };

/** The reporter's `template` option when given (a name outside SUMMARY_TEMPLATE's choices is an error), else the setting. */
export function resolveTemplate(option: string | undefined, configured: TemplateName): TemplateName {
  if (option === undefined) return configured;
  if (!(TEMPLATE_NAMES as readonly string[]).includes(option))
    throw new Error(`Unknown summary template "${option}" (expected one of ${TEMPLATE_NAMES.join(', ')})`);
  return option as TemplateName;
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
