import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import YAML from 'yaml';
import { projectRoot } from '../../shared/config/index.js';
import { DAYS_30, freshLocation, startFeatures, transactions, windowMean } from '../helpers/features.js';
import type { FeaturesFixture, StoreLocation } from '../helpers/features.js';
import { runNode } from '../helpers/process.js';

let loc: StoreLocation;
let f: FeaturesFixture;
let dir: string;

test.before(async () => {
  loc = await freshLocation('sqlite');
  f = await startFeatures(loc);
  dir = await mkdtemp(join(tmpdir(), 'mlmesh-features-cli-'));
});

test.after.always(async () => {
  await f?.stop();
  await loc?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | string; stdout: string[]; stderr: string }> {
  const child = runNode('tools/cli/main.js', ['features', ...args, '--address', f.service.address, '--json'], env);
  const code = await child.exited;
  return { code, stdout: child.stdout, stderr: child.stderr.join('\n') };
}

test.serial('cli features - register, materialize, then historical rows to CSV, point-in-time correct', async (t) => {
  const reg = await cli(['register', join(projectRoot(), 'test/fixtures/features/avg_balance_30d.yaml')]);
  t.is(reg.code, 0, reg.stderr);
  const lines = (out: string[]) => out.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.deepEqual(lines(reg.stdout).map((o) => [o['action'], o['feature'] ?? o['service'], o['created']]), [
    ['add', 'avg_balance_30d@1', true],
    ['add', 'avg_balance_30d@2', true],
    ['add', 'credit_model_v3', true],
    [undefined, undefined, undefined],
  ]);
  t.deepEqual(lines(reg.stdout).at(-1), { summary: { add: 3, unchanged: 0, change: 0, remove: 0 }, applied: true });
  const again = await cli(['register', join(projectRoot(), 'test/fixtures/features/avg_balance_30d.yaml')]);
  t.is(again.code, 0, again.stderr);
  t.deepEqual(lines(again.stdout).at(-1), { summary: { add: 0, unchanged: 3, change: 0, remove: 0 }, applied: true });
  for (const v of [1, 2]) {
    const m = await cli(['materialize', '--feature', `avg_balance_30d@${v}`, '--start', '2026-01-01T00:00:00Z', '--end', String(Date.UTC(2026, 5, 1))]);
    t.is(m.code, 0, m.stderr);
    t.like(JSON.parse(m.stdout[0] ?? '{}'), { rows_read: String(transactions().length), entities: 9 });
  }
  const rows = [
    ['u1', '2026-02-10T00:00:00Z', Date.UTC(2026, 1, 10)],
    ['u2', '2026-03-03 12:00', Date.UTC(2026, 2, 3, 12)],
    ['u9', '2026-01-07T00:00:00Z', Date.UTC(2026, 0, 7)],
    ['u9', '2026-01-06T01:00:00+01:00', Date.UTC(2026, 0, 6)],
    ['nobody', '2026-02-01', Date.UTC(2026, 1, 1)],
  ] as const;
  await writeFile(join(dir, 'rows.csv'), 'user,when\n' + rows.map((r) => r.slice(0, 2).join(',')).join('\n') + '\n');
  const out = join(dir, 'training.csv');
  const h = await cli(['historical', '--entities', join(dir, 'rows.csv'), '--service', 'credit_model_v3', '--out', out, '--entity-column', 'user', '--timestamp-column', 'when', '--statuses', '--batch-rows', '2']);
  t.is(h.code, 0, h.stderr);
  t.deepEqual(JSON.parse(h.stdout[0] ?? '{}'), { out, rows: 5 });
  const csvLines = (await readFile(out, 'utf8')).trim().split('\n');
  t.is(csvLines[0], 'user,when,avg_balance_30d@2,avg_balance_30d@2:status,avg_balance_30d@1,avg_balance_30d@1:status');
  const tx = transactions();
  rows.forEach(([user, when, at], i) => {
    const cells = (csvLines[i + 1] ?? '').split(',');
    t.is(cells[0], user);
    t.is(cells[1], when);
    const v1 = windowMean(tx, user, at, DAYS_30);
    const v2 = windowMean(tx, user, at, DAYS_30, (b) => Math.max(0, b));
    for (const [cell, expected] of [[cells[2], v2], [cells[4], v1]] as const) {
      if (expected === null) t.is(cell, '');
      else t.true(Math.abs(Number(cell) - expected) < 1e-9, `${user} ${when}: ${cell} vs ${expected}`);
    }
  });
  // u9's only transaction is at 2026-01-06T00:00Z: the row at exactly that time sees it, nothing earlier exists.
  t.is((csvLines[4] ?? '').split(',')[3], 'PRESENT');
  t.is((csvLines[5] ?? '').split(',')[3], 'NOT_FOUND');
});

test.serial('cli features - historical entity times: the same rows in ISO 8601 and epoch seconds give the same CSV under any TZ; other formats are refused naming the line', async (t) => {
  // Needs the definitions registered and materialized by the first test.
  const times = [Date.UTC(2026, 1, 10), Date.UTC(2026, 2, 3, 12), Date.UTC(2026, 0, 6)];
  await writeFile(join(dir, 'iso.csv'), 'entity_id,ts\n' + times.map((ms, i) => `u${i + 1},${new Date(ms).toISOString().replace('T', ' ').replace('.000Z', '')}`).join('\n') + '\n');
  await writeFile(join(dir, 'secs.csv'), 'entity_id,ts\n' + times.map((ms, i) => `u${i + 1},${ms / 1000}`).join('\n') + '\n');
  const outputs: string[] = [];
  for (const TZ of ['America/New_York', 'Asia/Kathmandu']) {
    for (const [file, format] of [['iso.csv', 'ISO_8601'], ['secs.csv', 'EPOCH_SECONDS']] as const) {
      const out = join(dir, `out-${format}-${TZ.replace('/', '_')}.csv`);
      const h = await cli(['historical', '--entities', join(dir, file), '--service', 'credit_model_v3', '--out', out, '--timestamp-format', format], { TZ });
      t.is(h.code, 0, h.stderr);
      // Only the feature columns: the time column holds each file's own text.
      outputs.push((await readFile(out, 'utf8')).trim().split('\n').map((l) => l.split(',').filter((_, i) => i !== 1).join(',')).join('\n'));
    }
  }
  t.is(new Set(outputs).size, 1, outputs.join('\n---\n'));
  t.true((outputs[0] ?? '').split('\n').slice(1).every((l) => /^u\d,-?\d+(\.\d+)?,-?\d+(\.\d+)?$/.test(l)), outputs[0]);
  // Seconds without --timestamp-format, and a date-time that is not ISO 8601 (read in the host's zone before).
  const secs = await cli(['historical', '--entities', join(dir, 'secs.csv'), '--service', 'credit_model_v3', '--out', join(dir, 'x.csv')]);
  t.is(secs.code, 1);
  t.regex(secs.stderr, /secs\.csv: line 2: column ts: "1770681600" is a number, whose unit is not known/);
  await writeFile(join(dir, 'slashes.csv'), 'entity_id,ts\nu1,2026-02-10T00:00:00Z\nu1,02/10/2026 10:00\n');
  for (const TZ of ['America/New_York', 'Asia/Kathmandu']) {
    const bad = await cli(['historical', '--entities', join(dir, 'slashes.csv'), '--service', 'credit_model_v3', '--out', join(dir, 'x.csv')], { TZ });
    t.is(bad.code, 1);
    t.regex(bad.stderr, /slashes\.csv: line 3: column ts: "02\/10\/2026 10:00" is not an ISO 8601 date or date-time/);
  }
  const feb30 = await cli(['materialize', '--feature', 'avg_balance_30d@1', '--start', '2026-02-30T00:00:00Z', '--end', '2026-03-01']);
  t.is(feb30.code, 2);
  t.regex(feb30.stderr, /--start: .*February 2026 has 28 days/);
});

test.serial('cli features - usage errors exit 2, refusals by the service exit 1 with its message', async (t) => {
  const usage = await cli(['materialize', '--feature', 'x@1', '--start', 'yesterday', '--end', '5']);
  t.is(usage.code, 2);
  t.regex(usage.stderr, /--start: 'yesterday' is neither epoch ms nor an ISO-8601 time/);
  const missing = await cli(['get', 'nope@1']);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /feature nope@1 is not registered/);
  const bad = await cli(['historical', '--entities', join(dir, 'none.csv'), '--features', 'a@1', '--out', join(dir, 'x.csv')]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /ENOENT/);
});

