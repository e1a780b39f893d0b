import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import protobuf from 'protobufjs';
import { projectRoot } from '../../shared/config/index.js';

const run = promisify(execFile);
const PROTO = join(projectRoot(), 'protos/inference/grpc_service.proto');

// Field numbers of the public Open Inference Protocol contract
// (../shared/reference/open-inference-protocol.md): an existing v2 client depends on them.
const FIELDS: Record<string, Record<string, [number, string, boolean?]>> = {
  ModelReadyRequest: { name: [1, 'string'], version: [2, 'string'] },
  ServerMetadataResponse: { name: [1, 'string'], version: [2, 'string'], extensions: [3, 'string', true] },
  ModelMetadataResponse: { name: [1, 'string'], versions: [2, 'string', true], platform: [3, 'string'], inputs: [4, 'TensorMetadata', true], outputs: [5, 'TensorMetadata', true] },
  'ModelMetadataResponse.TensorMetadata': { name: [1, 'string'], datatype: [2, 'string'], shape: [3, 'int64', true] },
  ModelInferRequest: {
    model_name: [1, 'string'],
    model_version: [2, 'string'],
    id: [3, 'string'],
    inputs: [5, 'InferInputTensor', true],
    outputs: [6, 'InferRequestedOutputTensor', true],
    raw_input_contents: [7, 'bytes', true],
  },
  'ModelInferRequest.InferInputTensor': { name: [1, 'string'], datatype: [2, 'string'], shape: [3, 'int64', true], contents: [5, 'InferTensorContents'] },
  'ModelInferRequest.InferRequestedOutputTensor': { name: [1, 'string'] },
  ModelInferResponse: { model_name: [1, 'string'], model_version: [2, 'string'], id: [3, 'string'], outputs: [5, 'InferOutputTensor', true], raw_output_contents: [6, 'bytes', true] },
  'ModelInferResponse.InferOutputTensor': { name: [1, 'string'], datatype: [2, 'string'], shape: [3, 'int64', true], contents: [5, 'InferTensorContents'] },
  InferParameter: { bool_param: [1, 'bool'], int64_param: [2, 'int64'], string_param: [3, 'string'] },
  InferTensorContents: {
    bool_contents: [1, 'bool', true],
    int_contents: [2, 'int32', true],
    int64_contents: [3, 'int64', true],
    uint_contents: [4, 'uint32', true],
    uint64_contents: [5, 'uint64', true],
    fp32_contents: [6, 'float', true],
    fp64_contents: [7, 'double', true],
    bytes_contents: [8, 'bytes', true],
  },
  ModelRepositoryParameter: { bool_param: [1, 'bool'], int64_param: [2, 'int64'], string_param: [3, 'string'], bytes_param: [4, 'bytes'] },
  RepositoryIndexRequest: { repository_name: [1, 'string'], ready: [2, 'bool'] },
  'RepositoryIndexResponse.ModelIndex': { name: [1, 'string'], version: [2, 'string'], state: [3, 'string'], reason: [4, 'string'] },
  RepositoryModelLoadRequest: { repository_name: [1, 'string'], model_name: [2, 'string'] },
  RepositoryModelUnloadRequest: { repository_name: [1, 'string'], model_name: [2, 'string'] },
  // Triton's extensions (triton-inference-server/common protobuf/grpc_service.proto).
  ModelStreamInferResponse: { error_message: [1, 'string'], infer_response: [2, 'ModelInferResponse'] },
  ModelConfigRequest: { name: [1, 'string'], version: [2, 'string'] },
  ModelConfigResponse: { config: [1, 'ModelConfig'] },
  ModelStatisticsRequest: { name: [1, 'string'], version: [2, 'string'] },
  StatisticDuration: { count: [1, 'uint64'], ns: [2, 'uint64'] },
  InferStatistics: {
    success: [1, 'StatisticDuration'],
    fail: [2, 'StatisticDuration'],
    queue: [3, 'StatisticDuration'],
    compute_input: [4, 'StatisticDuration'],
    compute_infer: [5, 'StatisticDuration'],
    compute_output: [6, 'StatisticDuration'],
    cache_hit: [7, 'StatisticDuration'],
    cache_miss: [8, 'StatisticDuration'],
  },
  InferBatchStatistics: { batch_size: [1, 'uint64'], compute_input: [2, 'StatisticDuration'], compute_infer: [3, 'StatisticDuration'], compute_output: [4, 'StatisticDuration'] },
  ModelStatistics: {
    name: [1, 'string'],
    version: [2, 'string'],
    last_inference: [3, 'uint64'],
    inference_count: [4, 'uint64'],
    execution_count: [5, 'uint64'],
    inference_stats: [6, 'InferStatistics'],
    batch_stats: [7, 'InferBatchStatistics', true],
  },
  ModelStatisticsResponse: { model_stats: [1, 'ModelStatistics', true] },
};

