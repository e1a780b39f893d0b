import type * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { PROTOS_DIR, PROTO_LOADER_OPTIONS, loadPackage } from '../protos/index.js';

export { PROTO_LOADER_OPTIONS };

/** Folder holding the project's .proto files (relative to the module, see `shared/protos`). */
export function protosDir(): string {
  return PROTOS_DIR;
}

/**
 * Loads .proto files (relative to `protos/`) plus the gRPC health proto, as one package
 * definition that both the server (services, reflection) and clients use.
 */
export function loadProtos(files: readonly string[]): protoLoader.PackageDefinition {
  return loadPackage(files, [healthProtoPath]);
}

/**
 * The grpc-js service definition of a fully-qualified service (e.g.
 * `inference.GRPCInferenceService`) in a package definition.
 * @throws Error when the service is not in the definition.
 */
export function serviceDefinition(pkg: protoLoader.PackageDefinition, fullName: string): grpc.ServiceDefinition {
  const def = pkg[fullName];
  if (!def || 'format' in def) {
    throw new Error(`service ${fullName} is not in the loaded protos`);
  }
  return def as grpc.ServiceDefinition;
}

/** A client constructor for a fully-qualified service in a package definition. */
export function clientConstructor(pkg: protoLoader.PackageDefinition, fullName: string): grpc.ServiceClientConstructor {
  return grpc.makeGenericClientConstructor(serviceDefinition(pkg, fullName), fullName);
}
