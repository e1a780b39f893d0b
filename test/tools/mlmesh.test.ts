/**
 * The shape of the `mlmesh` command, for every command the program defines (read from the
 * definitions, so a new command is covered without editing this file): `--help` exits 0,
 * unknown commands and options exit 2 with one line, failures exit 1 without a stack unless
 * --debug, docs/cli.md holds the generated reference, progress bars only on a terminal.
 */
import { resolveRetrainerConfig } from '../../services/retrainer/index.js';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { projectRoot } from '../../shared/config/index.js';
import { resolveFeaturesConfig } from '../../services/features/index.js';
import { resolveInferenceConfig } from '../../services/inference/index.js';
import { resolveMonitorConfig } from '../../services/monitor/index.js';
import { resolveGatewayConfig } from '../../services/gateway/index.js';
import { resolveRolloutConfig } from '../../services/rollout/index.js';
import { resolvePreprocessConfig } from '../../services/preprocess/index.js';
import { cliReference, leafCommands } from '../../tools/cli/docs.js';
import { SERVICE_ADDRESSES } from '../../tools/cli/options.js';
import { allCommands, buildProgram, commandPath } from '../../tools/cli/program.js';
import { runNode } from '../helpers/process.js';

const root = projectRoot();
const program = buildProgram({ env: {}, signal: new AbortController().signal, debug: false, exitCode: 0 });
const commands = allCommands(program);
// A group with a default command (`feedback` → `feedback send`) hands a missing or unknown
// command to that command, whose own errors the leaf cases below check.
const hasDefault = (c: (typeof commands)[number]): boolean => (c as unknown as { _defaultCommandName?: string | null })._defaultCommandName != null;
const groups = commands.filter((c) => c !== program && c.commands.length > 0 && !hasDefault(c));
const leaves = leafCommands(program);

async function cli(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = runNode('tools/cli/main.js', args, env);
  const code = await child.exited;
  return { code, stdout: child.stdout.join('\n'), stderr: child.stderr.join('\n') };
}

/** Runs the cases a few at a time (each is a Node process). */
async function all<T, R>(items: readonly T[], fn: (x: T) => Promise<R>, width = 6): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

const words = (cmd: (typeof commands)[number]): string[] => commandPath(cmd).split(' ').slice(1);

test('mlmesh - the program has the command groups of the design card that exist now, each with commands', (t) => {
  const top = program.commands.map((c) => c.name());
  for (const name of ['model', 'pipeline', 'features', 'drift', 'loadtest', 'bench', 'manifest', 'reference', 'logs', 'feedback']) t.true(top.includes(name), name);
  t.deepEqual(leaves.map(commandPath).filter((p) => p.startsWith('mlmesh drift ')), ['mlmesh drift status', 'mlmesh drift reports', 'mlmesh drift report', 'mlmesh drift quality', 'mlmesh drift segments', 'mlmesh drift test']);
  t.true(leaves.some((c) => commandPath(c) === 'mlmesh model add'));
});

test('mlmesh - every command and group answers --help with exit 0 and its usage on stdout', async (t) => {
  const results = await all(commands, (c) => cli([...words(c), '--help']));
  results.forEach((r, i) => {
    const path = commandPath(commands[i] as (typeof commands)[number]);
    t.is(r.code, 0, `${path} --help: ${r.stderr}`);
    t.true(r.stdout.startsWith(`Usage: ${path}`), `${path}: ${r.stdout.slice(0, 80)}`);
    t.is(r.stderr, '', path);
  });
});

