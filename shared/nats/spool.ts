import { close, existsSync, fstatSync, fsync, ftruncate, ftruncateSync, mkdirSync, openSync, read, readFileSync, readSync, write } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../logging/index.js';
import { SpoolFullError, SpoolWriteError } from './errors.js';

/** One record to publish: subject, message id (`Nats-Msg-Id`) and payload. */
export interface SpoolRecord {
  subject: string;
  msgId: string;
  data: Uint8Array;
}

/** When written records are forced to disk. */
export type FsyncPolicy = 'always' | 'interval' | 'never';

/** What {@link Spool.append} did with a record. */
export type AppendResult =
  /** Taken: it is written to the file in the background (see {@link Spool.flush}). */
  | 'queued'
  /** Refused: the records not replayed yet would pass `maxBytes`. */
  | 'full'
  /** Refused: more than {@link MAX_UNWRITTEN_BYTES} already wait for the disk. */
  | 'backlog';

/** Options for {@link Spool.open}. */
export interface SpoolOptions {
  /** Folder holding `spool.log` and `spool.offset` (created if missing). */
  dir: string;
  /** Largest size of the records not replayed yet; an append past it is refused ('full'). */
  maxBytes: number;
  /**
   * `always`: every write is fsynced before the next one starts (records that arrive meanwhile
   * share the next write and fsync), so a power loss loses only what was not written yet;
   * `interval`: fsync every `fsyncIntervalMs` (a process crash loses nothing written, since
   * written bytes are in the OS page cache; a power loss loses at most that interval);
   * `never`: leave it to the OS.
   */
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  logger: Logger;
  /** Called for each corrupt record skipped (at open or at replay). */
  onCorrupt?: (offset: number, why: string) => void;
  /** Called after a background write with the number of records now in the file (fsynced with `always`, or when the write held a {@link Spool.appendSynced} record). */
  onWritten?: (records: number) => void;
  /**
   * Called when the disk refused a background write: those records are lost (nothing is left
   * half-written). `records` leaves out those of {@link Spool.appendSynced}: their callers are told.
   */
  onWriteFailed?: (records: number, err: unknown) => void;
}

/** Bytes of accepted records that may wait in memory for the disk; past it appends are refused ('backlog'). */
export const MAX_UNWRITTEN_BYTES = 64 * 1024 * 1024;

const HEADER = 8;
/** Bytes read at once by {@link Spool.peek} (more when one record is larger). */
const READ_CHUNK = 1024 * 1024;

function encodeRecord(r: SpoolRecord): Buffer {
  const subject = Buffer.from(r.subject, 'utf8');
  const msgId = Buffer.from(r.msgId, 'utf8');
  const out = Buffer.allocUnsafe(HEADER + 2 + subject.length + 2 + msgId.length + r.data.byteLength);
  let o = out.writeUInt16LE(subject.length, HEADER);
  o += subject.copy(out, o);
  o = out.writeUInt16LE(msgId.length, o);
  o += msgId.copy(out, o);
  out.set(r.data, o);
  const payload = out.subarray(HEADER);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  return out;
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

// Callback fs calls as promises: they run on libuv's thread pool, never on the event loop.
const fsyncAsync = (fd: number) => new Promise<void>((res, rej) => fsync(fd, (e) => (e ? rej(e) : res())));
const truncateAsync = (fd: number, len: number) => new Promise<void>((res, rej) => ftruncate(fd, len, (e) => (e ? rej(e) : res())));
const closeAsync = (fd: number) => new Promise<void>((res, rej) => close(fd, (e) => (e ? rej(e) : res())));
const readAsync = (fd: number, buf: Buffer, pos: number) =>
  new Promise<number>((res, rej) => read(fd, buf, 0, buf.length, pos, (e, n) => (e ? rej(e) : res(n))));

/** Writes all of `buf` at `position`, looping over short writes. */
async function writeFully(fd: number, buf: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    off += await new Promise<number>((res, rej) => write(fd, buf, off, buf.length - off, position + off, (e, n) => (e ? rej(e) : res(n))));
  }
}

/** Writes `text` to `file` durably and atomically: a temp file, fsynced, renamed over it. */
async function replaceFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

