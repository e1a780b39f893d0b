/**
 * Every .proto in protos/ compiles with Debian's grpc_tools (python3-grpc-tools: libprotoc 3.5.1
 * on bookworm), the protoc a Python user of the mesh generates stubs with. Proto3 `optional`
 * needs protoc 3.15 or later, so `Feedback.row` is a one-field oneof instead: the test checks it
 * keeps the wire format and presence of `optional int32 row` (Python encodes, the monitor's
 * decoder reads). Skipped, with the reason printed, where the Python has no grpc_tools.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import anyTest from 'ava';
import protobuf from 'protobufjs';
import { projectRoot } from '../../shared/config/index.js';
import { decodeFeedback, encodeFeedback } from '../../shared/events/index.js';

const run = promisify(execFile);
const root = projectRoot();
const PYTHON = process.env['MLMESH_PYTHON'] ?? '/usr/bin/python3';

/** Why the test cannot run here, or undefined. */
function missing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-m', 'grpc_tools.protoc', '--version'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot be run (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} has no grpc_tools (${probe.stderr.trim().split('\n').at(-1)}); apt-get install python3-grpc-tools`;
  return undefined;
}
const reason = missing();
if (reason) console.log(`protoc (grpc_tools) tests skipped: ${reason}`);
const test = reason ? anyTest.skip : anyTest;

function protoFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? protoFiles(join(dir, e.name)) : e.name.endsWith('.proto') ? [join(dir, e.name)] : []));
}

test('protoc - every .proto in protos/ compiles with the Debian grpc_tools protoc (messages and gRPC stubs)', async (t) => {
  const version = spawnSync(PYTHON, ['-m', 'grpc_tools.protoc', '--version'], { encoding: 'utf8' }).stdout.trim();
  t.log(version);
  const files = protoFiles(join(root, 'protos')).map((f) => relative(join(root, 'protos'), f));
  t.true(files.length >= 7, files.join(', '));
  const out = await mkdtemp(join(tmpdir(), 'mlmesh-protoc-'));
  try {
    // One file at a time, so a failure names its file.
    for (const f of files) {
      const r = await run(PYTHON, ['-m', 'grpc_tools.protoc', '-I', 'protos', `--python_out=${out}`, `--grpc_python_out=${out}`, f], { cwd: root }).then(
        () => '',
        (e: { stderr?: string; message?: string }) => e.stderr ?? e.message ?? 'protoc failed',
      );
      t.is(r, '', `${f} (${version})`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('protoc - Feedback.row keeps the wire format and presence of proto3 optional, with Python on one side', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'mlmesh-protoc-'));
  try {
    await run(PYTHON, ['-m', 'grpc_tools.protoc', '-I', 'protos', `--python_out=${out}`, 'mlmesh/events/v1/events.proto'], { cwd: root });
    // Python (protoc 3.5.1's generated code) encodes three Feedbacks; row 0 must be present.
    const py = [
      'import sys; sys.path.insert(0, sys.argv[1])',
      'from mlmesh.events.v1 import events_pb2 as e',
      "a = e.Feedback(request_id='r1', model='m', label='cat', row=0)",
      "b = e.Feedback(request_id='r2', model='m', label='dog')",
      "c = e.Feedback(request_id='r3', model='m', labels=['x', 'y'])",
      "assert a.HasField('row') and not b.HasField('row') and a.WhichOneof('_row') == 'row'",
      'print(a.SerializeToString().hex(), b.SerializeToString().hex(), c.SerializeToString().hex())',
    ].join('\n');
    const { stdout } = await run(PYTHON, ['-c', py, out]);
    const [a, b, c] = stdout.trim().split(' ').map((h) => Buffer.from(h, 'hex'));
    if (!a || !b || !c) throw new Error(`unexpected output: ${stdout}`);
    // The monitor's decoder sees row 0 as set, and no row as unset.
    const fa = decodeFeedback(a);
    t.is(fa.row, 0);
    t.is(fa.label, 'cat');
    t.is(decodeFeedback(b).row, undefined);
    t.is(decodeFeedback(c).row, undefined);
    // The same bytes as the TypeScript encoding, and as `optional int32 row = 7` would give.
    t.deepEqual(Buffer.from(encodeFeedback({ request_id: 'r1', model: 'm', label: 'cat', row: 0 })), a);
    const optional = protobuf.parse('syntax = "proto3"; message Feedback { string request_id = 2; string model = 3; oneof value { string label = 4; double numeric = 5; } repeated string labels = 6; optional int32 row = 7; }', { keepCase: true }).root.lookupType('Feedback');
    t.deepEqual(Buffer.from(optional.encode(optional.fromObject({ request_id: 'r1', model: 'm', label: 'cat', row: 0 })).finish()), a);
    t.deepEqual(Buffer.from(optional.encode(optional.fromObject({ request_id: 'r2', model: 'm', label: 'dog' })).finish()), b);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
