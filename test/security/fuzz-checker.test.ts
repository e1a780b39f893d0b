/**
 * The fuzz runner's checks (bench/fuzz/runner.ts) against a throwaway gRPC server whose handlers
 * are broken on purpose: a handler that throws (UNKNOWN), one that answers INTERNAL, one that
 * never answers, one that answers bytes that are not its response type, and a correct one. The
 * runner must flag the first four and not the last, and refuse a service it has no protos for.
 */
import * as grpc from '@grpc/grpc-js';
import test from 'ava';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { malformedArbitrary, requestArbitrary, rpcsOf, runFuzz, startFuzzMesh } from '../../bench/fuzz/suite.js';

const ROOT = protobuf.parse(
  `syntax = "proto3";
  package fuzztest;
  message Req {
    string name = 1;
    int64 n = 2;
    Req inner = 3;
    repeated int64 shape = 4;
    map<string, double> tags = 5;
    oneof pick { string a = 6; uint32 b = 7; }
  }
  message Res { bool ok = 1; Res inner = 2; }
  message Param { string string_param = 3; }
  message InferRes { map<string, Param> parameters = 4; }
  message StreamRes { string error_message = 1; InferRes infer_response = 2; }
  service Broken {
    rpc Throws(Req) returns (Res);
    rpc Internal(Req) returns (Res);
    rpc Hangs(Req) returns (Res);
    rpc BadResponse(Req) returns (Res);
    rpc Fine(Req) returns (Res);
    rpc Watch(Req) returns (stream Res);
    rpc StreamInternal(stream Req) returns (stream StreamRes);
    rpc StreamRefuses(stream Req) returns (stream StreamRes);
  }`,
  { keepCase: true },
).root;
ROOT.resolveAll();

const id = (b: Buffer): Buffer => b;

