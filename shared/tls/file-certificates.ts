import { readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { experimental } from '@grpc/grpc-js';

type CertificateProvider = experimental.CertificateProvider;
type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** The PEM files of one TLS party. */
export interface TlsFiles {
  /** Certificate chain (PEM) this party presents. '' or absent: none. */
  certFile?: string;
  /** Private key (PEM) of `certFile`. */
  keyFile?: string;
  /** CA bundle (PEM) the peer's certificate must chain to. '' or absent: none. */
  caFile?: string;
}

/** What a {@link FileCertificates} reports: a reload that worked, or one refused (the old files stay in force). */
export type CertificateReloadEvent =
  | { readonly type: 'reloaded'; readonly files: readonly string[] }
  | { readonly type: 'refused'; readonly files: readonly string[]; readonly error: Error };

/** Options of {@link FileCertificates}. */
export interface FileCertificatesOptions extends TlsFiles {
  /** How often the files' size and mtime are checked, in ms; 0 never reloads. @default 1000 */
  reloadIntervalMs?: number;
  /** Told of every reload and refused reload. @default nothing */
  onReload?: (event: CertificateReloadEvent) => void;
}

interface Loaded {
  cert: Buffer | undefined;
  key: Buffer | undefined;
  ca: Buffer | undefined;
  stamp: string;
}

function stampOf(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        const s = statSync(f);
        return `${f}:${s.size}:${s.mtimeMs}:${s.ino}`;
      } catch {
        // A file missing for a moment (replaced by rename) reads as changed; the load says why it failed.
        return `${f}:missing`;
      }
    })
    .join('|');
}

/**
 * TLS material read from PEM files and re-read when they change, for grpc-js (it is a grpc-js
 * `CertificateProvider`: server credentials and channel credentials take it, and every new
 * connection uses the latest certificates; connections already open keep theirs, so calls in
 * flight during a swap are not disturbed).
 *
 * A change is noticed by polling the files' size, mtime and inode every `reloadIntervalMs`.
 * New files are checked (`tls.createSecureContext`: the key must match the certificate, the PEM
 * must parse) before they are handed on: a half-written or mismatched set is refused, reported
 * through `onReload`, and the previous certificates stay in force until a good set appears.
 */
export class FileCertificates implements CertificateProvider {
  private current: Loaded;
  private readonly files: string[];
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private timer: NodeJS.Timeout | undefined;
  /** The files' stamp when they last failed to load: not tried again until they change. */
  private refusedStamp: string | undefined;
  private readonly onReload: ((event: CertificateReloadEvent) => void) | undefined;

  /**
   * Reads and checks the files now.
   * @throws Error naming the file when one cannot be read, or the key does not match the certificate.
   */
  constructor(readonly options: FileCertificatesOptions) {
    const { certFile, keyFile, caFile } = options;
    if (Boolean(certFile) !== Boolean(keyFile)) throw new Error(`TLS: a certificate needs its key and a key its certificate (certFile ${JSON.stringify(certFile ?? '')}, keyFile ${JSON.stringify(keyFile ?? '')})`);
    if (!certFile && !caFile) throw new Error('TLS: neither a certificate nor a CA file was given');
    this.files = [certFile, keyFile, caFile].filter((f): f is string => Boolean(f));
    this.onReload = options.onReload;
    this.current = this.load();
    const interval = options.reloadIntervalMs ?? 1000;
    if (interval > 0) {
      this.timer = setInterval(() => this.check(), interval);
      this.timer.unref();
    }
  }

  /** True when a certificate and key were given (this party can identify itself). */
  get hasIdentity(): boolean {
    return this.current.cert !== undefined;
  }

  /** True when a CA was given (this party verifies its peer). */
  get hasCa(): boolean {
    return this.current.ca !== undefined;
  }

  private load(): Loaded {
    const stamp = stampOf(this.files);
    const read = (f: string | undefined, what: string): Buffer | undefined => {
      if (!f) return undefined;
      try {
        return readFileSync(f);
      } catch (e: unknown) {
        throw new Error(`TLS: cannot read the ${what} file ${f}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    };
    const cert = read(this.options.certFile, 'certificate');
    const key = read(this.options.keyFile, 'key');
    const ca = read(this.options.caFile, 'CA');
    try {
      createSecureContext({ ...(cert ? { cert, key } : {}), ...(ca ? { ca } : {}) });
    } catch (e: unknown) {
      throw new Error(`TLS: ${this.files.join(', ')} do not make a usable set: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return { cert, key, ca, stamp };
  }

  /** Re-reads the files when they changed since the last good load (the poller calls it; tests may too). */
  check(): void {
    const stamp = stampOf(this.files);
    if (stamp === this.current.stamp || stamp === this.refusedStamp) return;
    let next: Loaded;
    try {
      next = this.load();
    } catch (e: unknown) {
      // Keep serving with the certificates in force; tried again (and reported once more) when
      // the files change again (a writer may not be done).
      this.refusedStamp = stamp;
      this.onReload?.({ type: 'refused', files: this.files, error: e instanceof Error ? e : new Error(String(e)) });
      return;
    }
    this.refusedStamp = undefined;
    this.current = next;
    if (next.ca) for (const l of this.caListeners) l({ caCertificate: next.ca });
    if (next.cert && next.key) for (const l of this.identityListeners) l({ certificate: next.cert, privateKey: next.key });
    this.onReload?.({ type: 'reloaded', files: this.files });
  }

  /** Stops polling. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  // The current files go to a new listener on the next tick, not at once: grpc-js's server
  // credentials add their own watcher only after adding the listener, and would miss a
  // synchronous first update (the server would then drop every connection).
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    process.nextTick(() => {
      if (this.caListeners.has(listener)) listener(this.current.ca ? { caCertificate: this.current.ca } : null);
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    process.nextTick(() => {
      if (this.identityListeners.has(listener)) listener(this.current.cert && this.current.key ? { certificate: this.current.cert, privateKey: this.current.key } : null);
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}
