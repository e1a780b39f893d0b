/**
 * Container health probe: `node dist/tools/mesh/healthcheck.js [<service>]` exits 0 when the
 * service in this container is healthy (gRPC health SERVING and, with an HTTP port, /readyz 200),
 * 1 otherwise, printing why. The service's host and ports come from its own options (the same
 * MLMESH_CONFIG file and variables the service reads), so the probe follows any port change.
 * Without an argument the service is the one PID 1 runs (`dist/services/<service>/main.js`):
 * the image's HEALTHCHECK works whatever command a container is given. Under TLS (tlsCertFile set)
 * it probes over TLS with the service's own certificate (mutual TLS passes, health needs no role).
 */
import { readFileSync } from 'node:fs';
import { CATALOGUE, loadServiceOptions, serviceOfCommand } from './catalogue.js';
import { loadConfig } from '../../shared/config/index.js';
import { connectHost } from './ports.js';
import { probeService } from './probe.js';

/** Deadline of each probe, ms (below compose's healthcheck timeout). */
const PROBE_TIMEOUT_MS = 2000;

function serviceOfPid1(): string | undefined {
  try {
    return serviceOfCommand(readFileSync('/proc/1/cmdline', 'utf8').split('\0'));
  } catch {
    return undefined; // not Linux, or no /proc: the service must be named
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const name = argv[0] ?? serviceOfPid1();
  const entry = CATALOGUE.find((s) => s.name === name);
  if (!entry) {
    process.stderr.write(`healthcheck: name the service (${CATALOGUE.map((s) => s.name).join(', ')})${name ? `, not ${JSON.stringify(name)}` : ''}\n`);
    return 1;
  }
  const config = loadConfig(await loadServiceOptions(entry), { section: entry.name }) as Record<string, unknown>;
  const host = connectHost(typeof config['host'] === 'string' ? config['host'] : '127.0.0.1');
  // Under TLS the probe presents the service's own certificate and trusts its CA (the system's without one).
  const str = (k: string): string => (typeof config[k] === 'string' ? config[k] : '');
  const tls = str('tlsCertFile') !== '' ? { caFile: str('tlsCaFile'), certFile: str('tlsCertFile'), keyFile: str('tlsKeyFile'), anyHostname: true } : undefined;
  const http = typeof config['httpPort'] === 'number' && config['httpPort'] > 0 ? `${tls ? 'https' : 'http'}://${host}:${config['httpPort']}` : undefined;
  const h = await probeService(`${host}:${String(config['grpcPort'])}`, http, PROBE_TIMEOUT_MS, tls);
  const line = `${entry.name}: gRPC health ${h.grpc}${http ? `, ${http}/readyz ${h.http}` : ''}`;
  (h.ready ? process.stdout : process.stderr).write(`${line}\n`);
  return h.ready ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