async function brokenServer(): Promise<{ address: string; stop: () => void }> {
  const server = new grpc.Server();
  const def: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  for (const m of rpcsOf(ROOT, 'fuzztest.Broken')) def[m.name] = { path: `/fuzztest.Broken/${m.name}`, requestStream: !!m.requestStream, responseStream: !!m.responseStream, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id };
  const ok = Buffer.from([0x08, 0x01]);
  // As ModelStreamInfer answers a failed request: in band, its status in mlmesh_status.
  const StreamRes = ROOT.lookupType('fuzztest.StreamRes');
  const inBand = (status: string): grpc.handleBidiStreamingCall<Buffer, Buffer> => (call) => {
    call.on('data', () => call.write(Buffer.from(StreamRes.encode({ error_message: `deliberately ${status}`, infer_response: { parameters: { mlmesh_status: { string_param: status } } } }).finish())));
    call.on('end', () => call.end());
  };
  server.addService(def, {
    StreamInternal: inBand('INTERNAL'),
    StreamRefuses: inBand('INVALID_ARGUMENT'),
    Throws: () => {
      throw new Error('deliberately broken');
    },
    Internal: (_c: unknown, cb: grpc.sendUnaryData<Buffer>) => cb({ code: grpc.status.INTERNAL, details: 'deliberately internal' }),
    Hangs: () => undefined,
    BadResponse: (_c: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from([0x12, 0x7f])),
    Fine: (_c: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, ok),
    Watch: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      call.write(ok);
      call.end();
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  // grpc.health.v1.Health/Check answering SERVING, for the runner's checks between batches.
  server.addService({ Check: { path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } }, { Check: (_c: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, ok) });
  return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

test('fuzz checker - flags UNKNOWN, INTERNAL, a hang and a bad response, not a correct handler', async (t) => {
  const s = await brokenServer();
  try {
    const report = await runFuzz([{ key: 'broken', service: 'fuzztest.Broken', address: s.address }], { root: ROOT, runs: 5, seed: 42, unaryDeadlineMs: 1500, streamMs: 50, concurrency: 5 });
    const kinds = (method: string): string[] => [...new Set(report.findings.filter((f) => f.method === method).map((f) => `${f.kind}:${f.code}`))];
    t.deepEqual(kinds('Throws'), ['internal:UNKNOWN']);
    t.deepEqual(kinds('Internal'), ['internal:INTERNAL']);
    t.deepEqual(kinds('Hangs'), ['hang:DEADLINE_EXCEEDED']);
    t.deepEqual(kinds('BadResponse'), ['bad-response:OK']);
    t.deepEqual(kinds('Fine'), []);
    t.deepEqual(kinds('Watch'), []);
    // A stream answering a request INTERNAL in band is flagged; one refusing it is counted by that status.
    t.deepEqual(kinds('StreamInternal'), ['internal:INTERNAL']);
    t.deepEqual(kinds('StreamRefuses'), []);
    t.deepEqual(report.services['broken']?.methods['StreamRefuses']?.byStatus, { INVALID_ARGUMENT: 10 });
    // 5 valid-shaped and 5 malformed samples per RPC, all sent; the findings carry the request.
    t.is(report.services['broken']?.calls, 80);
    t.deepEqual(report.services['broken']?.methods['Fine']?.byStatus, { OK: 10 });
    const f = report.findings.find((x) => x.method === 'Internal');
    t.truthy(f?.requestHex !== undefined && f.details === 'deliberately internal');
  } finally {
    s.stop();
  }
});

test('fuzz checker - a server that goes away is a finding and the run stops', async (t) => {
  const s = await brokenServer();
  let calls = 0;
  const report = await runFuzz([{ key: 'broken', service: 'fuzztest.Broken', address: s.address }], {
    root: ROOT,
    runs: 2,
    unaryDeadlineMs: 300,
    onBatch: () => {
      if (++calls === 1) s.stop();
    },
  });
  t.true(report.findings.some((f) => f.kind === 'down'));
  t.is(Object.keys(report.services['broken']?.methods ?? {}).length, 1);
});

test('fuzz checker - a service missing from the protos is refused', async (t) => {
  await t.throwsAsync(runFuzz([{ key: 'x', service: 'fuzztest.Missing', address: '127.0.0.1:1' }], { root: ROOT, runs: 1 }), { message: /fuzztest\.Missing is not in the loaded protos/ });
});

test('fuzz arbitraries - valid samples decode, and every kind of malformed sample is made', (t) => {
  const type = ROOT.lookupType('fuzztest.Req');
  const valid = requestArbitrary(type, { maxStringChars: 4096 });
  for (const s of fc.sample(valid, { numRuns: 200, seed: 7 })) t.notThrows(() => type.decode(s.bytes));
  const kinds = new Set(fc.sample(malformedArbitrary(type, valid), { numRuns: 400, seed: 7 }).map((s) => s.kind));
  t.deepEqual([...kinds].sort(), ['bad-tag', 'deep-groups', 'deep-messages', 'empty', 'huge-length', 'random', 'truncated', 'wrong-wire-type']);
});

test('fuzz mesh - a service name that is not in SERVICES is refused before anything starts', async (t) => {
  await t.throwsAsync(startFuzzMesh(['inference', 'nope']), { message: /'nope', not a service \(known: inference, preprocess/ });
});

test('fuzz checker - a time budget too short for the samples still reaches every RPC', async (t) => {
  const s = await brokenServer();
  try {
    const report = await runFuzz([{ key: 'broken', service: 'fuzztest.Broken', address: s.address }], { root: ROOT, runs: 100, timeBudgetMs: 300, unaryDeadlineMs: 100, streamMs: 20, concurrency: 1, arbitraries: { '*': { maxStringChars: 2048, hugeRepeated: 2000 } } });
    t.true(report.truncated);
    for (const m of rpcsOf(ROOT, 'fuzztest.Broken')) t.true((report.services['broken']?.methods[m.name]?.calls ?? 0) > 0, m.name);
  } finally {
    s.stop();
  }
});