/**
 * An append-only spool on local disk: records that could not be published yet, replayed in
 * order later. Each record is length-prefixed and CRC-32 checked; `spool.offset` remembers how
 * far replay has been acknowledged, so a restart resumes there. At open, a torn tail (a record
 * cut short by a crash) is cut off; at replay a record whose checksum fails is skipped with a
 * warning.
 *
 * Only {@link open} does synchronous I/O (once, at start). After it, `append` copies the record
 * into memory and returns; writes, fsyncs, reads and checkpoints run one after the other on
 * libuv's thread pool, so the event loop (the gRPC thread) never waits for the disk. Records
 * appended while a write is under way go together in the next write (and its fsync).
 * {@link appendSynced} is the same append with a promise that resolves once the record's write
 * has been fsynced (a group commit shared by every record of the write).
 */
export class Spool {
  private readonly offsetFile: string;
  /** End of the bytes in the file. */
  private fileEnd: number;
  /** Start of the next record to replay. */
  private readPos: number;
  /** Encoded records accepted but not written yet, and their bytes (including a write under way). */
  private unwritten: Buffer[] = [];
  private unwrittenBytes = 0;
  /** Callers of {@link appendSynced} whose records are in {@link unwritten}. */
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private writeScheduled = false;
  /** Writes wait (see {@link hold}). */
  private held = false;
  /** File operations, one at a time, in order. */
  private chain: Promise<void> = Promise.resolve();
  private dirty = false;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed: Promise<void> | undefined;
  private readonly reported = new Set<number>();

  private constructor(
    private readonly opts: SpoolOptions,
    private readonly fd: number,
    size: number,
    readPos: number,
  ) {
    this.fileEnd = size;
    this.readPos = readPos;
    this.offsetFile = join(opts.dir, 'spool.offset');
    if (opts.fsync === 'interval') {
      this.timer = setInterval(() => {
        if (this.dirty) this.run(() => this.syncNow()).catch((e: unknown) => opts.logger.error({ err: e }, 'spool fsync failed'));
      }, opts.fsyncIntervalMs);
      this.timer.unref();
    }
  }

  /** Opens (or creates) the spool in `dir`, validating what is there (synchronous: call it at start). */
  static open(opts: SpoolOptions): Spool {
    mkdirSync(opts.dir, { recursive: true });
    const path = join(opts.dir, 'spool.log');
    const fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
    const size = fstatSync(fd).size;
    let readPos = 0;
    const offsetFile = join(opts.dir, 'spool.offset');
    if (existsSync(offsetFile)) {
      const n = Number(readFileSync(offsetFile, 'utf8').trim());
      if (Number.isSafeInteger(n) && n >= 0 && n <= size) readPos = n;
    }
    // A record that runs past the end is a torn tail: cut off. (A bad checksum is skipped at replay.)
    const valid = validTail(fd, readPos, size);
    if (valid < size) {
      opts.logger.warn({ dir: opts.dir, offset: valid, bytes: size - valid }, 'spool: torn record at the end (a crash mid-append?): skipped');
      opts.onCorrupt?.(valid, 'torn tail');
      ftruncateSync(fd, valid);
    }
    return new Spool(opts, fd, valid, readPos);
  }

  /** Bytes of the spool: in the file (replayed records included until it is reset) and waiting to be written. */
  get bytes(): number {
    return this.fileEnd + this.unwrittenBytes;
  }

  /** Bytes of records not replayed yet (written or not): what the size cap applies to. */
  get unreplayedBytes(): number {
    return this.bytes - this.readPos;
  }

  /** True when records wait to be replayed (in the file or still on their way to it). */
  get pending(): boolean {
    return this.readPos < this.bytes;
  }

  /** Bytes in the file (replayed or not), up to the last finished write. */
  get fileBytes(): number {
    return this.fileEnd;
  }

  /**
   * Holds writes: appended records wait in memory (their {@link appendSynced} promises too) until
   * {@link release}, so a reader can replay the file to its end and a commit reset it to empty
   * while records keep arriving. The holder must release it (soon: callers wait meanwhile).
   */
  hold(): void {
    this.held = true;
  }

  /** Ends a {@link hold}: the records that waited go in one write. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    if (this.unwritten.length > 0 && !this.writeScheduled) {
      this.writeScheduled = true;
      this.run(() => this.writeUnwritten()).catch((e: unknown) => this.opts.logger.error({ err: e }, 'spool write callback failed'));
    }
  }

  /** True while accepted records wait in memory for their write. */
  get writing(): boolean {
    return this.unwrittenBytes > 0;
  }

