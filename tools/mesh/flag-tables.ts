/**
 * The flag tables of `mlmesh up` and `mlmesh status`, apart from their commands so the `mlmesh`
 * program can declare the flags without loading the supervisor.
 */
import type { FlagTable } from './flags.js';

/** The flags of `mlmesh up`. */
export const UP_FLAGS = {
  config: { type: 'string', value: '<file>', doc: "Mesh config file (default: $MLMESH_CONFIG, else ./mlmesh.yaml, else the package's mlmesh.yaml)." },
  only: { type: 'string', value: '<a,b>', doc: 'Start only these services (features, preprocess, inference, monitor; nats); the local NATS comes along when one of them uses it.' },
  'var-dir': { type: 'string', value: '<dir>', doc: "State folder (default: the config's mesh.varDir, var/ beside the config file)." },
  'log-format': { type: 'string', value: '<auto|pretty|json>', doc: 'Log stream format (default: mesh.logFormat, auto = pretty on a terminal, JSON otherwise).' },
  tls: { type: 'boolean', doc: 'Make a development CA and certificates under <var-dir>/tls/ (openssl) and run every service with mutual TLS; the CLI settings go to <var-dir>/tls/cli.env.' },
  secure: { type: 'boolean', doc: 'As --tls, and authorization on: services hold the data-plane role, the CLI admin certificate and a generated admin token (printed once, kept in <var-dir>/tls/admin.token) the admin role (docs/security.md).' },
  'nats-auth': { type: 'boolean', doc: 'Run the local nats-server with deploy/nats/mlmesh-accounts.conf (one user per service, least-privilege permissions) and fresh passwords under <var-dir>/nats/secrets/; each service connects as its user, the CLI as admin (. <var-dir>/nats/cli.env).' },
  help: { type: 'boolean', short: 'h', doc: 'Show this help.' },
} as const satisfies FlagTable;

/** The flags of `mlmesh status`. */
export const STATUS_FLAGS = {
  config: { type: 'string', value: '<file>', doc: 'Mesh config file, to find the var folder (the same lookup as mlmesh up).' },
  'var-dir': { type: 'string', value: '<dir>', doc: "State folder of the mesh (default: the config's mesh.varDir)." },
  json: { type: 'boolean', doc: 'Print JSON (one object: supervisor, services) instead of a table.' },
  'timeout-ms': { type: 'string', value: '<ms>', doc: 'Deadline of each probe (default 2000).' },
  help: { type: 'boolean', short: 'h', doc: 'Show this help.' },
} as const satisfies FlagTable;
