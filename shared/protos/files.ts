import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';

/**
 * The folder of the package's .proto files, found relative to this module: compiled, it is
 * `dist/shared/protos/files.js`, three levels below the package root that holds `protos/`. It is
 * the same in a checkout and in `node_modules/mlmesh/` of a project that installed the package;
 * nothing walks up the file system looking for a checkout.
 */
export const PROTOS_DIR: string = fileURLToPath(new URL('../../../protos/', import.meta.url));

/**
 * The .proto files of the mesh's gRPC services and of the standard error details, relative to
 * {@link PROTOS_DIR}.
 */
export const PROTO_FILES = {
  inference: 'inference/grpc_service.proto',
  preprocess: 'mlmesh/preprocess/v1/preprocess.proto',
  features: 'mlmesh/features/v1/features.proto',
  monitor: 'mlmesh/monitor/v1/monitor.proto',
  gateway: 'mlmesh/gateway/v1/gateway.proto',
  rollout: 'mlmesh/rollout/v1/rollout.proto',
  retrainer: 'mlmesh/retrainer/v1/retrainer.proto',
  events: 'mlmesh/events/v1/events.proto',
  rpcStatus: 'google/rpc/status.proto',
  rpcErrorDetails: 'google/rpc/error_details.proto',
} as const;

/**
 * proto-loader options used at run time. They must match the flags of `npm run gen:protos`
 * (`proto-loader-gen-types`), which generates the TypeScript types in `shared/generated/`:
 * snake_case field names as in the .proto, 64-bit integers as strings (no precision loss for
 * INT64/UINT64 tensors), enums as strings, defaults filled in, virtual oneof fields.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/**
 * The absolute path of a .proto file of the package (`file` relative to {@link PROTOS_DIR}).
 * @throws Error naming the path when the file is not there (a package built without `protos/`).
 */
export function protoPath(file: string): string {
  const path = join(PROTOS_DIR, file);
  if (!existsSync(path)) throw new Error(`mlmesh: ${file} is not in ${PROTOS_DIR} (the package ships protos/ beside dist/)`);
  return path;
}

/**
 * Loads .proto files of the package (relative to {@link PROTOS_DIR}, imports resolved from it)
 * plus `extra` absolute paths, as one proto-loader package definition.
 */
export function loadPackage(files: readonly string[], extra: readonly string[] = []): protoLoader.PackageDefinition {
  return protoLoader.loadSync([...files.map(protoPath), ...extra], { ...PROTO_LOADER_OPTIONS, includeDirs: [PROTOS_DIR] });
}
