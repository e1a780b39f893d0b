/**
 * Preloaded into every service the supervisor starts (`node --import parent-watch.js main.js`):
 * the supervisor holds the other end of the service's stdin, so when the supervisor dies — even
 * by SIGKILL — stdin ends and the service drains itself as on SIGTERM instead of living on as an
 * orphan that holds the mesh's ports. The watch does not keep the process alive by itself.
 */
import { Socket } from 'node:net';
import { isMainThread } from 'node:worker_threads';

// Only a pipe (node's child_process makes them as UNIX socket pairs) has a supervisor at the other
// end: not a terminal (also a Socket, with isTTY), /dev/null or a file (fs streams). The type of
// process.stdin tells, without an fstat of fd 0 (which, on node 20 with a symlinked node_modules,
// was seen to break the CommonJS interop of packages imported after it). --import also runs in
// worker threads (inference's sessions): their stdin is not the pipe.
if (isMainThread && process.stdin instanceof Socket && process.stdin.isTTY !== true) {
  const stdin = process.stdin;
  const onGone = (): void => {
    process.kill(process.pid, 'SIGTERM');
  };
  stdin.once('end', onGone);
  stdin.once('error', onGone);
  // Discard anything written (nothing is), and let the process exit when its work is done.
  stdin.on('data', () => undefined);
  stdin.unref();
}
