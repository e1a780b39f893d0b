import { closeSync, existsSync, fstatSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../logging/index.js';

/** One record to publish: subject, message id (`Nats-Msg-Id`) and payload. */
export interface SpoolRecord {
  subject: string;
  msgId: string;
  data: Uint8Array;
}

/** When appended records are forced to disk. */
export type FsyncPolicy = 'always' | 'interval' | 'never';

/** Options for {@link Spool.open}. */
export interface SpoolOptions {
  /** Folder holding `spool.log` and `spool.offset` (created if missing). */
  dir: string;
  /** Largest spool file; an append past it is refused (the caller drops and counts it). */
  maxBytes: number;
  /**
   * `always`: fsync after every append (survives power loss, slowest); `interval`: fsync every
   * `fsyncIntervalMs` (a process crash loses nothing, since written bytes are in the OS page
   * cache; a power loss loses at most that interval); `never`: leave it to the OS.
   */
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  logger: Logger;
  /** Called for each corrupt record skipped at open. */
  onCorrupt?: (offset: number, why: string) => void;
}

const HEADER = 8;

function encodeRecord(r: SpoolRecord): Buffer {
  const subject = Buffer.from(r.subject, 'utf8');
  const msgId = Buffer.from(r.msgId, 'utf8');
  const payload = Buffer.allocUnsafe(2 + subject.length + 2 + msgId.length + r.data.byteLength);
  let o = payload.writeUInt16LE(subject.length, 0);
  o += subject.copy(payload, o);
  o = payload.writeUInt16LE(msgId.length, o);
  o += msgId.copy(payload, o);
  payload.set(r.data, o);
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

/** The record in a payload, or undefined when its inner lengths do not fit (corrupt). */
function decodePayload(p: Buffer): SpoolRecord | undefined {
  if (p.length < 4) return undefined;
  const sl = p.readUInt16LE(0);
  if (2 + sl + 2 > p.length) return undefined;
  const ml = p.readUInt16LE(2 + sl);
  if (4 + sl + ml > p.length || sl === 0 || ml === 0) return undefined;
  const subject = p.toString('utf8', 2, 2 + sl);
  const msgId = p.toString('utf8', 4 + sl, 4 + sl + ml);
  return { subject, msgId, data: new Uint8Array(p.subarray(4 + sl + ml)) };
}

/** Writes all of `buf` at `position`, looping over short writes. */
function writeFully(fd: number, buf: Buffer, position: number): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, position + off);
}

/**
 * An append-only spool on local disk: records that could not be published yet, replayed in
 * order later. Each record is length-prefixed and CRC-32 checked; `spool.offset` remembers how
 * far replay has been acknowledged, so a restart resumes there. At open, a record whose checksum
 * fails is skipped with a warning, and a torn tail (a record cut short by a crash) is cut off.
 * All I/O is synchronous: an append is on its way to disk when `append` returns.
 */
export class Spool {
  private readonly fd: number;
  private readonly offsetFile: string;
  private size: number;
  /** Start of the next record to replay. */
  private readPos: number;
  private dirty = false;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;
  private syncing = false;
  private readonly reported = new Set<number>();

  private constructor(private readonly opts: SpoolOptions, fd: number, size: number, readPos: number) {
    this.fd = fd;
    this.size = size;
    this.readPos = readPos;
    this.offsetFile = join(opts.dir, 'spool.offset');
    if (opts.fsync === 'interval') {
      this.timer = setInterval(() => this.syncInBackground(), opts.fsyncIntervalMs);
      this.timer.unref();
    }
  }

  /** Opens (or creates) the spool in `dir`, validating what is there. */
  static open(opts: SpoolOptions): Spool {
    mkdirSync(opts.dir, { recursive: true });
    const path = join(opts.dir, 'spool.log');
    const fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
    let size = fstatSync(fd).size;
    let readPos = 0;
    const offsetFile = join(opts.dir, 'spool.offset');
    if (existsSync(offsetFile)) {
      const n = Number(readFileSync(offsetFile, 'utf8').trim());
      if (Number.isSafeInteger(n) && n >= 0 && n <= size) readPos = n;
    }
    // Validate from the replay position to the end: a bad checksum is skipped at replay (its
    // length is kept in a skip list); a record that runs past the end is a torn tail: cut off.
    const spool = new Spool(opts, fd, size, readPos);
    const valid = spool.validTail();
    if (valid < size) {
      opts.logger.warn({ dir: opts.dir, offset: valid, bytes: size - valid }, 'spool: torn record at the end (a crash mid-append?): skipped');
      opts.onCorrupt?.(valid, 'torn tail');
      ftruncateSync(fd, valid);
      size = valid;
      spool.size = valid;
    }
    return spool;
  }