test.serial('cli features - a definition file with plain scalars in a filter registers as through the API', async (t) => {
  const file = join(dir, 'filtered.yaml');
  await writeFile(
    file,
    [
      'features:',
      '  - name: big_balance',
      '    version: 1',
      '    entity: user',
      '    value_type: FLOAT',
      '    source:',
      '      entity_column: user_id',
      '      timestamp_column: ts',
      '      file: { path: test/fixtures/features/transactions.csv }',
      '    transforms:',
      '      - filter: { column: balance, op: GT, value: 500 }',
      '      - window: { column: balance, aggregation: MAX, window_ms: 2592000000, output: value }',
      '',
    ].join('\n'),
  );
  const reg = await cli(['register', file]);
  t.is(reg.code, 0, reg.stderr);
  const got = await cli(['get', 'big_balance@1']);
  t.is(got.code, 0, got.stderr);
  t.regex(got.stdout.join('\n'), /"float_value":500/);
});

test.serial('cli features - plan and apply a folder of definitions: adds, unchanged, changes refused (nothing applied), removals listed', async (t) => {
  const defs = join(dir, 'defs');
  await mkdir(join(defs, 'sub'), { recursive: true });
  const feature = (name: string, version: number, windowMs = 86_400_000) => ({
    name,
    version,
    entity: 'user',
    value_type: 'FLOAT',
    source: { entity_column: 'user_id', file: { path: 'test/fixtures/features/transactions.csv' } },
    transforms: [{ window: { column: 'balance', aggregation: 'MAX', window_ms: windowMs, output: 'value' } }],
  });
  const writeA = (windowMs: number, extra: object[] = []) => writeFile(join(defs, 'a.yaml'), YAML.stringify([feature('folder_x', 1), feature('folder_x', 2, windowMs), ...extra]));
  await writeA(172_800_000);
  await writeFile(join(defs, 'sub', 'b.json'), JSON.stringify({ features: [feature('folder_y', 1)], services: [{ name: 'folder_model', features: ['folder_x@2', 'folder_y@1'] }] }));
  await writeFile(join(defs, '.draft.yaml'), 'not: [valid');
  await writeFile(join(defs, 'README.md'), '# not a definition\n');
  const lines = (out: string[]) => out.map((l) => JSON.parse(l) as Record<string, unknown>);
  const key = (o: Record<string, unknown>) => `${String(o['action'])} ${String(o['feature'] ?? o['service'])}`;

  const plan = await cli(['plan', defs]);
  t.is(plan.code, 0, plan.stderr);
  const planned = lines(plan.stdout);
  t.deepEqual(planned.filter((o) => o['action'] === 'add').map(key), ['add folder_x@1', 'add folder_x@2', 'add folder_y@1', 'add folder_model']);
  t.like(planned.find((o) => o['feature'] === 'folder_y@1'), { file: join(defs, 'sub', 'b.json') });
  // Registered by the earlier tests, not in this folder: listed, never removed.
  t.true(planned.some((o) => key(o) === 'remove avg_balance_30d@1' && /kept/.test(String(o['note']))));
  t.true(planned.some((o) => key(o) === 'remove credit_model_v3'));
  t.like(planned.at(-1), { summary: { add: 4, unchanged: 0, change: 0 }, applied: false });
  t.is((await cli(['get', 'folder_x@1'])).code, 1, 'plan registers nothing');

  const apply = await cli(['apply', defs]);
  t.is(apply.code, 0, apply.stderr);
  t.deepEqual(lines(apply.stdout).filter((o) => o['created'] === true).map(key), ['add folder_x@1', 'add folder_x@2', 'add folder_y@1', 'add folder_model']);
  t.is((await cli(['get', 'folder_x@2'])).code, 0);
  const again = await cli(['apply', defs]);
  t.like(lines(again.stdout).at(-1), { summary: { add: 0, unchanged: 4, change: 0 }, applied: true });

  // A changed definition (and a new one beside it): the plan shows what differs, apply refuses all of it.
  await writeA(259_200_000, [feature('folder_z', 1)]);
  const changed = await cli(['plan', defs]);
  t.is(changed.code, 1);
  const change = lines(changed.stdout).find((o) => o['action'] === 'change');
  t.like(change, { feature: 'folder_x@2', differs: ['transforms[0].window.window_ms'] });
  t.regex(String(change?.['note']), /definitions are immutable: folder_x@2 is registered with other content; register it as folder_x@3/);
  const refused = await cli(['apply', defs]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /1 error\(s\) in the plan: nothing was registered/);
  t.is((await cli(['get', 'folder_z@1'])).code, 1, 'the new definition beside the change was not registered either');

  // The review's case: register on a folder (EISDIR before).
  await writeA(172_800_000, [feature('folder_z', 1)]);
  const reg = await cli(['register', defs]);
  t.is(reg.code, 0, reg.stderr);
  t.deepEqual(lines(reg.stdout).filter((o) => o['created'] === true).map(key), ['add folder_z@1']);

  // The same ref defined twice, differently; a service naming a feature nobody defines; an empty folder.
  await writeFile(join(defs, 'sub', 'dup.yaml'), YAML.stringify([feature('folder_z', 1, 1000)]));
  await writeFile(join(defs, 'sub', 'svc.yaml'), YAML.stringify({ services: [{ name: 'folder_bad', features: ['folder_x@1', 'ghost@1'] }] }));
  const bad = await cli(['apply', defs]);
  t.is(bad.code, 1);
  const errors = lines(bad.stdout).map((o) => o['error']).filter(Boolean);
  t.true(errors.some((e) => /sub\/dup\.yaml: features\[0\]: folder_z@1 is also defined, differently, in .*a\.yaml/.test(String(e))), errors.join('\n'));
  t.true(errors.some((e) => /svc\.yaml: feature service folder_bad: ghost@1 is neither registered nor in the files/.test(String(e))), errors.join('\n'));
  await mkdir(join(dir, 'empty'), { recursive: true });
  const empty = await cli(['apply', join(dir, 'empty')]);
  t.is(empty.code, 1);
  t.regex(empty.stderr, /empty: no definition files \(\.yaml, \.yml, \.json\) in this folder/);
});

