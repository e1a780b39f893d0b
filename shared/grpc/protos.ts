import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import protobuf from 'protobufjs';
import { PROTOS_DIR, PROTO_LOADER_OPTIONS, loadPackage, protoPath } from '../protos/index.js';
import { fileDescriptorProtos } from './descriptors.js';

export { PROTO_LOADER_OPTIONS };

/** Folder holding the project's .proto files (relative to the module, see `shared/protos`). */
export function protosDir(): string {
  return PROTOS_DIR;
}

/**
 * Loads .proto files (relative to `protos/`) plus the gRPC health proto, as one package
 * definition that both the server (services, reflection) and clients use. Its
 * `fileDescriptorProtos` (what server reflection serves) are replaced by ones that strict
 * descriptor pools accept: see {@link fileDescriptorProtos}.
 */
export function loadProtos(files: readonly string[]): protoLoader.PackageDefinition {
  const pkg = loadPackage(files, [healthProtoPath]);
  const paths = [...files.map(protoPath), healthProtoPath];
  const includeDirs = [PROTOS_DIR];
  const root = new protobuf.Root();
  // The same import resolution as proto-loader's `includeDirs`.
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target)) return target;
    for (const dir of includeDirs) if (existsSync(join(dir, target))) return join(dir, target);
    return protobuf.util.path.resolve(origin, target);
  };
  const descriptors = fileDescriptorProtos(root.loadSync(paths, { keepCase: true }), includeDirs);
  for (const def of Object.values(pkg)) {
    if ('fileDescriptorProtos' in def && Array.isArray(def.fileDescriptorProtos)) def.fileDescriptorProtos = descriptors;
    else reflectionRoots.set(def, root);
  }
  return pkg;
}

const reflectionRoots = new WeakMap<object, protobuf.Root>();

/** The protobufjs Root (resolved) a service definition of {@link loadProtos} was loaded from. */
export function reflectionRootOf(definition: object): protobuf.Root | undefined {
  return reflectionRoots.get(definition);
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
  return def;
}

/** A client constructor for a fully-qualified service in a package definition. */
export function clientConstructor(pkg: protoLoader.PackageDefinition, fullName: string): grpc.ServiceClientConstructor {
  return grpc.makeGenericClientConstructor(serviceDefinition(pkg, fullName), fullName);
}