  /** Bytes in the spool file (replayed records included until it is reset). */
  get bytes(): number {
    return this.size;
  }

  /** Bytes of records not replayed yet: what the size cap applies to. */
  get unreplayedBytes(): number {
    return this.size - this.readPos;
  }

  /** True when records wait to be replayed. */
  get pending(): boolean {
    return this.readPos < this.size;
  }

  /**
   * Appends a record. Returns false (nothing written) when it would pass `maxBytes`.
   * @throws the I/O error when the disk refuses the write.
   */
  append(r: SpoolRecord): boolean {
    const buf = encodeRecord(r);
    if (this.unreplayedBytes + buf.length > this.opts.maxBytes) return false;
    try {
      writeFully(this.fd, buf, this.size);
    } catch (e: unknown) {
      // A partial write (disk full…) must not leave a hole that later reads as a record.
      ftruncateSync(this.fd, this.size);
      throw e;
    }
    this.size += buf.length;
    if (this.opts.fsync === 'always') fsyncSync(this.fd);
    else this.dirty = true;
    return true;
  }

  /**
   * Reads up to `max` records from the replay position without consuming them; returns them
   * with the position after the last. Records with a bad checksum are skipped (with a warning).
   */
  peek(max: number): { records: SpoolRecord[]; end: number } {
    const records: SpoolRecord[] = [];
    let pos = this.readPos;
    const header = Buffer.allocUnsafe(HEADER);
    while (records.length < max && pos + HEADER <= this.size) {
      readSync(this.fd, header, 0, HEADER, pos);
      const len = header.readUInt32LE(0);
      if (pos + HEADER + len > this.size) break;
      const payload = Buffer.allocUnsafe(len);
      readSync(this.fd, payload, 0, len, pos + HEADER);
      const record = crc32(payload) === header.readUInt32LE(4) ? decodePayload(payload) : undefined;
      if (!record) {
        // Reported once: the replay position passes it with the next commit.
        if (!this.reported.has(pos)) {
          this.reported.add(pos);
          this.opts.logger.warn({ dir: this.opts.dir, offset: pos }, 'spool: corrupt record (bad checksum or layout) skipped');
          this.opts.onCorrupt?.(pos, 'bad checksum');
        }
      } else {
        records.push(record);
      }
      pos += HEADER + len;
    }
    return { records, end: pos };
  }

  /** Marks everything before `end` as published (persisted), resetting the file once all is. */
  commit(end: number): void {
    if (end === this.readPos && this.readPos < this.size) return;
    this.readPos = end;
    this.reported.clear();
    if (this.readPos >= this.size) {
      if (this.size === 0 && end === 0) return;
      ftruncateSync(this.fd, 0);
      this.size = 0;
      this.readPos = 0;
    }
    // Durable and atomic: write a temp file, fsync it, rename it over the old one.
    const tmp = `${this.offsetFile}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, String(this.readPos));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.offsetFile);
  }

  /** Forces appended records to disk (synchronously). */
  sync(): void {
    if (this.dirty && !this.closed) {
      this.dirty = false;
      fsyncSync(this.fd);
    }
  }

  /** The `interval` policy's fsync, off the event loop (libuv's thread pool). */
  private syncInBackground(): void {
    if (!this.dirty || this.closed || this.syncing) return;
    this.dirty = false;
    this.syncing = true;
    fsync(this.fd, (err) => {
      this.syncing = false;
      if (err) {
        this.dirty = true;
        this.opts.logger.error({ err }, 'spool fsync failed');
      }
    });
  }

  /** Syncs and closes. Idempotent. */
  close(): void {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    try {
      this.dirty = true;
      this.sync();
    } catch (e: unknown) {
      this.opts.logger.error({ err: e }, 'spool fsync at close failed');
    }
    this.closed = true;
    closeSync(this.fd);
  }

  /** End of the last complete record from the replay position. */
  private validTail(): number {
    let pos = this.readPos;
    const header = Buffer.allocUnsafe(HEADER);
    while (pos + HEADER <= this.size) {
      readSync(this.fd, header, 0, HEADER, pos);
      const len = header.readUInt32LE(0);
      // A zero or too-short length is not a record a writer makes (zeros left by a power loss).
      if (len < 4 || pos + HEADER + len > this.size) return pos;
      pos += HEADER + len;
    }
    return pos;
  }
}
