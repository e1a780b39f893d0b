import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import test from 'ava';
import { RPC_ROLES, isRole } from '../../shared/auth/index.js';
import { projectRoot } from '../../shared/config/index.js';
import { GrpcServer, loadProtos, protosDir } from '../../shared/grpc/index.js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { Registry } from 'prom-client';
import { createLogger } from '../../shared/logging/index.js';

/** Every .proto under protos/ but Google's. */
function protoFiles(dir = protosDir()): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'google' ? [] : protoFiles(full);
    return e.name.endsWith('.proto') ? [relative(protosDir(), full)] : [];
  });
}

/** The mesh's services in `pkg` (health is served by the host for everyone, outside the table). */
function services(pkg: PackageDefinition): [string, string[]][] {
  return Object.entries(pkg)
    .filter(([name, def]) => !('format' in def) && name !== 'grpc.health.v1.Health')
    .map(([name, def]) => [name, Object.keys(def)]);
}

test('roles - every RPC of every service in protos/ has a role, and the table names no RPC that does not exist', (t) => {
  const pkg = loadProtos(protoFiles());
  const found = services(pkg);
  t.true(found.length >= 5, `services found: ${found.map(([n]) => n).join(', ')}`);
  const missing: string[] = [];
  for (const [service, methods] of found) for (const m of methods) if (!RPC_ROLES[service]?.[m]) missing.push(`${service}/${m}`);
  t.deepEqual(missing, [], 'add these to RPC_ROLES in shared/auth/roles.ts');
  const known = new Map(found);
  const stale: string[] = [];
  for (const [service, table] of Object.entries(RPC_ROLES)) {
    for (const [m, role] of Object.entries(table)) {
      if (!known.get(service)?.includes(m)) stale.push(`${service}/${m}`);
      t.true(isRole(role), `${service}/${m}: ${role}`);
    }
  }
  t.deepEqual(stale, []);
});

test('roles - the admin operations of the issue are admin, the data plane is data', (t) => {
  t.like(RPC_ROLES['inference.GRPCInferenceService'], { ModelInfer: 'data', RepositoryModelLoad: 'admin', RepositoryModelUnload: 'admin', ModelMetadata: 'read', ModelStreamInfer: 'data', ModelConfig: 'read', ModelStatistics: 'read' });
  t.like(RPC_ROLES['mlmesh.preprocess.v1.PreprocessService'], { Transform: 'data', Fit: 'admin' });
  t.like(RPC_ROLES['mlmesh.features.v1.FeatureService'], { GetOnlineFeatures: 'data', WriteFeatures: 'admin', Materialize: 'admin' });
  t.like(RPC_ROLES['mlmesh.monitor.v1.MonitorService'], { ReplaceReference: 'admin' });
  t.like(RPC_ROLES['mlmesh.gateway.v1.GatewayService'], { Predict: 'data' });
});

test('roles - a server refuses to start with an RPC missing from the table', async (t) => {
  const pkg = loadProtos(['mlmesh/preprocess/v1/preprocess.proto']);
  const name = 'mlmesh.preprocess.v1.PreprocessService';
  const def = pkg[name] as import('@grpc/grpc-js').ServiceDefinition;
  const handler = () => Promise.resolve({});
  const handlers = Object.fromEntries(Object.keys(def).map((m) => [m, handler]));
  const err = await t.throwsAsync(
    GrpcServer.create({
      port: 0,
      packageDefinition: pkg,
      logger: createLogger({ service: 'roles-test', level: 'silent' }),
      registry: new Registry(),
      services: [{ name, definition: def, handlers, roles: { Transform: 'data', Fit: 'admin', GetPipeline: 'read' } }],
    }),
  );
  t.regex(err?.message ?? '', /no role for ListPipelines: every RPC must state its role in RPC_ROLES/);
});

test('roles - the table in docs/security.md is RPC_ROLES', (t) => {
  const all = readFileSync(join(projectRoot(), 'docs/security.md'), 'utf8');
  const from = all.indexOf('\n## Roles\n');
  t.true(from >= 0, 'docs/security.md has a "## Roles" section');
  const doc = all.slice(from, all.indexOf('\n## ', from + 1));
  const rows = new Map<string, Record<string, string[]>>();
  for (const m of doc.matchAll(/^\| `([\w.]+)` \|([^|\n]*)\|([^|\n]*)\|([^|\n]*)\|$/gm)) {
    const cell = (s: string | undefined): string[] => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean).sort();
    rows.set(m[1] as string, { read: cell(m[2]), data: cell(m[3]), admin: cell(m[4]) });
  }
  const code = new Map<string, Record<string, string[]>>();
  for (const [svc, methods] of Object.entries(RPC_ROLES)) {
    const by: Record<string, string[]> = { read: [], data: [], admin: [] };
    for (const [method, role] of Object.entries(methods)) by[role]?.push(method);
    for (const k of Object.keys(by)) by[k]?.sort();
    code.set(svc, by);
  }
  t.deepEqual(Object.fromEntries(rows), Object.fromEntries(code), 'docs/security.md "Roles" differs from RPC_ROLES in shared/auth/roles.ts');
});
