/**
 * Deployments against the real services: refused at load with a message naming the mismatch
 * (pipeline width vs model input, a column nobody fills, types, labels, unknown keys, a changed
 * file without a new version) while the last good one keeps serving; a new version replaces
 * the old one without dropping requests; ListDeployments, GetDeployment, GetVersion.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { NotFoundError } from '../../shared/client/index.js';
import { parseDeployment } from '../../services/gateway/index.js';
import { APPLICANTS, deploymentYaml, startGatewayMesh } from '../helpers/gateway.js';
import type { GatewayMesh } from '../helpers/gateway.js';

let mesh: GatewayMesh;
const ROW = { applicant_id: APPLICANTS.fresh, amount: 500, channel: 'web' };

test.before(async () => {
  mesh = await startGatewayMesh();
  await mesh.preprocess.client.fit({ name: 'gw_narrow', version: '1', spec: 'name: gw_narrow\nsteps:\n  - { type: standard_scale, columns: [balance, amount] }\n', csv: Buffer.from('balance,amount\n1,2\n3,5\n4,4\n') });
});

test.after.always(async () => {
  await mesh?.stop();
});

/** Writes `text` as deployment `name`, reloads, and answers the refusal reason of that file ('' when it loaded). */
async function load(name: string, text: string): Promise<string> {
  await mesh.write(name, text);
  const report = await mesh.gateway.reload();
  return report.refused.find((r) => r.file === `${name}.yaml`)?.reason ?? '';
}

test.serial('deployments - a bad new version is refused naming the mismatch; the last good one keeps serving', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['width', deploymentYaml('risk', 2, '', 'gw_narrow@1').replace(/ {2}- \{ name: channel, type: string \}\n/, ''), /pipeline gw_narrow@1 outputs 2 features but model 'gw_risk' input 'x' takes 5 \(shape \[-1, 5\]\)/],
    ['missing column', deploymentYaml('risk', 3).replace('  - { name: channel, type: string }\n', ''), /pipeline gw_risk_features@1 needs column 'channel' \(string\), which no feature or request field provides/],
    ['type', deploymentYaml('risk', 4).replace('{ name: amount, type: double }', '{ name: amount, type: string }'), /request field 'amount' is string but pipeline gw_risk_features@1 column 'amount' is a number/],
    ['labels', deploymentYaml('risk', 5).replace('kind: binary', 'kind: classes').replace('[repaid, default]', '[a, b, c]'), /output.labels has 3 labels but model 'gw_risk' output 'probabilities' has 2 columns/],
    ['unknown key', deploymentYaml('risk', 6).replace('pipeline:', 'pipline: x\npipeline:'), /pipline: unknown key/],
    ['unknown column', deploymentYaml('risk', 7).replace('  - { name: channel, type: string }\n', '  - { name: channel, type: string }\n  - { name: colour, type: string }\n'), /request field 'colour' fills column 'colour', which pipeline gw_risk_features@1 does not have/],
    ['unknown pipeline', deploymentYaml('risk', 8, '', 'nope@1'), /pipeline nope@1: preprocess: NOT_FOUND: pipeline nope@1 not found \(127\.0\.0\.1:\d+\)/],
    ['unknown feature', deploymentYaml('risk', 9).replace('refs: [balance@1]', 'refs: [balance@9]'), /features\[0\] feature balance@9: features: NOT_FOUND: /],
    ['bare pipeline name', deploymentYaml('risk', 10, '', 'gw_risk_features'), /pipeline: "gw_risk_features" must be name@version or sha256:<64 hex>/],
    ['file name', deploymentYaml('other', 11), /name: 'other' must equal the file's name 'risk'/],
  ];
  for (const [what, text, want] of cases) {
    const reason = await load('risk', text);
    t.regex(reason, want, what);
    const res = await mesh.client.predictRows('risk', [ROW]);
    t.is(res.deployment_version, '1', `${what}: version 1 still serves`);
    t.is(res.predicted_rows, 1);
  }
  const list = await mesh.client.listDeployments();
  t.deepEqual(list.deployments.map((d) => `${d.name}@${d.version}`), ['risk@1']);
  t.is(list.refused[0]?.file, 'risk.yaml');
  t.regex(list.refused[0]?.reason ?? '', /must equal the file's name/);
});

test.serial('deployments - a changed file under the same version is refused; a new version replaces it without dropping a request', async (t) => {
  t.is(await load('risk', deploymentYaml('risk', 1)), '');
  const changed = await load('risk', deploymentYaml('risk', 1, 'cache: { enabled: true }\n'));
  t.regex(changed, /risk@1 was loaded with sha256 [0-9a-f]{64}, the file now hashes to [0-9a-f]{64}: a changed deployment needs a new version/);
  // Calls keep flowing while new versions load.
  let stop = false;
  let answered = 0;
  const versions = new Set<string>();
  const load20 = (async () => {
    while (!stop) {
      const res = await mesh.client.predictRows('risk', [ROW]);
      versions.add(res.deployment_version);
      answered += res.predicted_rows;
    }
  })();
  for (let v = 20; v < 24; v++) t.is(await load('risk', deploymentYaml('risk', v, `description: version ${v}\n`)), '');
  const last = await mesh.client.predictRows('risk', [ROW]);
  stop = true;
  await load20;
  t.is(last.deployment_version, '23');
  t.true(answered > 0);
  t.true([...versions].every((v) => ['1', '20', '21', '22', '23'].includes(v)));
});

test.serial('deployments - ListDeployments, GetDeployment, GetVersion; a removed file stops serving', async (t) => {
  t.is(await load('risk2', deploymentYaml('risk2', 1)), '');
  const d = await mesh.client.getDeployment('risk2');
  t.is(d.deployment?.name, 'risk2');
  t.is(d.deployment?.model_name, 'gw_risk');
  t.is(d.deployment?.pipeline, 'gw_risk_features@1');
  t.deepEqual(d.deployment?.feature_versions, ['balance@1']);
  t.deepEqual(d.deployment?.request_fields, ['applicant_id', 'amount', 'channel']);
  const spec = parseDeployment(deploymentYaml('risk2', 1));
  t.is(d.deployment?.sha256, spec.sha256);
  t.is(d.spec_json, spec.canonical);
  const v = await mesh.client.getVersion();
  t.is(v.api_version, 'mlmesh.gateway.v1');
  t.regex(v.server_version, /^mlmesh-gateway /);
  const r2 = v.deployments.find((x) => x.deployment === 'risk2');
  t.deepEqual(r2?.model_versions, ['1']);
  t.is(r2?.pipeline, 'gw_risk_features@1');
  await rm(join(mesh.dir, 'risk2.yaml'));
  const report = await mesh.gateway.reload();
  t.deepEqual(report.removed, ['risk2']);
  await t.throwsAsync(mesh.client.getDeployment('risk2'), { instanceOf: NotFoundError });
  await t.throwsAsync(mesh.client.predictRows('risk2', [ROW]), { instanceOf: NotFoundError });
});

test('deployments - the spec hash ignores YAML layout and comments, not values', (t) => {
  const a = parseDeployment(deploymentYaml('x', 1));
  const b = parseDeployment(`# a comment\n${deploymentYaml('x', 1).replace('model: { name: gw_risk }', 'model:\n  name: gw_risk')}`);
  const c = parseDeployment(deploymentYaml('x', 1).replace('threshold: 0.5', 'threshold: 0.6'));
  t.is(a.sha256, b.sha256);
  t.not(a.sha256, c.sha256);
  t.deepEqual(a.logParameters, ['applicant_id']);
  t.is(a.timeoutsMs.inference, 2000);
});
