/**
 * The retrainer's Kubernetes Job runner against a fake API server (test/helpers/fake-kube-api.ts).
 * A fake, because nothing else can be driven here: no cluster, no container runtime daemon, no
 * kind/k3s/minikube, no kube-apiserver or etcd binary on these machines. The fake implements only
 * the endpoints the runner calls, with the API's shapes and Status errors, and "runs" each Job by
 * starting its container's command as a local process on the same volume path. Every Job the
 * runner creates is validated against the Kubernetes schema (kubernetes-models), as the
 * manifests in deploy/kubernetes are.
 */
import test from 'ava';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Job } from '@kubernetes/client-node';
import type { Run__Output } from '../../shared/generated/mlmesh/retrainer/v1/Run.js';
import { InvalidArgumentError } from '../../shared/errors/index.js';
import { buildJob, jobName, jobPath, parseRunner } from '../../services/retrainer/kubernetes-job.js';
import type { KubernetesRunnerSettings } from '../../services/retrainer/kubernetes-job.js';
import { runKubernetesTraining } from '../../services/retrainer/kubernetes-runner.js';
import type { KubernetesTrainingJob } from '../../services/retrainer/kubernetes-runner.js';
import { parseRetraining } from '../../services/retrainer/settings.js';
import { trainStage } from '../../services/retrainer/stages.js';
import type { StageContext } from '../../services/retrainer/stages.js';
import { TrainingError } from '../../services/retrainer/trainer.js';
import { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { KUBERNETES_DIR, parseObjects, validateSchema } from '../helpers/kubernetes.js';
import type { K8sObject } from '../helpers/kubernetes.js';

let dir: string;
let api: FakeKubeApi;
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlmesh-k8s-runner-'));
  api = await FakeKubeApi.start({ namespaces: ['mlmesh'] });
});
test.after.always(async () => {
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The shared volume: the Job mounts it where the retrainer sees it (the fake runs on this machine's paths). */
const settings = (extra: Record<string, unknown> = {}): KubernetesRunnerSettings =>
  parseRunner('m', { kind: 'kubernetes', image: 'registry.example/trainer:1', volume: { claim: 'mlmesh-models', mount_path: dir }, poll_ms: 100, resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } }, service_account: 'mlmesh-trainer', ...extra }) as KubernetesRunnerSettings;

const TRAINER = `
import { mkdirSync, writeFileSync } from 'node:fs';
const [out, mode, lines] = process.argv.slice(2);
for (let i = 0; i < Number(lines ?? 3); i++) console.log('epoch ' + i + ' run ' + process.env.MLMESH_RUN_ID);
if (mode === 'fail') { console.error('loss is NaN'); process.exit(3); }
if (mode === 'hang') setInterval(() => console.log('still training'), 200);
else {
  mkdirSync(out, { recursive: true });
  writeFileSync(out + '/model.onnx', 'model of ' + process.env.MLMESH_RUN_ID);
  writeFileSync(out + '/metrics.json', JSON.stringify({ accuracy: 0.91, holdout: { rows: 40 } }));
}
`;

let n = 0;
async function job(mode: 'ok' | 'fail' | 'hang', extra: Partial<KubernetesTrainingJob> = {}, lines = 3): Promise<KubernetesTrainingJob> {
  const id = ++n;
  const model = join(dir, 'repo', 'm');
  await mkdir(model, { recursive: true });
  await writeFile(join(model, 'train.mjs'), TRAINER);
  const runId = `m-run${id}-${Math.random().toString(36).slice(2, 6)}`;
  const out = join(dir, 'work', runId, 'output-1');
  return {
    settings: settings(),
    runId,
    model: 'm',
    attempt: 1,
    command: [process.execPath, 'train.mjs', out, mode, String(lines)],
    cwd: model,
    outputDir: out,
    logFile: join(dir, 'work', runId, 'train.log'),
    timeoutMs: 60_000,
    env: { MLMESH_RUN_ID: runId, MLMESH_MODEL: 'm' },
    kubeConfig: api.kubeConfig(),
    ...extra,
  };
}

/** Every Job the runner posted so far fits the Kubernetes schema. */
async function allValid(): Promise<void> {
  for (const j of api.created) await validateSchema(j as K8sObject);
}

const createdFor = (runId: string): number => api.created.filter((j) => j.metadata?.annotations?.['mlmesh.io/run-id'] === runId).length;
const bodyOf = (runId: string): V1Job | undefined => api.created.find((j) => j.metadata?.annotations?.['mlmesh.io/run-id'] === runId);

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('kubernetes runner - a Job that completes: model.onnx and metrics read back, the pod log in the log file and onLine, a valid Job', async (t) => {
  const lines: string[] = [];
  const j = await job('ok', { onLine: (l) => lines.push(l) });
  const r = await runKubernetesTraining(j);
  t.is(r.modelPath, join(j.outputDir, 'model.onnx'));
  t.is(await readFile(r.modelPath, 'utf8'), `model of ${j.runId}`);
  t.deepEqual(r.metrics, { accuracy: 0.91, 'holdout.rows': 40 });
  t.is(r.referenceDir, undefined);
  const own = lines.filter((l) => !l.startsWith('[retrainer]'));
  t.deepEqual(own, [0, 1, 2].map((i) => `epoch ${i} run ${j.runId}`));
  const file = await readFile(j.logFile, 'utf8');
  t.true(file.includes(`epoch 2 run ${j.runId}\n`), file);
  t.true(file.includes(`[retrainer] Job mlmesh/${jobName(j.runId)} created`), file);
  t.is(createdFor(j.runId), 1);
  const body = bodyOf(j.runId);
  t.is(body?.spec?.backoffLimit, 0);
  t.is(body?.spec?.activeDeadlineSeconds, 60);
  t.is(body?.spec?.ttlSecondsAfterFinished, 3600);
  t.is(body?.spec?.template.spec?.serviceAccountName, 'mlmesh-trainer');
  t.is(body?.spec?.template.spec?.restartPolicy, 'Never');
  t.is(body?.metadata?.labels?.['mlmesh.io/run'], j.runId);
  t.is(body?.metadata?.labels?.['mlmesh.io/model'], 'm');
  t.deepEqual(body?.spec?.template.spec?.volumes, [{ name: 'shared', persistentVolumeClaim: { claimName: 'mlmesh-models' } }]);
  await allValid();
});

test('kubernetes runner - the container exits 3: a failed run with the exit code, the Job\'s reason and the last lines', async (t) => {
  const j = await job('fail');
  const e = await t.throwsAsync(runKubernetesTraining(j), { instanceOf: TrainingError });
  t.is(e?.kind, 'exit');
  t.is(e?.exitCode, 3);
  t.regex(e?.message ?? '', /exited with code 3/);
  t.regex(e?.message ?? '', /BackoffLimitExceeded/);
  t.regex(e?.message ?? '', /container reason Error/);
  t.regex(e?.message ?? '', /last output:[\s\S]*loss is NaN/);
  await allValid();
});

test('kubernetes runner - past the timeout the Job is deleted (propagation Background) and the run fails as the local runner\'s does', async (t) => {
  const j = await job('hang', { timeoutMs: 1500 });
  const e = await t.throwsAsync(runKubernetesTraining(j), { instanceOf: TrainingError });
  t.is(e?.kind, 'timeout');
  t.regex(e?.message ?? '', /^the training job ran longer than 1500 ms and was killed; Job mlmesh\/\S+ was deleted/);
  t.regex(e?.message ?? '', /still training/);
  t.deepEqual(api.deleted.filter((d) => d.name === jobName(j.runId)), [{ namespace: 'mlmesh', name: jobName(j.runId), propagationPolicy: 'Background' }]);
  t.false(api.has(`mlmesh/${jobName(j.runId)}`));
  await allValid();
});

test('kubernetes runner - a cancel deletes the Job', async (t) => {
  const abort = new AbortController();
  const j = await job('hang', { signal: abort.signal });
  const p = runKubernetesTraining(j);
  await until(() => api.pid(`mlmesh/${jobName(j.runId)}`) !== undefined);
  abort.abort('cancel');
  const e = await t.throwsAsync(p, { instanceOf: TrainingError });
  t.is(e?.kind, 'cancelled');
  t.deepEqual(api.deleted.filter((d) => d.name === jobName(j.runId)).map((d) => d.propagationPolicy), ['Background']);
  t.false(api.has(`mlmesh/${jobName(j.runId)}`));
});

test('kubernetes runner - a restarted retrainer waits on the run\'s Job instead of creating a second; the new attempt\'s folder links to its output', async (t) => {
  const drain = new AbortController();
  const first = await job('ok', { signal: drain.signal });
  // Slow enough to be caught running: a line, then 2 s before the trainer. process.argv of
  // `node -e` is [node, ...args] and train.mjs reads argv.slice(2): '_' fills the gap.
  first.command = [process.execPath, '-e', `console.log('warming up'); setTimeout(() => import(${JSON.stringify(join(dir, 'repo', 'm', 'train.mjs'))}), 2000)`, '_', first.outputDir, 'ok', '2'];
  const p = runKubernetesTraining(first);
  await until(() => api.pid(`mlmesh/${jobName(first.runId)}`) !== undefined);
  drain.abort('drain');
  const e = await t.throwsAsync(p, { instanceOf: TrainingError });
  t.is(e?.kind, 'cancelled');
  t.regex(e?.message ?? '', /left running/);
  t.deepEqual(api.deleted.filter((d) => d.name === jobName(first.runId)), []);
  t.truthy(api.pid(`mlmesh/${jobName(first.runId)}`), 'the Job still runs');

  // The next start: attempt 2 of the same run, a fresh output folder.
  const lines: string[] = [];
  const second = { ...first, attempt: 2, outputDir: join(dir, 'work', first.runId, 'output-2'), signal: undefined, onLine: (l: string) => lines.push(l) };
  const r = await runKubernetesTraining(second);
  t.is(createdFor(first.runId), 1, 'no second Job');
  t.is(r.modelPath, join(second.outputDir, 'model.onnx'));
  t.is(await readFile(r.modelPath, 'utf8'), `model of ${first.runId}`);
  t.true(lines.some((l) => /exists: the retrainer restarted; waiting on it/.test(l)), lines.join('\n'));
  t.true(lines.includes('warming up'), lines.join('\n'));
  // Restarted once more before the run stored its training: the finished Job is adopted again.
  const third = { ...second, attempt: 3, outputDir: join(dir, 'work', first.runId, 'output-3') };
  const r3 = await runKubernetesTraining(third);
  t.is(createdFor(first.runId), 1, 'still one Job');
  t.is(await readFile(r3.modelPath, 'utf8'), `model of ${first.runId}`);
});

test('kubernetes runner - a follow stream the API server closes early is resumed without losing or repeating lines', async (t) => {
  const flaky = await FakeKubeApi.start();
  t.teardown(() => flaky.close());
  flaky.closeLogAfter = 4;
  const lines: string[] = [];
  // 12 lines over ~1.2 s: the stream is closed after every 4.
  const j = await job('ok', { onLine: (l) => lines.push(l), kubeConfig: flaky.kubeConfig() }, 0);
  j.command = [process.execPath, '-e', `let i = 0; const t = setInterval(() => { console.log('line ' + i++); if (i === 12) { clearInterval(t); import(${JSON.stringify(join(dir, 'repo', 'm', 'train.mjs'))}); } }, 100)`, '_', j.outputDir, 'ok', '0'];
  await runKubernetesTraining(j);
  t.deepEqual(lines.filter((l) => l.startsWith('line ')), Array.from({ length: 12 }, (_, i) => `line ${i}`));
});

test('kubernetes runner - a pod waiting for its image: the reason is reported once in the log, the log followed once it runs', async (t) => {
  const slow = await FakeKubeApi.start();
  t.teardown(() => slow.close());
  slow.pending = { ms: 800, reason: 'ErrImagePull', message: 'pull access denied for registry.example/trainer' };
  const lines: string[] = [];
  const j = await job('ok', { kubeConfig: slow.kubeConfig(), onLine: (l) => lines.push(l) });
  await runKubernetesTraining(j);
  t.is(lines.filter((l) => l.includes('is waiting: ErrImagePull: pull access denied for registry.example/trainer')).length, 1, lines.join('\n'));
  t.deepEqual(lines.filter((l) => !l.startsWith('[retrainer]')), [0, 1, 2].map((i) => `epoch ${i} run ${j.runId}`));
});

test('kubernetes runner - 503s while waiting are retried; ten in a row fail the run naming the call', async (t) => {
  const flaky = await FakeKubeApi.start();
  t.teardown(() => flaky.close());
  const lines: string[] = [];
  const ok = await job('ok', { kubeConfig: flaky.kubeConfig(), onLine: (l) => lines.push(l) });
  flaky.failReads = 3;
  const r = await runKubernetesTraining(ok);
  t.is(await readFile(r.modelPath, 'utf8'), `model of ${ok.runId}`);
  t.is(lines.filter((l) => /failed to read Job .*HTTP 503 ServiceUnavailable.*retrying/.test(l)).length, 3, lines.join('\n'));
  const down = await job('hang', { kubeConfig: flaky.kubeConfig() });
  flaky.failReads = 1000;
  const e = await t.throwsAsync(runKubernetesTraining(down), { instanceOf: TrainingError });
  flaky.failReads = 0;
  t.is(e?.kind, 'api');
  t.regex(e?.message ?? '', /failed to read Job mlmesh\/train-\S+: HTTP 503 ServiceUnavailable: the server is currently unable/);
  // The runner gave up on its Job; the teardown's close kills the fake's process.
});

test('kubernetes runner - 403 Forbidden: a failed run naming the refusal and the Role it needs', async (t) => {
  // Its own server: the others' Jobs must still be allowed meanwhile.
  const strict = await FakeKubeApi.start();
  t.teardown(() => strict.close());
  strict.forbid.add('create');
  const j = await job('ok', { kubeConfig: strict.kubeConfig() });
  const e = await t.throwsAsync(runKubernetesTraining(j), { instanceOf: TrainingError });
  t.is(e?.kind, 'api');
  t.regex(e?.message ?? '', /failed to create Job mlmesh\/train-\S+: HTTP 403 Forbidden: jobs\.batch is forbidden: User "system:serviceaccount:mlmesh:retrainer" cannot create resource "jobs"/);
  t.regex(e?.message ?? '', /needs a Role in namespace mlmesh allowing create\/get\/list\/watch\/delete on jobs\.batch/);
  t.deepEqual(strict.created, []);
});

test('kubernetes runner - a namespace that does not exist: a failed run naming it and the option', async (t) => {
  const j = await job('ok', { settings: settings({ namespace: 'nope' }) });
  const e = await t.throwsAsync(runKubernetesTraining(j), { instanceOf: TrainingError });
  t.is(e?.kind, 'api');
  t.regex(e?.message ?? '', /HTTP 404 NotFound: namespaces "nope" not found/);
  t.regex(e?.message ?? '', /retraining\.runner\.namespace/);
});

test('kubernetes runner - the API unreachable: a failed run naming the call', async (t) => {
  const down = await FakeKubeApi.start();
  const kc = down.kubeConfig();
  await down.close();
  const j = await job('ok', { kubeConfig: kc });
  const e = await t.throwsAsync(runKubernetesTraining(j), { instanceOf: TrainingError });
  t.is(e?.kind, 'api');
  t.regex(e?.message ?? '', /failed to read Job mlmesh\/train-/);
});

test('trainStage - runner kubernetes: the command gets the Job\'s paths, the candidate is read from the run\'s output folder', async (t) => {
  const repo = join(dir, 'repo');
  const workDir = join(dir, 'work');
  const model = join(repo, 'm');
  await mkdir(model, { recursive: true });
  await writeFile(join(model, 'train.mjs'), TRAINER);
  const dataset = join(repo, 'm', 'datasets', 'abc');
  const s = parseRetraining('m', { command: [process.execPath, 'train.mjs', '{output}', 'ok', '1', '{dataset}'], timeout_ms: 60_000, runner: { kind: 'kubernetes', image: 'trainer:1', volume: { claim: 'mlmesh-models', mount_path: dir }, poll_ms: 100 } }, model);
  const run = { id: `m-stage-${Date.now().toString(36)}`, model: 'm', parent_version: '1', seed: 7, dataset: { path: dataset } } as unknown as Run__Output;
  const c = { repo, workDir, model: { settings: s } } as unknown as StageContext;
  // The stage uses the default KubeConfig: point it at the fake.
  const kubeconfig = join(dir, 'kubeconfig.json');
  await writeFile(kubeconfig, api.kubeConfig().exportConfig());
  const before = process.env['KUBECONFIG'];
  process.env['KUBECONFIG'] = kubeconfig;
  t.teardown(() => (before === undefined ? delete process.env['KUBECONFIG'] : (process.env['KUBECONFIG'] = before)));
  const r = await trainStage(c, run, 1, { signal: new AbortController().signal, onLine: () => undefined, onSpawn: () => t.fail('no process of ours') });
  t.is(r.modelPath, join(workDir, run.id, 'output-1', 'model.onnx'));
  t.is(r.command[2], join(workDir, run.id, 'output-1'));
  t.is(r.command[5], dataset);
  t.is(r.sha256.length, 64);
  t.is(bodyOf(run.id)?.spec?.template.spec?.containers[0]?.workingDir, model);
  await allValid();
});

test('buildJob - paths are mapped from the retrainer\'s view of the volume to the Job\'s; the Job fits the schema', async (t) => {
  const s = parseRunner('m', { kind: 'kubernetes', image: 'trainer:1', volume: { claim: 'models', mount_path: '/data', retrainer_path: '/models' } }) as KubernetesRunnerSettings;
  t.is(jobPath(s, '/models/m/datasets/x', 'd'), '/data/m/datasets/x');
  t.is(jobPath(s, '/models', 'd'), '/data');
  const e = t.throws(() => jobPath(s, '/modelsx/m', 'the output folder'), { instanceOf: InvalidArgumentError });
  t.regex(e?.message ?? '', /the output folder \/modelsx\/m is not on the shared volume: retraining\.runner\.volume\.retrainer_path is \/models/);
  const runId = 'Credit_Model.v2-' + 'x'.repeat(80);
  const job = buildJob(s, { runId, model: 'Credit_Model.v2', attempt: 1, command: ['python3', 'train.py'], cwd: '/models/Credit_Model.v2', outputDir: '/models/.runs/r/output-1', timeoutMs: 90_500, env: { A: '1' } });
  t.is(job.spec?.template.spec?.containers[0]?.workingDir, '/data/Credit_Model.v2');
  t.is(job.spec?.activeDeadlineSeconds, 91);
  t.true((job.metadata?.name ?? '').length <= 63);
  t.regex(job.metadata?.name ?? '', /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  t.not(jobName(runId), jobName(`${runId}y`));
  t.true((job.metadata?.labels?.['mlmesh.io/run'] ?? '').length <= 63);
  // Pod Security "restricted" (enforced on deploy/kubernetes' namespace): non-root, RuntimeDefault seccomp, no escalation, no capabilities.
  const pod = job.spec?.template.spec;
  t.like(pod?.securityContext, { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
  t.like(pod?.containers[0]?.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  t.false(pod?.automountServiceAccountToken);
  await validateSchema(job as unknown as K8sObject);
});

test('kubernetes runner - every call it makes is one the retrainer\'s Role in deploy/kubernetes grants', async (t) => {
  const own = await FakeKubeApi.start();
  t.teardown(() => own.close());
  await runKubernetesTraining(await job('ok', { kubeConfig: own.kubeConfig() }));
  const abort = new AbortController();
  const j = await job('hang', { kubeConfig: own.kubeConfig(), signal: abort.signal });
  const p = runKubernetesTraining(j);
  await until(() => own.pid(`mlmesh/${jobName(j.runId)}`) !== undefined);
  abort.abort('cancel');
  await t.throwsAsync(p, { instanceOf: TrainingError });
  const docs = parseObjects(await readFile(join(KUBERNETES_DIR, 'base', 'retrainer-rbac.yaml'), 'utf8'), 'retrainer-rbac.yaml');
  const role = docs.find((o) => o.kind === 'Role');
  const binding = docs.find((o) => o.kind === 'RoleBinding');
  t.is((binding?.['roleRef'] as { name?: string } | undefined)?.name, role?.metadata.name);
  t.deepEqual((binding?.['subjects'] as { name?: string }[] | undefined)?.map((x) => x.name), ['retrainer']);
  const rules = (role?.['rules'] ?? []) as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  const granted = (call: string): boolean => {
    const [group, resource, verb] = call.split(' ') as [string, string, string];
    return rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
  };
  t.true(own.calls.size >= 5, [...own.calls].join(', '));
  for (const call of own.calls) t.true(granted(call), `the Role grants "${call}"`);
});

test('parseRunner - "local" or absent is the child process; bad fields are errors naming them', (t) => {
  t.deepEqual(parseRunner('m', undefined), { kind: 'local' });
  t.deepEqual(parseRunner('m', 'local'), { kind: 'local' });
  const bad: [unknown, RegExp][] = [
    ['docker', /retraining\.runner: must be "local" or an object/],
    [{ kind: 'nomad' }, /retraining\.runner\.kind: must be "local" or "kubernetes"/],
    [{ kind: 'kubernetes', volume: { claim: 'c' } }, /retraining\.runner\.image: must be a non-empty string/],
    [{ kind: 'kubernetes', image: 'i' }, /retraining\.runner\.volume: must be an object/],
    [{ kind: 'kubernetes', image: 'i', volume: { claim: 'Bad_Name' } }, /retraining\.runner\.volume\.claim: "Bad_Name" is not a PersistentVolumeClaim name/],
    [{ kind: 'kubernetes', image: 'i', volume: { claim: 'c', mount_path: 'rel' } }, /retraining\.runner\.volume\.mount_path: must be an absolute path/],
    [{ kind: 'kubernetes', image: 'i', volume: { claim: 'c' }, resources: { limits: { memory: 'lots' } } }, /retraining\.runner\.resources\.limits\.memory: must be a Kubernetes quantity/],
    [{ kind: 'kubernetes', image: 'i', volume: { claim: 'c' }, namespace: 'Team A' }, /retraining\.runner\.namespace: "Team A" is not a namespace name/],
    [{ kind: 'kubernetes', image: 'i', volume: { claim: 'c' }, backoff_limit: 3 }, /retraining\.runner\.backoff_limit: unknown field/],
  ];
  for (const [raw, re] of bad) t.throws(() => parseRunner('m', raw), { instanceOf: InvalidArgumentError, message: re }, JSON.stringify(raw));
  const s = parseRunner('m', { kind: 'kubernetes', image: 'i', volume: { claim: 'c' } });
  t.like(s, { kind: 'kubernetes', namespace: 'mlmesh', imagePullPolicy: 'IfNotPresent', volume: { claim: 'c', mountPath: '/models', retrainerPath: '/models' }, ttlSecondsAfterFinished: 3600, pollMs: 2000 });
});
