/** The open-loop generator's schedules (both engines send on the one computed here). */
import { seededRandom } from '../../services/monitor/stats/rng.js';

/** The schedule: request i's offset (ms) from the start, within the duration. Poisson schedules repeat per seed (mulberry32). */
export function schedule(rate: number, durationS: number, arrivals: 'constant' | 'poisson', seed: number): Float64Array {
  const end = durationS * 1000;
  const gap = 1000 / rate;
  if (arrivals === 'constant') return Float64Array.from({ length: Math.floor(rate * durationS) }, (_, i) => i * gap);
  const rnd = seededRandom(seed);
  const out: number[] = [];
  for (let t = -Math.log(1 - rnd()) * gap; t < end; t += -Math.log(1 - rnd()) * gap) out.push(t);
  return Float64Array.from(out);
}
