/**
 * Preloaded into every service the supervisor starts (`node --import parent-watch.js main.js`):
 * the supervisor holds the other end of the service's stdin, so when the supervisor dies — even
 * by SIGKILL — stdin ends and the service drains itself as on SIGTERM instead of living on as an
 * orphan that holds the mesh's ports. The watch does not keep the process alive by itself.
 */
import { fstatSync } from 'node:fs';

// Only a pipe has a supervisor at the other end (not a terminal, /dev/null or a file).
let isPipe = false;
try {
  isPipe = fstatSync(0).isFIFO();
} catch {
  isPipe = false; // no stdin at all: nothing to watch
}
if (isPipe) {
  const stdin = process.stdin;
  const onGone = (): void => {
    process.kill(process.pid, 'SIGTERM');
  };
  stdin.once('end', onGone);
  stdin.once('error', onGone);
  // Discard anything written (nothing is), and let the process exit when its work is done.
  stdin.on('data', () => undefined);
  (stdin as unknown as { unref?: () => void }).unref?.();
}