test('mlmesh - an unknown command in every group, and an unknown option of every command, exit 2 with one line naming it and the help', async (t) => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /^mlmesh: unknown command 'frobnicate'.*\(see 'mlmesh --help'\)$/],
    [['--frobnicate'], /^mlmesh: unknown option '--frobnicate' \(see 'mlmesh --help'\)$/],
    [[], /^mlmesh: missing command \(one of: up, status, model, .*\) \(see 'mlmesh --help'\)$/],
    ...groups.flatMap((g): [string[], RegExp][] => [
      [[...words(g), 'frobnicate'], new RegExp(`^${commandPath(g)}: unknown command 'frobnicate'.*\\(see '${commandPath(g)} --help'\\)$`)],
      [words(g), new RegExp(`^${commandPath(g)}: missing command \\(one of: `)],
    ]),
    ...leaves.map((c): [string[], RegExp] => [[...words(c), '--frobnicate'], new RegExp(`^${commandPath(c)}: unknown option '--frobnicate' \\(see '${commandPath(c)} --help'\\)$`)]),
  ];
  const results = await all(cases, ([args]) => cli(args));
  results.forEach((r, i) => {
    const [args, re] = cases[i] as [string[], RegExp];
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, re, args.join(' '));
    t.is(r.stderr.split('\n').length, 1, `one line: ${r.stderr}`);
    t.is(r.stdout, '', args.join(' '));
  });
});

test('mlmesh - --version prints the package version; a bad option value exits 2 naming the option', async (t) => {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
  const v = await cli(['--version']);
  t.is(v.code, 0);
  t.is(v.stdout.trim(), pkg.version);
  t.is(pkg.bin['mlmesh'], 'dist/tools/cli/main.js');
  t.true((await readFile(join(root, pkg.bin['mlmesh'] as string), 'utf8')).startsWith('#!/usr/bin/env node\n'), 'the bin has a shebang');
  const bad = await cli(['loadtest', '--concurrency', 'lots']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /^mlmesh loadtest: option '--concurrency <n>' argument 'lots' is invalid\. must be a positive integer/);
  const choice = await cli(['loadtest', '--engine', 'curl']);
  t.is(choice.code, 2);
  t.regex(choice.stderr, /'--engine <engine>' argument 'curl' is invalid\. Allowed choices are node, h2load/);
});

test('mlmesh - a failed operation exits 1 with its message and no stack; --debug and MLMESH_LOG_LEVEL=debug add the stack', async (t) => {
  const missing = join(tmpdir(), 'mlmesh-no-such-dir', '1');
  const plain = await cli(['manifest', missing]);
  t.is(plain.code, 1);
  t.regex(plain.stderr, /^mlmesh manifest: ENOENT: no such file or directory/);
  t.notRegex(plain.stderr, /\n\s+at /);
  for (const r of [await cli(['--debug', 'manifest', missing]), await cli(['manifest', missing, '--debug']), await cli(['manifest', missing], { MLMESH_LOG_LEVEL: 'debug' })]) {
    t.is(r.code, 1);
    t.regex(r.stderr, /\n\s+at /, 'a stack');
  }
  const down = await cli(['drift', 'status', '--address', '127.0.0.1:1', '--timeout-ms', '3000']);
  t.is(down.code, 1);
  t.regex(down.stderr, /^mlmesh drift status: monitor at 127\.0\.0\.1:1: (UNAVAILABLE|DEADLINE_EXCEEDED)/);
  t.notRegex(down.stderr, /\n\s+at /);
});

test('mlmesh - docs/cli.md holds the reference generated from the definitions, which lists every command and every visible option', async (t) => {
  const doc = await readFile(join(root, 'docs/cli.md'), 'utf8');
  const start = '<!-- cli-reference:start (npm run docs:cli) -->\n';
  const end = '<!-- cli-reference:end -->';
  const generated = cliReference();
  t.true(doc.includes(`${start}${generated}${end}`), 'docs/cli.md is out of date: paste `npm run docs:cli` between the markers');
  for (const c of leaves) {
    t.true(generated.includes(`### ${commandPath(c)}\n`), commandPath(c));
    for (const o of c.options.filter((x) => !x.hidden)) t.true(generated.includes(`| \`${o.flags.replace(/\|/g, '\\|')}\``), `${commandPath(c)} ${o.flags}`);
  }
});

