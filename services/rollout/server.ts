import { NotFoundError, clip } from '../../shared/errors/index.js';
import type { Rollout__Output } from '../../shared/generated/mlmesh/rollout/v1/Rollout.js';
import type { RolloutServiceHandlers } from '../../shared/generated/mlmesh/rollout/v1/RolloutService.js';
import type { PromiseHandlers } from '../../shared/host/index.js';
import { requestAction, startRollout } from './actions.js';
import type { ActionDeps } from './actions.js';
import { isActive } from './machine.js';

function viewOf(d: ActionDeps, model: string): Rollout__Output {
  const r = d.controller.view(model);
  if (!r) throw new NotFoundError(`no rollout of model '${clip(model, 100)}'`, { resource: { type: 'rollout', name: clip(model, 100) } });
  return r;
}

/** The handlers of `mlmesh.rollout.v1.RolloutService`: thin, the work is in actions.ts and controller.ts. */
export function rolloutHandlers(d: ActionDeps): PromiseHandlers<RolloutServiceHandlers> {
  return {
    StartRollout: async (req) => ({ rollout: await startRollout(d, req) }),
    GetRollout: async (req) => ({ rollout: viewOf(d, req.model) }),
    ListRollouts: async () => ({ rollouts: d.controller.viewAll().sort((a, b) => a.model.localeCompare(b.model)) }),
    WatchRollout: async (req, ctx, send) => {
      let last = viewOf(d, req.model);
      let wake: (() => void) | undefined;
      const onChange = (model: string): void => {
        if (model === req.model) wake?.();
      };
      const done = (): void => wake?.();
      d.controller.on('change', onChange);
      // Listeners removed in finally: ctx.draining is the server-wide signal.
      ctx.signal.addEventListener('abort', done);
      ctx.draining.addEventListener('abort', done);
      try {
        await send(last);
        for (;;) {
          if (!isActive(last) || ctx.signal.aborted || ctx.draining.aborted) return;
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
          const now = d.controller.view(req.model);
          if (now && JSON.stringify(now) !== JSON.stringify(last)) {
            last = now;
            await send(now);
          }
        }
      } finally {
        d.controller.off('change', onChange);
        ctx.signal.removeEventListener('abort', done);
        ctx.draining.removeEventListener('abort', done);
      }
    },
    Pause: async (req) => ({ rollout: await requestAction(d, req.model, 'pause', req.reason) }),
    Resume: async (req) => ({ rollout: await requestAction(d, req.model, 'resume', req.reason) }),
    Promote: async (req) => ({ rollout: await requestAction(d, req.model, 'promote', req.reason) }),
    Abort: async (req) => ({ rollout: await requestAction(d, req.model, 'abort', req.reason) }),
  };
}
