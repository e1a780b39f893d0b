import { InvalidArgumentError } from '../../shared/errors/index.js';
import type { RetrainerServiceHandlers } from '../../shared/generated/mlmesh/retrainer/v1/RetrainerService.js';
import type { Run__Output } from '../../shared/generated/mlmesh/retrainer/v1/Run.js';
import type { PromiseHandlers } from '../../shared/host/index.js';
import type { RetrainEngine } from './engine.js';
import { lineageOf } from './lineage.js';

function required(v: string, field: string): string {
  if (v === '') throw new InvalidArgumentError(`${field} is required`, { field });
  return v;
}

/** The handlers of `mlmesh.retrainer.v1.RetrainerService`: thin, the work is in engine.ts. */
export function retrainerHandlers(engine: RetrainEngine, repo: string): PromiseHandlers<RetrainerServiceHandlers> {
  return {
    Retrain: async (req) => {
      const model = required(req.model, 'model');
      const { run, coalesced } = await engine.trigger(model, { kind: 'manual', reason: req.reason || 'manual', actor: req.actor || 'unknown' });
      return { run, coalesced };
    },
    ListRuns: async (req) => ({ runs: engine.list(req.model, req.limit) }),
    GetRun: async (req) => ({ run: engine.get(required(req.run_id, 'run_id')) }),
    CancelRun: async (req) => ({ run: await engine.cancel(required(req.run_id, 'run_id'), req.reason) }),
    GetLineage: async (req) => lineageOf(repo, required(req.model, 'model'), required(req.version, 'version'), (id) => engine.list().find((r) => r.id === id)),
    WatchRun: async (req, ctx, send) => {
      const id = required(req.run_id, 'run_id');
      let last: Run__Output = engine.get(id);
      let lines: string[] = [...engine.logLines(id)];
      // `dirty` keeps a change that comes while a send is held up by backpressure (no waiter
      // then): the loop looks again before it waits.
      let wake: (() => void) | undefined;
      let dirty = false;
      const poke = (): void => {
        dirty = true;
        wake?.();
      };
      const onChange = (runId: string): void => {
        if (runId === id) poke();
      };
      const onLog = (runId: string, line: string): void => {
        if (runId !== id) return;
        lines.push(line);
        poke();
      };
      const done = (): void => poke();
      engine.on('change', onChange);
      engine.on('log', onLog);
      ctx.signal.addEventListener('abort', done);
      ctx.draining.addEventListener('abort', done);
      try {
        await send({ run: last, log_lines: lines.splice(0) });
        for (;;) {
          if (last.state !== 'running' || ctx.signal.aborted || ctx.draining.aborted) return;
          if (!dirty) await new Promise<void>((r) => (wake = r));
          wake = undefined;
          dirty = false;
          const now = engine.get(id);
          if (lines.length > 0 || JSON.stringify(now) !== JSON.stringify(last)) {
            last = now;
            await send({ run: now, log_lines: lines.splice(0) });
          }
        }
      } finally {
        engine.off('change', onChange);
        engine.off('log', onLog);
        ctx.signal.removeEventListener('abort', done);
        ctx.draining.removeEventListener('abort', done);
        lines = [];
      }
    },
  };
}
