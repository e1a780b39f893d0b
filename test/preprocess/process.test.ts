import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { PreprocessClient } from '../../services/preprocess/index.js';
import { FIXTURES, specText } from '../helpers/preprocess-fixtures.js';
import { healthCheck } from '../helpers/grpc.js';
import { runNode } from '../helpers/process.js';

test('process - the service runs as a process: fits over gRPC, SIGTERM drains an in-flight fit and exits 0', async (t) => {
  const artifacts = await mkdtemp(join(tmpdir(), 'mlmesh-pipelines-'));
  const child = runNode('services/preprocess/main.js', [], {
    MLMESH_PREPROCESS_GRPC_PORT: '0',
    MLMESH_PREPROCESS_HTTP_PORT: '-1',
    MLMESH_PREPROCESS_ARTIFACT_DIR: artifacts,
    MLMESH_PREPROCESS_LOG_LEVEL: 'info',
  });
  let client: PreprocessClient | undefined;
  try {
    const listening = await child.waitForLog((r) => r['msg'] === 'gRPC server listening');
    await child.waitForLog((r) => r['msg'] === 'preprocess service ready');
    const address = `127.0.0.1:${String(listening['port'])}`;
    t.is(await healthCheck(address, 'mlmesh.preprocess.v1.PreprocessService'), 'SERVING');
    client = new PreprocessClient(address);
    // 100 copies of the training rows: a fit that is still running at SIGTERM.
    const [header, ...rows] = (await readFile(join(FIXTURES, 'train.csv'), 'utf8')).trim().split('\n');
    const csv = Buffer.from(`${header}\n${Array.from({ length: 100 }, () => rows.join('\n')).join('\n')}\n`);
    const fit = client.fit({ name: 'proc', spec: specText('sklearn'), csv });
    await child.waitForLog((r) => r['msg'] === 'fit started');
    child.proc.kill('SIGTERM');
    const done = await fit;
    t.is(done.pipeline?.version, '1');
    t.is(done.pipeline?.training_rows, String(rows.length * 100));
    t.is(await child.exited, 0);
    const msgs = child.stdout.map((l) => (JSON.parse(l) as { msg: string }).msg);
    t.true(msgs.includes('preprocess service stopped'));
    // The fit was still running when the signal came, and the drain waited for it.
    t.true(msgs.indexOf('signal received: draining') < msgs.indexOf('pipeline fitted'), msgs.join(' | '));
  } finally {
    client?.close();
    child.proc.kill('SIGKILL');
    await rm(artifacts, { recursive: true, force: true });
  }
});

test('process - a bad option stops the start (exit 78) with a message naming it and its variable', async (t) => {
  const child = runNode('services/preprocess/main.js', [], { MLMESH_PREPROCESS_MAX_BATCH_RECORDS: '0' });
  t.is(await child.exited, 78, "a bad option exits 78 (EX_CONFIG)");
  t.regex(child.stderr.join('\n'), /maxBatchRecords \(env MLMESH_PREPROCESS_MAX_BATCH_RECORDS\): must be >= 1/);
});
