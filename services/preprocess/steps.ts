/** Every step type, by its `type` in a spec. */
import { CAST, DROP, SELECT } from './step-columns.js';
import { DERIVE } from './step-derive.js';
import { ORDINAL, RARE_LABEL } from './step-encode.js';
import { IMPUTE } from './step-impute.js';
import type { StepKind } from './step-kind.js';
import { ONE_HOT } from './step-one-hot.js';
import { CAP_OUTLIERS } from './step-outliers.js';
import { MIN_MAX_SCALE, ROBUST_SCALE, STANDARD_SCALE } from './step-scale.js';
import { LOG, LOG1P, POWER } from './step-transform.js';

// Each kind is typed on its own spec and params; the registry erases them (the pairing of
// spec/params with their kind is kept by construction: parse → begin → finish → apply).
const KINDS = [SELECT, DROP, CAST, IMPUTE, RARE_LABEL, ONE_HOT, ORDINAL, LOG, LOG1P, POWER, CAP_OUTLIERS, STANDARD_SCALE, MIN_MAX_SCALE, ROBUST_SCALE, DERIVE] as unknown as StepKind[];

/** Step kinds by type name. */
export const STEP_KINDS: ReadonlyMap<string, StepKind> = new Map(KINDS.map((k) => [k.type, k]));

/** The type names, for messages. */
export const STEP_TYPES: readonly string[] = KINDS.map((k) => k.type);
