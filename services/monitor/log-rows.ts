/** The matrices a prediction log contributes to its version's window. */
import type { PredictionLog__Output } from '../../shared/events/index.js';
import { softmaxRows, tensorToMatrix } from './matrix.js';
import type { Matrix } from './matrix.js';
import type { ModelMonitoring } from './model-monitoring.js';

/**
 * The watched input and output tensors of a log as matrices (rows × columns): the tensors the
 * model's `monitoring` section names, else the first of each (the "input" one may be an
 * output tensor, `input_from: "outputs"`); outputs softmaxed for a logits
 * model; none when the inputs were omitted from the log or the outputs are not watched.
 * @throws Error for a malformed tensor (the caller skips the log).
 */
export function logMatrices(log: PredictionLog__Output, mon: ModelMonitoring): { inputs: Matrix | undefined; outputs: Matrix | undefined } {
  const pick = (tensors: typeof log.inputs, name: string | undefined) => (name ? tensors.find((t) => t.name === name) : tensors[0]);
  // An output watched as the input detectors' tensor (an embedding) is logged even when the
  // inputs are omitted.
  const ti = mon.inputFrom === 'outputs' ? pick(log.outputs, mon.input) : log.inputs_omitted ? undefined : pick(log.inputs, mon.input);
  const inputs = ti ? tensorToMatrix(ti.datatype, ti.shape.map(Number), ti.raw) : undefined;
  const to = mon.outputKind === 'none' ? undefined : pick(log.outputs, mon.output);
  let outputs = to ? tensorToMatrix(to.datatype, to.shape.map(Number), to.raw) : undefined;
  if (outputs && mon.outputKind === 'logits') outputs = softmaxRows(outputs);
  return { inputs, outputs };
}
