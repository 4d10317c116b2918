// The questions of every template, for the command's flags (one flag per question) and its help.
import { flagName } from './params.js';
import { listTemplates, loadTemplate, type ParamSpec, templatesDir } from './template.js';

export interface QuestionFlag {
  flag: string;
  description: string;
  multiple: boolean;
  templates: string[];
}

/** One entry per distinct question name across the templates, in first-seen order. */
export function questionFlags(dir = templatesDir()): QuestionFlag[] {
  const byName = new Map<string, QuestionFlag & { p: ParamSpec }>();
  for (const { name } of listTemplates(dir)) {
    const r = loadTemplate(name, dir);
    if (!r.ok) continue;
    for (const p of r.template.params) {
      const have = byName.get(p.name);
      if (have) {
        have.templates.push(name);
        continue;
      }
      const how = p.list ? (p.type === 'script' || p.type === 'realserver' ? ' (repeatable, or ; separated)' : ' (repeatable, or comma separated)') : '';
      byName.set(p.name, { flag: flagName(p), description: `${p.question}${how}`, multiple: p.list === true, templates: [name], p });
    }
  }
  return [...byName.values()].map(({ flag, description, multiple, templates }) => ({ flag, description, multiple, templates }));
}
