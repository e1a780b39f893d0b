/**
 * The local NATS of the mesh: finding the nats-server binary, writing its config under
 * `<varDir>/nats/` (JetStream store in `<varDir>/nats/store`), and probing a server's INFO line
 * (readiness, version, JetStream on). The process itself is supervised like a service.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { basename, delimiter, isAbsolute, join } from 'node:path';

/** Folders searched for nats-server after PATH (Debian installs it in /usr/sbin, often not on a user's PATH). */
export const NATS_FALLBACK_DIRS: readonly string[] = ['/usr/sbin', '/usr/local/sbin'];

function executable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false; // missing or not executable: the caller tries the next candidate
  }
}

/**
 * The nats-server binary: `configured` when it is a path (or a name looked up on PATH), else
 * `nats-server` on PATH, else in `fallbackDirs`. Returns `{ missing }` with what was looked at
 * when there is none.
 */
export function resolveNatsBinary(configured: string, env: NodeJS.ProcessEnv, fallbackDirs: readonly string[] = NATS_FALLBACK_DIRS): { bin: string } | { missing: string } {
  const pathDirs = (env['PATH'] ?? '').split(delimiter).filter((d) => isAbsolute(d));
  if (configured !== '') {
    if (configured.includes('/')) return executable(configured) ? { bin: configured } : { missing: `natsServerBin (env NATS_SERVER_BIN) ${JSON.stringify(configured)} is not an executable file` };
    for (const dir of pathDirs) if (executable(join(dir, configured))) return { bin: join(dir, configured) };
    return { missing: `natsServerBin (env NATS_SERVER_BIN) ${JSON.stringify(configured)} is not on PATH` };
  }
  for (const dir of [...pathDirs, ...fallbackDirs]) {
    const candidate = join(dir, 'nats-server');
    if (executable(candidate)) return { bin: candidate };
  }
  return { missing: `no nats-server on PATH or in ${fallbackDirs.join(', ')}` };
}

/** Where the local nats-server keeps its files. */
export interface NatsFiles {
  /** `<varDir>/nats` */
  readonly dir: string;
  /** `<varDir>/nats/nats-server.conf`, written by {@link writeNatsConfig}. */
  readonly configFile: string;
  /** `<varDir>/nats/store`: the JetStream store (nats-server adds `jetstream/` below it). */
  readonly storeDir: string;
}

/** The files of the local nats-server under `varDir`. */
export function natsFiles(varDir: string): NatsFiles {
  const dir = join(varDir, 'nats');
  return { dir, configFile: join(dir, 'nats-server.conf'), storeDir: join(dir, 'store') };
}

/**
 * Writes the local nats-server's config: 127.0.0.1:`port`, JetStream with its store under
 * varDir; `include` (a file in the same folder, e.g. the account file of `--nats-auth`) is
 * included after.
 */
export async function writeNatsConfig(files: NatsFiles, port: number, include?: string): Promise<void> {
  await mkdir(files.storeDir, { recursive: true });
  const lines = [
    '# Written by mlmesh up at every start (edit mlmesh.yaml, not this file).',
    'host: "127.0.0.1"',
    `port: ${port}`,
    'server_name: "mlmesh-local"',
    'jetstream {',
    `  store_dir: ${JSON.stringify(files.storeDir)}`,
    '}',
  ];
  // nats-server resolves an include relative to the including file.
  if (include !== undefined) lines.push(`include ${JSON.stringify(basename(include))}`);
  await writeFile(files.configFile, lines.join('\n') + '\n');
}

/** What a NATS server says about itself in its INFO line. */
export interface NatsInfo {
  readonly version: string;
  readonly jetstream: boolean;
  readonly serverName: string;
}

/**
 * Connects to host:port and reads the server's `INFO {...}` line.
 * @throws Error when nothing answers, the greeting is not INFO, or within `timeoutMs` no line came.
 */
export function natsInfo(host: string, port: number, timeoutMs: number): Promise<NatsInfo> {
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host, port });
    let buf = '';
    const done = (err: Error | undefined, info?: NatsInfo): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(info as NatsInfo);
    };
    const timer = setTimeout(() => done(new Error(`no INFO from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\r\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      if (!line.startsWith('INFO ')) return done(new Error(`${host}:${port} is not a NATS server (greeting ${JSON.stringify(line.slice(0, 40))})`));
      try {
        const o = JSON.parse(line.slice(5)) as { version?: string; jetstream?: boolean; server_name?: string };
        done(undefined, { version: o.version ?? '?', jetstream: o.jetstream === true, serverName: o.server_name ?? '' });
      } catch (e: unknown) {
        done(new Error(`${host}:${port}: unreadable INFO line`, { cause: e }));
      }
    });
    sock.on('error', (err) => done(err));
    sock.on('close', () => done(new Error(`${host}:${port} closed the connection before INFO`)));
  });
}

/** host and port of each server of a NATS URL list (`nats://a:4222,b:4223`); the port defaults to 4222. */
export function natsEndpoints(urls: string): Array<{ host: string; port: number }> {
  return urls
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '')
    .map((u) => {
      const url = new URL(u.includes('://') ? u : `nats://${u}`);
      return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? 4222 : Number(url.port) };
    });
}

/** The INFO of the first server of `urls` that answers. @throws Error naming every server tried. */
export async function firstNatsInfo(urls: string, timeoutMs: number): Promise<NatsInfo & { host: string; port: number }> {
  const errors: string[] = [];
  for (const ep of natsEndpoints(urls)) {
    try {
      return { ...(await natsInfo(ep.host, ep.port, timeoutMs)), ...ep };
    } catch (e: unknown) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  }
  throw new Error(`no NATS server of ${urls} answers (${errors.join('; ')})`);
}

/** A nats-server log line (`[pid] 2026/01/02 15:04:05.000000 [INF] msg`) as level and message. */
export function parseNatsLogLine(line: string): { level: string; msg: string } {
  const m = /^\[\d+\]\s+\S+\s+\S+\s+\[(INF|WRN|ERR|DBG|TRC|FTL)\]\s?(.*)$/.exec(line);
  if (!m) return { level: 'info', msg: line };
  const level = ({ INF: 'info', WRN: 'warn', ERR: 'error', DBG: 'debug', TRC: 'trace', FTL: 'fatal' } as const)[m[1] as 'INF'];
  return { level, msg: m[2] ?? '' };
}
