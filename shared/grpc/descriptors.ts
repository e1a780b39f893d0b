/**
 * FileDescriptorProtos that strict descriptor pools accept (protoc's C++ DescriptorPool, Go's
 * protodesc, so grpcurl, Postman, Evans), built from a protobufjs Root.
 *
 * Why not proto-loader's own: they come from protobufjs's `Root#toDescriptor`, which
 * - names a map field's entry type `Parameters` instead of `ParametersEntry`, which strict pools
 *   refuse ("map_entry should not be set explicitly. Use map<KeyType, ValueType> instead");
 * - writes one file per package with no `dependency` list, so a type from another file (the
 *   monitor's use of mlmesh.events.v1) cannot be resolved;
 * - writes type names relative to the referring scope instead of fully qualified.
 * This module reuses protobufjs's conversion of each message, enum and service, then repairs
 * those three points with the resolved reflection objects: one file per .proto source file,
 * named by its path under the include directory, with its imports, and every type name fully
 * qualified (`.inference.ModelInferRequest.ParametersEntry`).
 */
import { createRequire } from 'node:module';
import { basename, relative, sep } from 'node:path';
import protobuf from 'protobufjs';
import type { IDescriptorProto, IEnumDescriptorProto, IFieldDescriptorProto, IFileDescriptorProto, IMethodDescriptorProto } from 'protobufjs/ext/descriptor/index.js';

// Loading ext/descriptor adds `toDescriptor()` to protobufjs's reflection classes.
const descriptorExt = createRequire(import.meta.url)('protobufjs/ext/descriptor') as { FileDescriptorProto: protobuf.Type };

type WithDescriptor<D> = { toDescriptor(syntax: string): protobuf.Message & D };

/** `parameters` → `Parameters`, `some_map` → `SomeMap`: protoc's name for a map entry type (plus `Entry`). */
export function mapEntryName(fieldName: string): string {
  let out = '';
  let upper = true;
  for (const ch of fieldName) {
    if (ch === '_') upper = true;
    else {
      out += upper ? ch.toUpperCase() : ch;
      upper = false;
    }
  }
  return `${out}Entry`;
}

/** The source file a reflection object was parsed from, as a descriptor file name. */
function fileNameOf(obj: protobuf.ReflectionObject, includeDirs: readonly string[]): string {
  let o: protobuf.ReflectionObject | null = obj;
  while (o && !o.filename) o = o.parent;
  const file = o?.filename;
  const pkg = packageOf(obj);
  if (!file) return `${pkg.replace(/\./g, '/') || 'root'}/${pkg.split('.').at(-1) || 'root'}.proto`;
  for (const dir of includeDirs) {
    const rel = relative(dir, file);
    if (!rel.startsWith('..') && !rel.startsWith(sep)) return rel.split(sep).join('/');
  }
  // Outside every include dir (e.g. grpc-health-check's health.proto): name it by its package,
  // as protoc users import it (`grpc/health/v1/health.proto`).
  return `${pkg.replace(/\./g, '/')}/${basename(file)}`;
}

/** The package of a top-level definition: the full name of its nearest namespace that is not a type. */
function packageOf(obj: protobuf.ReflectionObject): string {
  let p = obj.parent;
  while (p && (p instanceof protobuf.Type || p instanceof protobuf.Service)) p = p.parent;
  return p ? p.fullName.replace(/^\./, '') : '';
}

class FileBuilder {
  readonly deps = new Set<string>();
  constructor(
    readonly name: string,
    private readonly includeDirs: readonly string[],
  ) {}

  /** Notes the file that defines `target`, and returns its fully-qualified name. */
  ref(target: protobuf.ReflectionObject): string {
    const file = fileNameOf(target, this.includeDirs);
    if (file !== this.name) this.deps.add(file);
    return target.fullName;
  }

