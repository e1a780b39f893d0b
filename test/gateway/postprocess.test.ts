/** Output post-processing (docs/gateway.md "Post-processing") and spec refusals, without services. */
import test from 'ava';
import { parseDeployment, postprocess } from '../../services/gateway/index.js';
import type { OutputSpec } from '../../services/gateway/index.js';
import { deploymentYaml } from '../helpers/gateway.js';

const base: OutputSpec = { kind: 'classes', labels: ['a', 'b', 'c'], topK: 2, threshold: 0.5, positiveIndex: -1, activation: 'none' };

test('postprocess - classes: label of the best column, top-k best first (ties: lower index), values kept', (t) => {
  const p = postprocess(base, Float64Array.of(0.2, 0.5, 0.3), [3]);
  t.is(p.label, 'b');
  t.is(p.score, 0.5);
  t.is(p.class_index, 1);
  t.deepEqual(p.top_k, [{ label: 'b', score: 0.5, index: 1 }, { label: 'c', score: 0.3, index: 2 }]);
  t.deepEqual(p.values, [0.2, 0.5, 0.3]);
  const tie = postprocess(base, Float64Array.of(0.4, 0.2, 0.4), [3]);
  t.deepEqual((tie.top_k ?? []).map((k) => k.index), [0, 2]);
});

test('postprocess - softmax and sigmoid activations; binary threshold and positive column; raw', (t) => {
  const s = postprocess({ ...base, activation: 'softmax' }, Float64Array.of(1, 2, 3), [3]);
  const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
  const sum = e[0]! + e[1]! + e[2]!;
  (s.values ?? []).forEach((v, i) => t.true(Math.abs(Number(v) - e[i]! / sum) < 1e-12));
  t.is(s.label, 'c');
  const bin: OutputSpec = { kind: 'binary', labels: ['no', 'yes'], topK: 1, threshold: 0.7, positiveIndex: -1, activation: 'none' };
  t.like(postprocess(bin, Float64Array.of(0.35, 0.65), [2]), { label: 'no', score: 0.65, class_index: 0 });
  t.like(postprocess(bin, Float64Array.of(0.25, 0.75), [2]), { label: 'yes', score: 0.75, class_index: 1 });
  t.like(postprocess({ ...bin, positiveIndex: 0 }, Float64Array.of(0.8, 0.2), [2]), { label: 'yes', score: 0.8 });
  const sig = postprocess({ ...bin, activation: 'sigmoid' }, Float64Array.of(0), [1]);
  t.is(sig.score, 0.5);
  t.like(postprocess({ ...base, kind: 'raw' }, Float64Array.of(3, 4), [2]), { label: '', class_index: -1, values: [3, 4], shape: [2] });
});

test('spec - refusals name the field', (t) => {
  const cases: [string, RegExp][] = [
    [deploymentYaml('x', 1).replace('format: mlmesh.gateway.deployment/v1', 'format: v0'), /^format: must be mlmesh.gateway.deployment\/v1/],
    [deploymentYaml('x', 1).replace('refs: [balance@1]', 'refs: [balance]'), /^features\[0\]\.refs\[0\]: "balance" must match/],
    [deploymentYaml('x', 1).replace('refs: [balance@1]', 'refs: [balance@1]\n    service: s'), /^features\[0\]: needs exactly one of service/],
    [deploymentYaml('x', 1).replace('threshold: 0.5', 'threshold: 2'), /^output\.threshold: must be a number in \[0, 1\]/],
    [deploymentYaml('x', 1).replace('labels: [repaid, default]', 'labels: [a]'), /^output\.labels: kind binary needs two labels/],
    [deploymentYaml('x', 1, 'log_parameters: [nope]\n'), /^log_parameters\[0\]: 'nope' is not an entity field or a request field/],
    [deploymentYaml('x', 1, 'timeouts_ms: { features: 0 }\n'), /^timeouts_ms\.features: must be an integer ≥ 1/],
    [deploymentYaml('x', 1).replace('{ name: amount, type: double }', '{ name: amount, type: float }'), /^request_fields\[0\]\.type: must be one of double, int64, string, bool/],
    [deploymentYaml('x', 1).replace('{ name: channel, type: string }', '{ name: applicant_id, type: string }'), /^request_fields\[1\]\.name: 'applicant_id' is already a request field or an entity field/],
    ['name: [', /^\(file\): not valid YAML/],
  ];
  for (const [text, want] of cases) {
    const e = t.throws(() => parseDeployment(text));
    t.regex(e?.message ?? '', want);
  }
  const ok = parseDeployment(deploymentYaml('x', 1, 'log_parameters: [amount]\n'));
  t.deepEqual(ok.logParameters, ['applicant_id', 'amount']);
});