test('mlmesh - one flag per concept: service addresses default to the services\' own ports, NATS to NATS_URL', (t) => {
  const ports: Record<string, number> = { inference: resolveInferenceConfig({ env: {} }).grpcPort, preprocess: resolvePreprocessConfig({ env: {} }).grpcPort, features: resolveFeaturesConfig({ env: {} }).grpcPort, monitor: resolveMonitorConfig({ env: {} }).grpcPort, gateway: resolveGatewayConfig({ env: {} }).grpcPort, rollout: resolveRolloutConfig({ env: {} }).grpcPort, retrainer: resolveRetrainerConfig({ env: {} }).grpcPort };
  for (const [name, s] of Object.entries(SERVICE_ADDRESSES)) t.is(ports[name], s.port, name);
  const byFlag = new Map<string, Set<string>>();
  for (const c of leaves) for (const o of c.options) (byFlag.get(o.long ?? '') ?? byFlag.set(o.long ?? '', new Set()).get(o.long ?? ''))?.add(`${o.flags.replace(/^--[\w-]+ ?/, '')}`);
  // A flag takes the same kind of value everywhere (--timeout-ms <ms>, --address <host:port>…).
  for (const flag of ['--address', '--nats', '--timeout-ms', '--json', '--model', '--repo']) t.is(byFlag.get(flag)?.size, 1, `${flag}: ${[...(byFlag.get(flag) ?? [])].join(' / ')}`);
  const nats = leaves.flatMap((c) => c.options.filter((o) => o.long === '--nats'));
  t.true(nats.length > 0 && nats.every((o) => o.envVar === 'NATS_URL'));
  const addr = leaves.flatMap((c) => c.options.filter((o) => o.long === '--address'));
  t.true(addr.length >= 10);
  t.true(addr.every((o) => /^MLMESH_(INFERENCE|PREPROCESS|FEATURES|MONITOR|GATEWAY|ROLLOUT|RETRAINER)_ADDRESS$/.test(o.envVar ?? '')));
});

test('mlmesh - a long job draws a progress bar with rate and ETA on a terminal, and nothing when stderr is a pipe', async (t) => {
  const repo = await mkdtemp(join(tmpdir(), 'mlmesh-progress-'));
  try {
    await cp(join(root, 'examples/models/digits_mlp'), join(repo, 'digits_mlp'), { recursive: true });
    const args = ['reference', '--repo', repo, '--model', 'digits_mlp', '--version', '1'];
    const piped = await cli(args);
    t.is(piped.code, 0, piped.stderr);
    t.is(piped.stderr, '', 'no progress in a pipe');
    // script(1) gives the command a pseudo-terminal, as a person's shell would.
    const main = join(root, 'dist/tools/cli/main.js');
    const line = [process.execPath, main, ...args].map((a) => `'${a}'`).join(' ');
    const { stdout } = await promisify(execFile)('script', ['-qec', `${line} >/dev/null`, '/dev/null'], { cwd: root });
    t.regex(stdout, /reference \[.*\] \d+% \| \d+\/100 rows \| [\d.k]+ rows\/s \| ETA/);
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
});

test('mlmesh - up and status are commands of the program; status with no mesh running exits 3, an unknown flag exits 2', async (t) => {
  const top = program.commands.map((c) => c.name());
  t.true(top.includes('up') && top.includes('status'));
  const varDir = await mkdtemp(join(tmpdir(), 'mlmesh-status-'));
  try {
    const none = await cli(['status', '--var-dir', varDir, '--json']);
    t.is(none.code, 3, none.stderr);
    const bad = await cli(['up', '--bogus']);
    t.is(bad.code, 2);
    t.regex(bad.stderr, /unknown option '--bogus'/);
  } finally {
    await rm(varDir, { recursive: true, force: true });
  }
});
