/**
 * Certificates for the security tests: one development CA with certificates for a server and a
 * few clients, and a second CA (one nobody trusts) with its own client, made once per test file
 * in a temp folder with openssl (tools/mesh/dev-certs.ts).
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDevCertificates } from '../../tools/mesh/index.js';
import type { DevCertificates } from '../../tools/mesh/index.js';

/** The trusted CA's parties, the rogue CA's, and the folder holding both. */
export interface TestPki {
  root: string;
  trusted: DevCertificates;
  rogue: DevCertificates;
  remove(): void;
}

/** Makes the trusted CA (server `inference`, clients `alice`, `admin`, `bob`) and a rogue CA (client `mallory`, server `inference`). */
export function makeTestPki(): TestPki {
  const root = mkdtempSync(join(tmpdir(), 'mlmesh-pki-'));
  const trusted = makeDevCertificates(join(root, 'trusted'), ['inference', 'alice', 'admin', 'bob'], { days: 2 });
  const rogue = makeDevCertificates(join(root, 'rogue'), ['mallory', 'inference'], { days: 2, caName: 'rogue CA' });
  return { root, trusted, rogue, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Replaces `dest` with `src`'s content the way a certificate manager does: write beside it, then rename over it. */
export function replaceFile(src: string, dest: string): void {
  const tmp = `${dest}.new`;
  writeFileSync(tmp, readFileSync(src), { mode: 0o600 });
  renameSync(tmp, dest);
}