test('contract - package, service, RPCs and field numbers are those of the Open Inference Protocol', async (t) => {
  const root = protobuf.parse(await readFile(PROTO, 'utf8'), { keepCase: true }).root;
  const svc = root.lookupService('inference.GRPCInferenceService');
  t.deepEqual(Object.keys(svc.methods).sort(), [
    'ModelConfig',
    'ModelInfer',
    'ModelMetadata',
    'ModelReady',
    'ModelStatistics',
    'ModelStreamInfer',
    'RepositoryIndex',
    'RepositoryModelLoad',
    'RepositoryModelUnload',
    'ServerLive',
    'ServerMetadata',
    'ServerReady',
  ]);
  t.is(svc.methods['ModelInfer']?.requestType, 'ModelInferRequest');
  t.like(svc.methods['ModelStreamInfer'], { requestType: 'ModelInferRequest', responseType: 'ModelStreamInferResponse', requestStream: true, responseStream: true });
  for (const [msg, fields] of Object.entries(FIELDS)) {
    const type = root.lookupType(`inference.${msg}`);
    for (const [name, [id, kind, repeated]] of Object.entries(fields)) {
      const f = type.fields[name];
      t.truthy(f, `${msg}.${name} exists`);
      t.is(f?.id, id, `${msg}.${name} number`);
      t.is(f?.type, kind, `${msg}.${name} type`);
      t.is(f?.repeated ?? false, repeated ?? false, `${msg}.${name} repeated`);
    }
  }
  const params = root.lookupType('inference.ModelInferRequest').fields['parameters'];
  t.is(params?.id, 4);
  t.true(params instanceof protobuf.MapField);
});

async function listTs(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listTs(p, base)));
    else out.push(relative(base, p));
  }
  return out.sort();
}

