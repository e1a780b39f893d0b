/** Durable file writes for the monitor's state and references. */
import { randomUUID } from 'node:crypto';
import { open, rename } from 'node:fs/promises';

/** Writes `bytes` to `path` and fsyncs it before resolving. */
export async function writeSynced(path: string, bytes: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `bytes` to `path` atomically: a reader (or a restart) sees the old or the new file. */
export async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${randomUUID()}.tmp`;
  await writeSynced(tmp, bytes);
  await rename(tmp, path);
}
