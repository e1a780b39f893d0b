/**
 * A retraining run whose training is a Kubernetes Job, through the real retrainer process
 * (private nats-server, inference, the rollout service; test/helpers/retrainer-mesh.ts), with the
 * digits trainer (PyTorch). The Kubernetes API is the fake of test/helpers/fake-kube-api.ts,
 * served from this test process and reached through KUBECONFIG: there is no cluster, container
 * runtime daemon or kube-apiserver on these machines to drive instead. Its "pods" run the Job's
 * command on this machine's paths, which are the volume's (mount_path = retrainer_path = the
 * temp folder that holds the repository and the work folder).
 *
 * The retrainer is SIGKILLed while the Job runs and started again: the run ends with one Job
 * created (the restarted retrainer waited on it), training attempt 2 reading that Job's output,
 * and at most one new version.
 */
import test from 'ava';
import { readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jobName } from '../../services/retrainer/kubernetes-job.js';
import { FakeKubeApi } from '../helpers/fake-kube-api.js';
import { waitFor } from '../helpers/inference.js';
import { validateSchema } from '../helpers/kubernetes.js';
import type { K8sObject } from '../helpers/kubernetes.js';
import { MODEL, startRetrainMesh, torchMissing } from '../helpers/retrainer-mesh.js';

const noTorch = torchMissing();
if (noTorch) console.log(`the Kubernetes loop test is skipped: ${noTorch}`);

(noTorch ? test.skip : test)('retrainer kubernetes - a run trains as a Job; SIGKILLed and restarted, the retrainer waits on the same Job (no second), and the run ends', async (t) => {
  t.timeout(300_000);
  const api = await FakeKubeApi.start();
  const dir = await mkdtemp(join(tmpdir(), 'mlmesh-kubeconfig-'));
  const kubeconfig = join(dir, 'config.json');
  await writeFile(kubeconfig, api.kubeConfig().exportConfig());
  const m = await startRetrainMesh({
    retrainerEnv: { KUBECONFIG: kubeconfig },
    configPatch: (c) => {
      const r = c['retraining'] as Record<string, unknown>;
      // A pause before the real trainer leaves time to kill the retrainer while the Job runs.
      r['command'] = ['/bin/sh', '-c', 'echo waiting; sleep 3; exec /usr/bin/python3 train.py --data "$0" --out "$1" --seed "$2"', '{dataset}', '{output}', '{seed}'];
      r['runner'] = { kind: 'kubernetes', image: 'registry.example/digits-trainer:1', volume: { claim: 'mlmesh-models', mount_path: tmpdir() }, service_account: 'mlmesh-trainer', poll_ms: 200 };
    },
  });
  try {
    m.traffic.blurred = true;
    await m.traffic.send(600);
    m.traffic.start();
    const { run: started } = await m.client.retrain({ model: MODEL, reason: 'kubernetes job test' });
    const id = started?.id ?? '';
    const name = jobName(id);
    await m.waitRun(() => api.pid(`mlmesh/${name}`) !== undefined, 120_000, 'the Job to run');
    // The fake's pod starts as the create call returns; the retrainer writes its "created" line
    // after that answer reaches it. Kill it only once the line is on disk (CI once killed it
    // in between, and the line the test reads below was never written).
    const logFile = join(m.workDir, id, 'train.log');
    await waitFor(async () => (await readFile(logFile, 'utf8').catch(() => '')).includes(`Job mlmesh/${name} created`), 60_000, 'the retrainer to log the Job it created');
    m.retrainer.proc.kill('SIGKILL');
    await m.retrainer.exited;
    t.truthy(api.pid(`mlmesh/${name}`), 'the Job outlives the retrainer');
    await m.restartRetrainer();
    const run = await m.waitRun((r) => r.id === id && r.state !== 'running', 240_000, 'the run to end');
    t.log(`run ${run.state}: ${run.reason}`);
    t.is(api.created.length, 1, 'one Job for the run');
    t.deepEqual(api.deleted, []);
    for (const j of api.created) await validateSchema(j as K8sObject);
    t.is(run.stages.find((s) => s.name === 'train')?.attempts, 2);
    t.true(['promoted', 'rolled_back', 'refused'].includes(run.state), run.reason);
    t.is(run.training_pid, 0, 'no local process');
    const log = await readFile(logFile, 'utf8');
    t.regex(log, new RegExp(`\\[retrainer\\] Job mlmesh/${name} created`));
    t.regex(log, new RegExp(`\\[retrainer\\] Job mlmesh/${name} \\(attempt 1\\) exists: the retrainer restarted`));
    t.regex(log, /output-2 is the adopted Job's output .*output-1/);
    t.is(api.created[0]?.spec?.template.spec?.containers[0]?.workingDir, join(m.repo, MODEL));
  } catch (e: unknown) {
    t.log(m.retrainer.stdout.slice(-30).join('\n'));
    throw e;
  } finally {
    await m.stop();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
});
