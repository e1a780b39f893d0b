/**
 * `mlmesh predict` and `mlmesh deployments` as child processes against the gateway test mesh:
 * rows inline and from files, text and --json, row errors in the output with exit 0, usage
 * errors exit 2, a failed call exits 1 with the gateway's status.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { APPLICANTS, startGatewayMesh } from '../helpers/gateway.js';
import type { GatewayMesh } from '../helpers/gateway.js';
import { runNode } from '../helpers/process.js';

let mesh: GatewayMesh;
let tmp = '';

test.before(async () => {
  mesh = await startGatewayMesh();
  tmp = await mkdtemp(join(tmpdir(), 'mlmesh-gw-cli-'));
});

test.after.always(async () => {
  await mesh?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function cli(args: readonly string[]): Promise<{ code: number | string; stdout: string[]; stderr: string }> {
  const child = runNode('tools/cli/main.js', args, { MLMESH_GATEWAY_ADDRESS: mesh.gateway.address });
  const code = await child.exited;
  return { code, stdout: child.stdout, stderr: child.stderr.join('\n') };
}

const ROWS = [
  { applicant_id: APPLICANTS.fresh, amount: 500, channel: 'web' },
  { applicant_id: APPLICANTS.fresh, amount: 500, channel: 'nope' },
];

test('cli - predict prints one line per row, predictions and errors, and exits 0', async (t) => {
  const r = await cli(['predict', 'risk', '--rows', JSON.stringify(ROWS)]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout[0] ?? '', /^risk@1: model gw_risk@1, pipeline gw_risk_features@1, features balance@1, request \S+: 1 predicted, 1 with errors, 0 cached$/);
  t.regex(r.stdout[1] ?? '', /^row 0: (repaid|default) 0\.\d{4} \(v1\)$/);
  t.regex(r.stdout[2] ?? '', /^row 1: UNKNOWN_CATEGORY channel: /);
});

test('cli - predict --json from a .jsonl file, with --as-of and --request-id', async (t) => {
  const file = join(tmp, 'rows.jsonl');
  await writeFile(file, `${JSON.stringify({ applicant_id: APPLICANTS.old, amount: 1, channel: 'app' })}\n\n`);
  const at = new Date(mesh.writtenAt - 9.5 * 24 * 3600 * 1000).toISOString();
  const r = await cli(['predict', 'risk', '--rows', file, '--as-of', at, '--request-id', 'cli-req-1', '--json']);
  t.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout[0] ?? 'null') as { request_id: string; rows: { prediction?: { values: number[] } }[] };
  t.is(out.request_id, 'cli-req-1');
  t.is(out.rows[0]?.prediction?.values.length, 2);
});

test('cli - deployments lists what serves; with a name, the spec', async (t) => {
  const list = await cli(['deployments', '--json']);
  t.is(list.code, 0, list.stderr);
  t.like(JSON.parse(list.stdout[0] ?? 'null') as object, { name: 'risk', version: '1', model_name: 'gw_risk', pipeline: 'gw_risk_features@1' });
  const one = await cli(['deployments', 'risk', '--json']);
  t.like(JSON.parse(one.stdout[0] ?? 'null') as object, { name: 'risk', spec: { format: 'mlmesh.gateway.deployment/v1', output: { kind: 'binary' } } });
});

test('cli - bad usage exits 2, a refused call exits 1 naming the gateway status', async (t) => {
  const noRows = await cli(['predict', 'risk']);
  t.is(noRows.code, 2);
  t.regex(noRows.stderr, /required option '--rows/);
  const badJson = await cli(['predict', 'risk', '--rows', '[{"a":']);
  t.is(badJson.code, 2);
  const badAsOf = await cli(['predict', 'risk', '--rows', '[]', '--as-of', 'tomorrow']);
  t.is(badAsOf.code, 2);
  const missing = await cli(['predict', 'nope', '--rows', JSON.stringify(ROWS)]);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /gateway at 127\.0\.0\.1:\d+: NOT_FOUND: deployment 'nope' is not loaded/);
});
