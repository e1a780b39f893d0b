/**
 * The command reference of docs/cli.md, generated from the command definitions themselves
 * (`npm run docs:cli` prints it; a test checks docs/cli.md holds it unchanged).
 */
import type { Command, Option } from 'commander';
import { allCommands, buildProgram, commandPath } from './program.js';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function usage(cmd: Command): string {
  const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`));
  return [commandPath(cmd), ...args].join(' ');
}

function optionRow(o: Option): string {
  const dflt = o.defaultValue === undefined ? '' : `\`${Array.isArray(o.defaultValue) ? o.defaultValue.join(',') : String(o.defaultValue)}\``;
  const env = o.envVar ? `\`${o.envVar}\`` : '';
  const extra = [o.argChoices ? `one of ${o.argChoices.join(', ')}` : ''].filter(Boolean).join('; ');
  return `| \`${cell(o.flags)}\` | ${dflt} | ${env} | ${cell(o.description)}${extra ? ` (${extra})` : ''} |`;
}

/** The commands that run something (not groups), in `mlmesh --help` order. */
export function leafCommands(program: Command): Command[] {
  return allCommands(program).filter((c) => c !== program && c.commands.filter((s) => s.name() !== 'help').length === 0);
}

/** The reference: a table of every command, then each command's options. */
export function cliReference(program: Command = buildProgram({ env: {}, signal: new AbortController().signal, debug: false, exitCode: 0 })): string {
  const leaves = leafCommands(program);
  const lines: string[] = ['| command | what it does |', '| --- | --- |'];
  for (const c of leaves) lines.push(`| [\`${cell(usage(c))}\`](#${commandPath(c).replace(/ /g, '-')}) | ${cell(c.description())} |`);
  for (const c of leaves) {
    lines.push('', `### ${commandPath(c)}`, '', `\`${usage(c)} [options]\``, '');
    for (const a of c.registeredArguments) lines.push(`- \`${a.name()}\`: ${a.description}`);
    if (c.registeredArguments.length > 0) lines.push('');
    const opts = c.options.filter((o) => !o.hidden);
    lines.push('| option | default | environment | meaning |', '| --- | --- | --- | --- |');
    for (const o of opts) lines.push(optionRow(o));
    lines.push('| `-h, --help` |  |  | this command\'s help |');
  }
  return lines.join('\n') + '\n';
}