test('contract - the committed TypeScript types are what `npm run gen:protos` generates from the .proto', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'mlmesh-gen-'));
  try {
    const pkg = JSON.parse(await readFile(join(projectRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const args = (pkg.scripts['gen:protos'] ?? '').split(' ').slice(1);
    const outIndex = args.indexOf('-O');
    args[outIndex + 1] = out;
    await run(join(projectRoot(), 'node_modules/.bin/proto-loader-gen-types'), args, { cwd: projectRoot() });
    const committed = join(projectRoot(), 'shared/generated');
    const files = await listTs(out);
    t.deepEqual(files, await listTs(committed));
    for (const f of files) {
      t.is(await readFile(join(out, f), 'utf8'), await readFile(join(committed, f), 'utf8'), `${f} is stale: run npm run gen:protos`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('contract - mlmesh.preprocess.v1: package, service, RPCs and field numbers', async (t) => {
  const root = protobuf.parse(await readFile(join(projectRoot(), 'protos/mlmesh/preprocess/v1/preprocess.proto'), 'utf8'), { keepCase: true }).root;
  const svc = root.lookupService('mlmesh.preprocess.v1.PreprocessService');
  t.deepEqual(Object.keys(svc.methods).sort(), ['Fit', 'GetPipeline', 'ListPipelines', 'Transform']);
  t.like(svc.methods['Transform'], { requestType: 'TransformRequest', responseType: 'TransformResponse' });
  const fields: Record<string, Record<string, [number, string, boolean?]>> = {
    PipelineRef: { name: [1, 'string'], version: [2, 'string'], sha256: [3, 'string'] },
    Value: { double_value: [1, 'double'], int64_value: [2, 'int64'], string_value: [3, 'string'], bool_value: [4, 'bool'], null_value: [5, 'NullValue'] },
    TransformRequest: { pipeline: [1, 'PipelineRef'], records: [2, 'Record', true], mode: [3, 'TransformMode'] },
    TransformResponse: { name: [1, 'string'], version: [2, 'string'], sha256: [3, 'string'], feature_names: [4, 'string', true], shape: [5, 'int64', true], tensor: [6, 'bytes'], row_index: [7, 'uint32', true], errors: [8, 'RowError', true] },
    RowError: { row: [1, 'uint32'], column: [2, 'string'], code: [3, 'RowErrorCode'], message: [4, 'string'] },
    FitRequest: { name: [1, 'string'], version: [2, 'string'], spec: [3, 'string'], csv: [4, 'bytes'], data_path: [5, 'string'] },
  };
  for (const [msg, fs] of Object.entries(fields)) {
    const type = root.lookupType(`mlmesh.preprocess.v1.${msg}`);
    for (const [name, [id, kind, repeated]] of Object.entries(fs)) {
      t.is(type.fields[name]?.id, id, `${msg}.${name} number`);
      t.is(type.fields[name]?.type, kind, `${msg}.${name} type`);
      t.is(type.fields[name]?.repeated ?? false, repeated ?? false, `${msg}.${name} repeated`);
    }
  }
  t.deepEqual(root.lookupEnum('mlmesh.preprocess.v1.RowErrorCode').values, {
    ROW_ERROR_CODE_UNSPECIFIED: 0,
    MISSING_REQUIRED: 1,
    WRONG_TYPE: 2,
    UNKNOWN_CATEGORY: 3,
    OUT_OF_RANGE: 4,
    NOT_FINITE: 5,
    UNKNOWN_COLUMN: 6,
  });
  t.deepEqual(root.lookupEnum('mlmesh.preprocess.v1.TransformMode').values, { LENIENT: 0, STRICT: 1 });
  t.true(root.lookupType('mlmesh.preprocess.v1.Record').fields['fields'] instanceof protobuf.MapField);
});

test('contract - mlmesh.features.v1: package, service, RPC names and the value/status shapes clients depend on', async (t) => {
  const root = protobuf.parse(await readFile(join(projectRoot(), 'protos/mlmesh/features/v1/features.proto'), 'utf8'), { keepCase: true }).root;
  const svc = root.lookupService('mlmesh.features.v1.FeatureService');
  t.deepEqual(Object.keys(svc.methods).sort(), [
    'GetFeature',
    'GetFeatureService',
    'GetHistoricalFeatures',
    'GetOnlineFeatures',
    'ListFeatureServices',
    'ListFeatures',
    'Materialize',
    'RegisterFeature',
    'RegisterFeatureService',
    'WriteFeatures',
  ]);
  t.true(svc.methods['GetHistoricalFeatures']?.responseStream);
  t.falsy(svc.methods['GetOnlineFeatures']?.responseStream);
  const value = root.lookupType('mlmesh.features.v1.Value');
  t.deepEqual(value.oneofs['kind']?.oneof, ['float_value', 'int64_value', 'string_value', 'bool_value', 'float_vector_value']);
  t.deepEqual(root.lookupEnum('mlmesh.features.v1.FeatureStatus').values, { FEATURE_STATUS_UNSPECIFIED: 0, PRESENT: 1, NOT_FOUND: 2, NULL_VALUE: 3, OUTSIDE_MAX_AGE: 4 });
  const req = root.lookupType('mlmesh.features.v1.GetOnlineFeaturesRequest');
  t.deepEqual(Object.fromEntries(Object.values(req.fields).map((f) => [f.name, [f.id, f.type]])), {
    features: [1, 'FeatureList'],
    feature_service: [2, 'string'],
    entity_ids: [3, 'string'],
    as_of_ms: [4, 'int64'],
  });
});
