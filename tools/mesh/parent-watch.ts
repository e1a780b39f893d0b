/**
 * Preloaded into every service the supervisor starts (`node --import parent-watch.js main.js`):
 * the supervisor holds the other end of the service's stdin, so when the supervisor dies — even
 * by SIGKILL — stdin ends and the service drains itself as on SIGTERM instead of living on as an
 * orphan that holds the mesh's ports. The watch does not keep the process alive by itself.
 */
import { fstatSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

/**
 * Whether stdin is a pipe or socket (node's child_process makes stdio pipes as UNIX socket
 * pairs), not a terminal, /dev/null or a file: only then is a supervisor at the other end.
 */
function stdinIsPipe(): boolean {
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false; // no stdin at all: nothing to watch
  }
}

// --import runs in worker threads too (inference's sessions): their stdin is not the pipe.
if (isMainThread && stdinIsPipe()) {
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
