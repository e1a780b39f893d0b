/**
 * The gateway deployments a snapshot's logged rows came through, as the retrainer reads them:
 * the spec file `<deploymentsDir>/<name>.yaml` (or `.yml`, the gateway's folder and format,
 * docs/gateway.md), each feature group's refs (a feature service resolved by GetFeatureService)
 * and the pipeline column each ref fills (the group's `columns`, else the ref's name without its
 * version: the gateway's rule). The file holds one version of a deployment, the one the gateway
 * serves now: rows logged under another version are not read through it (the caller counts them).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeaturesClient } from '../../shared/client/index.js';
import { FailedPreconditionError, errorMessage } from '../../shared/errors/index.js';
import { parseDeployment } from '../gateway/index.js';
import type { DeploymentSpec } from '../gateway/index.js';

/** One feature group of a deployment, resolved. */
export interface ResolvedGroup {
  /** The request field holding the entity id. */
  readonly entity: string;
  /** The feature service named, when the group names one. */
  readonly service: string | undefined;
  readonly refs: readonly string[];
  /** Pipeline column of each ref. */
  readonly columns: readonly string[];
  readonly onMissing: 'pipeline' | 'error';
}

/** A deployment as the point-in-time rows need it. */
export interface ResolvedDeployment {
  readonly spec: DeploymentSpec;
  /** `name@version`. */
  readonly id: string;
  readonly file: string;
  readonly groups: readonly ResolvedGroup[];
}

/** Why a deployment named by a log cannot be used. */
export type DeploymentMiss = 'deployment_unknown' | 'deployment_version_mismatch';

/**
 * Reads deployments from a folder, each file once per snapshot, and resolves their feature
 * groups with the feature service.
 */
export class DeploymentReader {
  private readonly cache = new Map<string, Promise<ResolvedDeployment | 'deployment_unknown'>>();

  constructor(
    private readonly dir: string,
    private readonly features: FeaturesClient,
    private readonly featuresAddress: string,
    private readonly callTimeoutMs: number,
  ) {}

  /**
   * The deployment a log's `mlmesh_deployment` (`name@version`) names, or why not: no file of
   * that name (deployment_unknown), or the file holds another version.
   * @throws FailedPreconditionError when the file is there but not a valid deployment, or the
   *   feature service cannot say what a group reads (unreachable, unknown service).
   */
  async get(id: string, signal?: AbortSignal): Promise<ResolvedDeployment | DeploymentMiss> {
    const at = id.lastIndexOf('@');
    const name = at > 0 ? id.slice(0, at) : id;
    const version = at > 0 ? id.slice(at + 1) : '';
    let p = this.cache.get(name);
    if (!p) {
      p = this.load(name, signal);
      this.cache.set(name, p);
    }
    const d = await p;
    if (d === 'deployment_unknown') return d;
    return d.spec.version === version ? d : 'deployment_version_mismatch';
  }

  private async load(name: string, signal?: AbortSignal): Promise<ResolvedDeployment | 'deployment_unknown'> {
    // Names come from logs: only a deployment name may become a path.
    if (!/^[a-z][a-z0-9_-]{0,63}$/.test(name)) return 'deployment_unknown';
    let text: string | undefined;
    let file = '';
    for (const ext of ['yaml', 'yml']) {
      file = join(this.dir, `${name}.${ext}`);
      text = await readFile(file, 'utf8').catch((e: unknown) => {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new FailedPreconditionError(`deployment file ${file}: cannot read it (${errorMessage(e)})`, { cause: e });
      });
      if (text !== undefined) break;
    }
    if (text === undefined) return 'deployment_unknown';
    let spec: DeploymentSpec;
    try {
      spec = parseDeployment(text, name);
    } catch (e: unknown) {
      throw new FailedPreconditionError(`deployment file ${file}: ${errorMessage(e)}`, { cause: e });
    }
    const groups: ResolvedGroup[] = [];
    for (const [gi, g] of spec.features.entries()) {
      let refs = [...(g.refs ?? [])];
      if (g.service !== undefined) {
        try {
          const svc = await this.features.getFeatureService({ name: g.service }, { timeoutMs: this.callTimeoutMs, ...(signal ? { signal } : {}) });
          refs = [...(svc.service?.features ?? [])];
        } catch (e: unknown) {
          throw new FailedPreconditionError(`deployment ${spec.name}@${spec.version} features[${gi}].service '${g.service}': the feature service at ${this.featuresAddress} did not answer GetFeatureService (${errorMessage(e)})`, { cause: e });
        }
        if (refs.length === 0) throw new FailedPreconditionError(`deployment ${spec.name}@${spec.version} features[${gi}].service '${g.service}' lists no features`);
      }
      groups.push({ entity: g.entity, service: g.service, refs, columns: refs.map((r) => g.columns[r] ?? r.slice(0, r.indexOf('@'))), onMissing: g.onMissing });
    }
    return { spec, id: `${spec.name}@${spec.version}`, file, groups };
  }
}
