import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { InvalidArgumentError, clip, errorMessage } from '../errors/index.js';
import { reflectionRootOf } from './protos.js';
import { checkWireFormat } from './wire-check.js';

/**
 * What a method's deserializer returns for bytes that are not a valid message. grpc-js answers
 * a throwing deserializer with INTERNAL ("Error deserializing request"), although malformed
 * input is the caller's fault; so the deserializer returns this instead and the wrapped handler
 * answers INVALID_ARGUMENT.
 */
export class MalformedRequest {
  constructor(
    readonly type: string,
    readonly reason: string,
  ) {}
}

/** A service definition whose request deserializers never throw (see {@link MalformedRequest}). */
export function tolerantDefinition(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const root = reflectionRootOf(definition);
  for (const [method, def] of Object.entries(definition)) {
    const type = (def as { requestType?: { type?: { name?: string } } }).requestType?.type?.name ?? `${method} request`;
    // protobufjs accepts some malformed bytes (a string cut short decodes as a shorter one):
    // a strict pass over the wire format first, where the schema is known (loadProtos).
    const schema = requestTypeOf(root, def.path);
    out[method] = {
      ...def,
      requestDeserialize: (bytes: Buffer) => {
        try {
          if (schema) checkWireFormat(bytes, schema);
          return def.requestDeserialize(bytes) as unknown;
        } catch (e: unknown) {
          return new MalformedRequest(type, errorMessage(e));
        }
      },
    };
  }
  return out;
}

/** The request type of `path` (`/pkg.Service/Method`) in `root`, if there. */
function requestTypeOf(root: protobuf.Root | undefined, path: string): protobuf.Type | undefined {
  const m = /^\/(.+)\/([^/]+)$/.exec(path);
  if (!root || !m) return undefined;
  const service = root.lookup(m[1] as string);
  const rpc = service instanceof protobuf.Service ? service.methods[m[2] as string] : undefined;
  rpc?.resolve();
  return rpc?.resolvedRequestType ?? undefined;
}

/** The status for a request that did not decode. */
export function malformed(request: MalformedRequest): InvalidArgumentError {
  return new InvalidArgumentError(`the request is not a valid ${request.type} protobuf message: ${clip(request.reason)}`, { field: '(message)' });
}