test.serial('cli features - materialize --chunks splits the range into consecutive calls; the training rows are the same as after one call', async (t) => {
  const rowsFile = join(dir, 'rows.csv');
  const historical = async (name: string): Promise<string> => {
    const out = join(dir, name);
    const h = await cli(['historical', '--entities', rowsFile, '--service', 'credit_model_v3', '--out', out, '--entity-column', 'user', '--timestamp-column', 'when', '--statuses']);
    t.is(h.code, 0, h.stderr);
    return readFile(out, 'utf8');
  };
  const before = await historical('before-chunks.csv');
  const start = Date.UTC(2026, 0, 1);
  const end = Date.UTC(2026, 5, 1);
  for (const v of [1, 2]) {
    const m = await cli(['materialize', '--feature', `avg_balance_30d@${v}`, '--start', String(start), '--end', String(end), '--chunks', '3']);
    t.is(m.code, 0, m.stderr);
    const parts = m.stdout.map((l) => JSON.parse(l) as { start_ms: number; end_ms: number; values_written: string });
    t.is(parts.length, 3);
    t.is(parts[0]?.start_ms, start);
    t.is(parts[2]?.end_ms, end);
    t.is(parts[0]?.end_ms, parts[1]?.start_ms);
    t.is(parts[1]?.end_ms, parts[2]?.start_ms);
    t.true(parts.reduce((n, p) => n + Number(p.values_written), 0) > 0);
  }
  t.is(await historical('after-chunks.csv'), before);
  const bad = await cli(['materialize', '--feature', 'avg_balance_30d@1', '--start', '5', '--end', '6', '--chunks', '0']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /'--chunks <n>' argument '0' is invalid/);
});
