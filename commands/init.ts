import { Command, Flags } from '@oclif/core';
import chalk from 'chalk';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { formatHuman, type Paint, summaryLine } from '../src/config/report.js';
import { sourceLineOf } from '../src/config/validate.js';
import { type Answers, makeRandomPassword, type WizardEnv } from '../src/wizard/params.js';
import { renderNodes, renderNotes, resolveAnswers } from '../src/wizard/answers.js';
import { questionFlags } from '../src/wizard/flags.js';
import { hostInterfaces, usedVrids } from '../src/wizard/host.js';
import { askAnswers, askOverwrite, askTemplate } from '../src/wizard/interactive.js';
import { nextCommands, validateWritten, writeNodes } from '../src/wizard/output.js';
import { listTemplates, loadTemplate } from '../src/wizard/template.js';

const questions = questionFlags();
const questionFlagDefs = Object.fromEntries(
  questions.map((q) => [
    q.flag,
    q.multiple
      ? Flags.string({ description: q.description, multiple: true, helpGroup: 'QUESTION' })
      : Flags.string({ description: q.description, helpGroup: 'QUESTION' }),
  ]),
);

export default class Init extends Command {
  static override description = `Write keepalived.conf files for a common setup, one per node, and validate them.

Asks on a terminal for what the flags and --answers leave open (interface, VIP, a free VRID, priorities,
unicast peers, a random auth_pass, alerts, tracking). Without a terminal, or with --yes, it takes flags
and --answers (a JSON object of question names to values) and fails with one line per missing answer.
Never overwrites a file without confirmation (non-interactive: --force). Templates: ${listTemplates()
    .map((t) => t.name)
    .join(', ')}.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --template active-backup --interface eth0 --vip 192.0.2.100/24 --yes',
    '<%= config.bin %> <%= command.id %> --template lvs-dr --interface eth0 --vip 198.51.100.10/24 --real-server 198.51.100.21 --real-server 198.51.100.22 --checker HTTP_GET --yes',
    '<%= config.bin %> <%= command.id %> --answers answers.json --out /tmp/pair --yes --json',
  ];

  static override enableJsonFlag = true;

  static override flags = {
    template: Flags.string({ char: 't', description: 'template to use' }),
    out: Flags.string({ char: 'o', description: 'directory for the files (default ./keepalived-<template>)' }),
    answers: Flags.string({ description: 'JSON file of answers: {"template": "...", "vip": "...", "real_server": [...]} (JSON only, no YAML)' }),
    yes: Flags.boolean({ char: 'y', description: 'ask nothing: take flags, --answers and defaults' }),
    force: Flags.boolean({ description: 'replace existing files (non-interactive)' }),
    ...questionFlagDefs,
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Init);
    const fl = flags as Record<string, unknown>;
    const interactive = process.stdin.isTTY === true && !flags.yes && !this.jsonEnabled();
    try {
      return await this.wizard(fl, interactive);
    } catch (e) {
      if (e instanceof Error && e.name === 'ExitPromptError') {
        this.logToStderr('keepalivedctl init: cancelled; nothing written');
        this.exit(130);
      }
      throw e;
    }
  }

  private fail(lines: string[], code: number): never {
    for (const l of lines) this.logToStderr(`keepalivedctl init: ${l}`);
    this.exit(code);
  }

  private async wizard(fl: Record<string, unknown>, interactive: boolean): Promise<unknown> {
    const given: Record<string, unknown> = {};
    if (typeof fl.answers === 'string') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(fl.answers, 'utf8'));
      } catch (e) {
        this.fail([`cannot read answers file ${fl.answers}: ${(e as Error).message} (it must be JSON)`], 2);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) this.fail([`answers file ${fl.answers} must hold a JSON object`], 2);
      Object.assign(given, parsed);
    }
    for (const q of questions) if (fl[q.flag] !== undefined) given[q.flag.replaceAll('-', '_')] = fl[q.flag];
    for (const k of Object.keys(given)) if (k.includes('-')) given[k.replaceAll('-', '_')] ??= given[k];

    const templates = listTemplates();
    let name = (fl.template as string | undefined) ?? (typeof given.template === 'string' ? given.template : undefined);
    if (!name) {
      if (!interactive) this.fail([`missing answer: --template (one of ${templates.map((t) => t.name).join(', ')})`], 2);
      name = await askTemplate(templates);
    }
    const loaded = loadTemplate(name);
    if (!loaded.ok) this.fail(loaded.error.split('\n'), 2);
    const t = loaded.template;
    const out = (fl.out as string | undefined) ?? `./keepalived-${t.name}`;

    const env: WizardEnv = {
      usedVrids: usedVrids([out, '/etc/keepalived']),
      randomPassword: makeRandomPassword((n) => randomBytes(n)),
      hostIfs: await hostInterfaces(),
    };
    const warnings: string[] = [];
    let answers: Answers;
    if (interactive) {
      answers = await askAnswers(t, given, env, (s) => this.logToStderr(s));
    } else {
      const r = resolveAnswers(t, given, env);
      if (r.problems.length) this.fail(r.problems, 2);
      answers = r.answers;
      warnings.push(...r.warnings);
      if (!this.jsonEnabled()) for (const w of r.warnings) this.logToStderr(`warning: ${w}`);
    }

    const rendered = renderNodes(t, answers);
    if (!rendered.ok) this.fail([`template ${t.name} did not render: ${rendered.error}`], 1);
    const force = fl.force === true;
    const w = await writeNodes(out, rendered.nodes, interactive ? askOverwrite : async () => force);
    if (w.error) this.fail([w.error], 1);
    if (w.skipped.length) {
      this.fail(w.skipped.map((f) => `refusing to overwrite ${f}${interactive ? '' : ' (use --force)'}; nothing written`), 1);
    }

    const v = validateWritten(w.written);
    process.exitCode = v.valid ? 0 : 1;
    const next = nextCommands(w.written, rendered.nodes);
    const notes = renderNotes(t, answers);
    const json = {
      template: t.name,
      files: w.written,
      validation: {
        valid: v.valid,
        errors: v.errors,
        warnings: v.warnings,
        diagnostics: v.diagnostics.map((d) => ({ severity: d.severity, code: d.code, file: d.file, line: d.line, column: d.column, message: d.message })),
      },
      next,
      notes,
      warnings,
    };
    if (this.jsonEnabled()) return json;

    const paint: Paint = { error: chalk.red.bold, warning: chalk.yellow.bold, dim: chalk.dim, bold: chalk.bold };
    this.log(`Wrote ${w.written.length} file${w.written.length === 1 ? '' : 's'}:`);
    for (const f of w.written) this.log(`  ${f}`);
    this.log('');
    this.log(`keepalivedctl validate ${w.written.length > 1 ? '(as one cluster)' : ''}:`.replace(' :', ':'));
    for (const d of v.diagnostics) this.log(formatHuman(d, sourceLineOf(d, v.sources), paint));
    const summary = summaryLine(w.written.length, v.errors, v.warnings);
    this.log(v.valid ? chalk.green(summary) : chalk.red(summary));
    this.log('');
    this.log('Next:');
    for (const c of next) this.log(`  ${c}`);
    for (const n of notes) this.log(`\nNote: ${n}`);
    return json;
  }
}