  /**
   * Takes a record: it is encoded into memory now and written (then fsynced, with `always`) in
   * the background; `onWritten` reports it once it is in the file. Never blocks.
   * @throws Error after {@link close}.
   */
  append(r: SpoolRecord): AppendResult {
    if (this.closed) throw new Error('spool is closed');
    const buf = encodeRecord(r);
    const refused = this.refusal(buf.length);
    if (refused) return refused;
    this.enqueue(buf);
    return 'queued';
  }

  /**
   * Takes a record and resolves once it is written and fsynced, whatever the fsync policy: the
   * group commit of `always` (records appended while a write and its fsync run share the next
   * write and fsync). Never blocks the event loop; the promise waits for the disk.
   * @throws (rejects) SpoolFullError when the size cap or the unwritten backlog refuses it;
   *   SpoolWriteError after {@link close}, or when the disk refuses its write or fsync.
   */
  appendSynced(r: SpoolRecord): Promise<void> {
    if (this.closed) return Promise.reject(new SpoolWriteError('closed'));
    const buf = encodeRecord(r);
    const refused = this.refusal(buf.length);
    if (refused) return Promise.reject(new SpoolFullError(refused));
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.enqueue(buf);
    });
  }

  private refusal(bytes: number): 'full' | 'backlog' | undefined {
    if (this.unreplayedBytes + bytes > this.opts.maxBytes) return 'full';
    if (this.unwrittenBytes + bytes > MAX_UNWRITTEN_BYTES) return 'backlog';
    return undefined;
  }

  private enqueue(buf: Buffer): void {
    this.unwritten.push(buf);
    this.unwrittenBytes += buf.length;
    if (!this.writeScheduled && !this.held) {
      this.writeScheduled = true;
      // writeUnwritten reports its own failures; this catch is for a throwing callback.
      this.run(() => this.writeUnwritten()).catch((e: unknown) => this.opts.logger.error({ err: e }, 'spool write callback failed'));
    }
  }

  /** Resolves once every record appended so far is in the file (and fsynced, with `always`). */
  flush(): Promise<void> {
    return this.run(async () => undefined);
  }

  /**
   * Reads up to `max` records from the replay position (or from `from`, the end of a record
   * already read, for a reader that checkpoints less often than it reads) without consuming them
   * (only records already in the file). Returns them with the position after each (`ends`) and after the last
   * record looked at (`end`, past skipped ones). Records with a bad checksum are skipped.
   */
  peek(max: number, from?: number): Promise<{ records: SpoolRecord[]; ends: number[]; end: number }> {
    return this.run(() => this.read(max, from));
  }

  /**
   * Marks everything before `end` as published: the replay position is saved (temp file, fsync,
   * rename), and the file is reset to empty once everything in it is replayed (records waiting in
   * memory for their write are then written at its start).
   */
  commit(end: number): Promise<void> {
    return this.run(async () => {
      if (end === this.readPos && this.readPos < this.fileEnd) return;
      this.readPos = end;
      this.reported.clear();
      // Every record in the file is replayed: empty it (records still in memory are written at
      // the new end, 0, by their write, which runs after this on the same queue).
      if (this.readPos >= this.fileEnd) {
        if (this.fileEnd === 0 && end === 0) return;
        await truncateAsync(this.fd, 0);
        this.fileEnd = 0;
        this.readPos = 0;
      }
      await replaceFile(this.offsetFile, String(this.readPos));
    });
  }

  /** Writes what waits, fsyncs and closes the file. Idempotent; appends are refused from the call on. */
  close(): Promise<void> {
    // Records held in memory are written first.
    if (!this.closed) this.release();
    this.closed ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      await this.run(async () => {
        this.dirty = true;
        try {
          await this.syncNow();
        } catch (e: unknown) {
          this.opts.logger.error({ err: e }, 'spool fsync at close failed');
        }
        await closeAsync(this.fd);
      });
    })();
    return this.closed;
  }

  /** Queues a file operation after the others; the queue goes on whether it fails or not. */
  private run<T>(op: () => Promise<T>): Promise<T> {
    const p = this.chain.then(op);
    this.chain = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  /** Writes the records waiting in memory, as one write (then fsync with `always`). */
  private async writeUnwritten(): Promise<void> {
    this.writeScheduled = false;
    const bufs = this.unwritten;
    const waiters = this.waiters;
    // Held: the records stay in memory; release() schedules their write.
    if (bufs.length === 0 || this.held) return;
    this.unwritten = [];
    this.waiters = [];
    const data = bufs.length === 1 ? (bufs[0] as Buffer) : Buffer.concat(bufs);
    try {
      await writeFully(this.fd, data, this.fileEnd);
    } catch (e: unknown) {
      this.unwrittenBytes -= data.length;
      // A partial write (disk full…) must not leave a hole that later reads as a record.
      await truncateAsync(this.fd, this.fileEnd).catch(() => undefined);
      this.opts.logger.error({ err: e, records: bufs.length }, 'spool write failed: records lost');
      for (const w of waiters) w.reject(new SpoolWriteError('write', { cause: e }));
      this.opts.onWriteFailed?.(bufs.length - waiters.length, e);
      return;
    }
    this.fileEnd += data.length;
    this.unwrittenBytes -= data.length;
    this.dirty = true;
    let fsyncError: unknown;
    if (this.opts.fsync === 'always' || waiters.length > 0) {
      try {
        await this.syncNow();
      } catch (e: unknown) {
        // The bytes are in the file (page cache): replayable unless the machine loses power.
        this.opts.logger.error({ err: e }, 'spool fsync failed');
        fsyncError = e ?? new Error('fsync failed');
      }
    }
    this.opts.onWritten?.(bufs.length);
    // After an fsync error the records stay in the file (they may well be replayed), but their
    // callers were promised durability, which the disk did not confirm.
    for (const w of waiters) {
      if (fsyncError === undefined) w.resolve();
      else w.reject(new SpoolWriteError('fsync', { cause: fsyncError }));
    }
  }

  private async syncNow(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await fsyncAsync(this.fd);
    } catch (e: unknown) {
      this.dirty = true;
      throw e;
    }
  }

  private async read(max: number, from?: number): Promise<{ records: SpoolRecord[]; ends: number[]; end: number }> {
    const records: SpoolRecord[] = [];
    const ends: number[] = [];
    // A position from before a reset (the file was emptied since) starts over at the replay position.
    let pos = from !== undefined && from >= this.readPos && from <= this.fileEnd ? from : this.readPos;
    let chunk = Buffer.alloc(0);
    let chunkAt = pos;
    /** Makes the `need` bytes at `pos` readable in `chunk` (reading a chunk ahead); false on a short read. */
    const have = async (need: number): Promise<boolean> => {
      if (pos + need <= chunkAt + chunk.length) return true;
      const buf = Buffer.allocUnsafe(Math.min(Math.max(need, READ_CHUNK), this.fileEnd - pos));
      chunk = buf.subarray(0, await readAsync(this.fd, buf, pos));
      chunkAt = pos;
      return need <= chunk.length;
    };
    const corrupt = (at: number, why: string): void => {
      // Reported once: the replay position passes it with the next commit.
      if (this.reported.has(at)) return;
      this.reported.add(at);
      this.opts.logger.warn({ dir: this.opts.dir, offset: at, why }, 'spool: corrupt record skipped');
      this.opts.onCorrupt?.(at, why);
    };
    while (records.length < max && pos < this.fileEnd) {
      // Only whole records are ever written, so a length that runs past the end is a corrupt
      // length field: the rest of the file cannot be resynchronised and is skipped like a torn tail.
      if (pos + HEADER > this.fileEnd) {
        corrupt(pos, 'torn tail');
        pos = this.fileEnd;
        break;
      }
      if (!(await have(HEADER))) break;
      const len = chunk.readUInt32LE(pos - chunkAt);
      if (pos + HEADER + len > this.fileEnd) {
        corrupt(pos, 'length past the end');
        pos = this.fileEnd;
        break;
      }
      if (!(await have(HEADER + len))) break;
      const at = pos - chunkAt;
      const payload = chunk.subarray(at + HEADER, at + HEADER + len);
      const record = crc32(payload) === chunk.readUInt32LE(at + 4) ? decodePayload(payload) : undefined;
      if (record) {
        records.push(record);
        ends.push(pos + HEADER + len);
      } else corrupt(pos, 'bad checksum');
      pos += HEADER + len;
    }
    return { records, ends, end: pos };
  }
}

/** End of the last complete record from `pos` (synchronous: used at open only). */
function validTail(fd: number, pos: number, size: number): number {
  const header = Buffer.allocUnsafe(HEADER);
  while (pos + HEADER <= size) {
    readSync(fd, header, 0, HEADER, pos);
    const len = header.readUInt32LE(0);
    // A zero or too-short length is not a record a writer makes (zeros left by a power loss).
    if (len < 4 || pos + HEADER + len > size) return pos;
    pos += HEADER + len;
  }
  return pos;
}