  /** Repairs protobufjs's descriptor of `type` in place (and its nested types). */
  fixMessage(type: protobuf.Type, d: IDescriptorProto): void {
    const fields = d.field ?? [];
    // protobufjs appends one entry type per map field, in field order, before other nested types.
    const entries = (d.nestedType ?? []).filter((n) => n.options?.mapEntry === true);
    let nextEntry = 0;
    for (const f of type.fieldsArray) {
      const fd = fields.find((x) => x.name === f.name) as IFieldDescriptorProto;
      if (f.map) {
        const entry = entries[nextEntry++] as IDescriptorProto;
        entry.name = mapEntryName(f.name);
        fd.typeName = `${type.fullName}.${entry.name}`;
        const value = entry.field?.[1];
        if (value && f.resolvedType) value.typeName = this.ref(f.resolvedType);
      } else if (f.resolvedType) {
        fd.typeName = this.ref(f.resolvedType);
      }
    }
    const nested = (d.nestedType ?? []).filter((n) => n.options?.mapEntry !== true);
    for (const n of type.nestedArray) {
      if (!(n instanceof protobuf.Type)) continue;
      const nd = nested.find((x) => x.name === n.name);
      if (nd) this.fixMessage(n, nd);
    }
  }

  fixMethod(m: protobuf.Method, d: IMethodDescriptorProto): void {
    m.resolve();
    if (m.resolvedRequestType) d.inputType = this.ref(m.resolvedRequestType);
    if (m.resolvedResponseType) d.outputType = this.ref(m.resolvedResponseType);
  }
}

function topLevel(ns: protobuf.NamespaceBase, out: protobuf.ReflectionObject[]): void {
  for (const o of ns.nestedArray) {
    if (o instanceof protobuf.Type || o instanceof protobuf.Enum || o instanceof protobuf.Service) out.push(o);
    else if (o instanceof protobuf.Namespace) topLevel(o, out);
  }
}

/**
 * Encoded FileDescriptorProtos for every file a resolved Root was loaded from (proto3 syntax,
 * which every mlmesh .proto uses), in dependency order.
 * @param includeDirs the folders imports are resolved against; file names are relative to them.
 */
export function fileDescriptorProtos(root: protobuf.Root, includeDirs: readonly string[]): Buffer[] {
  root.resolveAll();
  const objs: protobuf.ReflectionObject[] = [];
  topLevel(root, objs);
  const files = new Map<string, { builder: FileBuilder; proto: IFileDescriptorProto }>();
  for (const o of objs) {
    const name = fileNameOf(o, includeDirs);
    let f = files.get(name);
    if (!f) {
      f = { builder: new FileBuilder(name, includeDirs), proto: { name, package: packageOf(o), syntax: 'proto3', messageType: [], enumType: [], service: [] } };
      files.set(name, f);
    }
    if (packageOf(o) !== f.proto.package) throw new Error(`${name}: definitions of two packages (${f.proto.package}, ${packageOf(o)}) in one file`);
    if (o instanceof protobuf.Type) {
      const d = (o as unknown as WithDescriptor<IDescriptorProto>).toDescriptor('proto3');
      f.builder.fixMessage(o, d);
      f.proto.messageType?.push(d);
    } else if (o instanceof protobuf.Enum) {
      f.proto.enumType?.push((o as unknown as WithDescriptor<IEnumDescriptorProto>).toDescriptor('proto3'));
    } else if (o instanceof protobuf.Service) {
      const d = (o as unknown as WithDescriptor<{ method?: IMethodDescriptorProto[] }>).toDescriptor('proto3');
      o.methodsArray.forEach((m, i) => f.builder.fixMethod(m, d.method?.[i] as IMethodDescriptorProto));
      f.proto.service?.push(d);
    }
  }
  for (const f of files.values()) f.proto.dependency = [...f.builder.deps].sort();
  // Dependencies first: some consumers add files to a pool in the order given.
  const ordered: IFileDescriptorProto[] = [];
  const done = new Set<string>();
  const visit = (name: string, path: readonly string[]): void => {
    if (done.has(name)) return;
    if (path.includes(name)) throw new Error(`import cycle: ${[...path, name].join(' -> ')}`);
    const f = files.get(name);
    if (!f) return;
    for (const dep of f.proto.dependency as string[]) visit(dep, [...path, name]);
    done.add(name);
    ordered.push(f.proto);
  };
  for (const name of [...files.keys()].sort()) visit(name, []);
  return ordered.map((p) => Buffer.from(descriptorExt.FileDescriptorProto.encode(descriptorExt.FileDescriptorProto.create(p)).finish()));
}
