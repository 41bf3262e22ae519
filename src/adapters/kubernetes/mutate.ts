/**
 * ClusterMutatePort: every write carries a precondition (the resourceVersion the operator previewed, or the
 * replica count for scale), so a 409 Conflict becomes PreconditionFailed and the procedure re-plans instead
 * of retrying. `dryRun: true` sends the same request with `dryRun=All` (server-side validation, admission,
 * no persistence). Only the policy gate holds this port.
 */
import {
  PreconditionFailed,
  type ClusterMutatePort,
  type MutationResult,
  type WorkloadRef,
} from '../ports.js';
import { KubeApiError, type KubeList, type KubeObject } from './client.js';
import {
  deploymentPath,
  secretPath,
  selectorString,
  type ClusterResolver,
  type ResolvedRef,
} from './read.js';
import { POD_TEMPLATE_HASH, RESTARTED_AT, ownedReplicaSets, revisionOf } from './snapshot.js';

/** Annotations `kubectl rollout undo` keeps from the Deployment instead of copying them from the ReplicaSet. */
const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** A pod template without the pod-template-hash label (what `kubectl rollout undo` writes back). */
export function templateWithoutHash(template: KubeObject['spec']): KubeObject['spec'] {
  const t = structuredClone(template ?? {});
  if (t.metadata?.labels) {
    delete t.metadata.labels[POD_TEMPLATE_HASH];
  }
  return t;
}

export function equalIgnoreHash(a: KubeObject['spec'], b: KubeObject['spec']): boolean {
  return stable(templateWithoutHash(a)) === stable(templateWithoutHash(b));
}

function conflict(err: unknown, what: string): never {
  if (err instanceof KubeApiError && err.status === 409)
    throw new PreconditionFailed(`${what}: the object has been modified since the preview (409 Conflict)`);
  throw err;
}

/** RFC 3339 in UTC without fractions, as kubectl's time.Now().Format(time.RFC3339). */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function createClusterMutate(
  resolver: ClusterResolver,
  now: () => number = Date.now,
): ClusterMutatePort {
  const dry = (opts?: { dryRun?: boolean }) => (opts?.dryRun ? { dryRun: 'All' } : undefined);
  const suffix = (opts?: { dryRun?: boolean }) => (opts?.dryRun ? ' (server dry run)' : '');

  async function current(r: ResolvedRef, expectedRV: string): Promise<KubeObject> {
    const d = await r.client.request('GET', deploymentPath(r.namespace, r.name));
    if (d.metadata.resourceVersion !== expectedRV) {
      throw new PreconditionFailed(
        `deployments.apps "${r.name}" changed since the preview (resourceVersion ${expectedRV} → ${d.metadata.resourceVersion})`,
      );
    }
    return d;
  }

  async function update(r: ResolvedRef, d: KubeObject, opts?: { dryRun?: boolean }): Promise<KubeObject> {
    return r.client
      .request('PUT', deploymentPath(r.namespace, r.name), { body: d, query: dry(opts) })
      .catch((err: unknown) => conflict(err, `deployments.apps "${r.name}"`));
  }

  const done = (res: KubeObject, detail: string): MutationResult => ({
    resourceVersion: res.metadata?.resourceVersion,
    detail,
  });

  return {
    async rollback(ref, toRevision, expectedRV, opts) {
      const r = resolver.resolve(ref);
      const d = await current(r, expectedRV);
      if (d.spec?.paused)
        throw new Error(
          "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again",
        );
      const list = await r.client.request<KubeList>(
        'GET',
        `/apis/apps/v1/namespaces/${encodeURIComponent(r.namespace)}/replicasets`,
        { query: { labelSelector: selectorString(d.spec?.selector) } },
      );
      const owned = ownedReplicaSets(d, list.items);
      let rs: KubeObject | undefined;
      if (toRevision === 0) {
        // No revision given: the one before the current, as kubectl.
        const revs = owned.map(revisionOf).filter((v) => v < revisionOf(d));
        rs = owned.find((x) => revisionOf(x) === Math.max(...revs));
        if (!rs) throw new Error('no rollout history found for deployment');
      } else {
        rs = owned.find((x) => revisionOf(x) === toRevision);
        if (!rs) throw new Error(`unable to find specified revision ${toRevision} in history`);
      }
      if (equalIgnoreHash(rs.spec?.template, d.spec?.template))
        return {
          resourceVersion: d.metadata.resourceVersion,
          detail: `deployment.apps/${r.name} skipped rollback (current template already matches revision ${toRevision})${suffix(opts)}`,
        };
      const annotations: Record<string, string> = {};
      for (const [k, v] of Object.entries(d.metadata.annotations ?? {}))
        if (ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
      for (const [k, v] of Object.entries(rs.metadata.annotations ?? {}))
        if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
      const next = structuredClone(d);
      next.metadata.annotations = annotations;
      next.spec.template = templateWithoutHash(rs.spec?.template);
      const res = await update(r, next, opts);
      return done(res, `deployment.apps/${r.name} rolled back${suffix(opts)}`);
    },

    async scale(ref, replicas, expectedReplicas, opts) {
      const r = resolver.resolve(ref);
      if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`invalid replica count ${replicas}`);
      const path = `${deploymentPath(r.namespace, r.name)}/scale`;
      const scale = await r.client.request('GET', path);
      const actual = scale.spec?.replicas ?? 0;
      if (actual !== expectedReplicas)
        throw new PreconditionFailed(`Expected replicas to be ${expectedReplicas}, was ${actual}`);
      const body = {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: {
          name: r.name,
          namespace: r.namespace,
          resourceVersion: scale.metadata.resourceVersion,
        },
        spec: { replicas },
      };
      const res = await r.client
        .request('PUT', path, { body, query: dry(opts) })
        .catch((err: unknown) => conflict(err, `deployments.apps "${r.name}" scale`));
      return done(res, `deployment.apps/${r.name} scaled${suffix(opts)}`);
    },

    async restart(ref, expectedRV, opts) {
      const r = resolver.resolve(ref);
      const d = await current(r, expectedRV);
      if (d.spec?.paused) throw new Error(`can't restart paused deployment (run rollout resume first)`);
      const next = structuredClone(d);
      next.spec.template.metadata ??= {};
      next.spec.template.metadata.annotations = {
        ...(next.spec.template.metadata.annotations ?? {}),
        [RESTARTED_AT]: rfc3339(now()),
      };
      const res = await update(r, next, opts);
      return done(res, `deployment.apps/${r.name} restarted${suffix(opts)}`);
    },

    async setPaused(ref, paused, expectedRV, opts) {
      const r = resolver.resolve(ref);
      const d = await current(r, expectedRV);
      if (Boolean(d.spec?.paused) === paused)
        throw new Error(`deployment.apps/${r.name} ${paused ? 'is already paused' : 'is not paused'}`);
      const next = structuredClone(d);
      next.spec.paused = paused;
      const res = await update(r, next, opts);
      return done(res, `deployment.apps/${r.name} ${paused ? 'paused' : 'resumed'}${suffix(opts)}`);
    },

    async replaceSecretData(ref, data, expectedRV) {
      const r = resolver.resolve({ context: ref.context, namespace: ref.namespace, deployment: ref.name });
      const path = secretPath(r.namespace, ref.name);
      const secret = await r.client.request('GET', path);
      if (secret.metadata.resourceVersion !== expectedRV)
        throw new PreconditionFailed(
          `secret ${r.namespace}/${ref.name} changed since the preview (resourceVersion ${expectedRV} → ${secret.metadata.resourceVersion})`,
        );
      const next: KubeObject = { ...secret, data: { ...(secret.data ?? {}) } };
      delete next.stringData;
      for (const [k, v] of Object.entries(data)) next.data[k] = Buffer.from(v, 'utf8').toString('base64');
      // Errors from here name the secret and the status only: never the request body.
      const res = await r.client.request('PUT', path, { body: next }).catch((err: unknown) => {
        if (err instanceof KubeApiError && err.status === 409)
          throw new PreconditionFailed(
            `secret ${r.namespace}/${ref.name}: modified since the preview (409 Conflict)`,
          );
        if (err instanceof KubeApiError)
          throw new Error(`updating secret ${r.namespace}/${ref.name} failed: ${err.status} ${err.reason}`);
        throw new Error(`updating secret ${r.namespace}/${ref.name} failed: ${(err as Error).message}`);
      });
      return {
        resourceVersion: res.metadata?.resourceVersion,
        detail: `secret/${ref.name} updated (keys ${Object.keys(data).sort().join(', ')})`,
      };
    },

    async recordEvent(ref: WorkloadRef, reason: string, message: string) {
      const r = resolver.resolve(ref);
      const d = await r.client.request('GET', deploymentPath(r.namespace, r.name));
      const t = rfc3339(now());
      const rand = Math.floor(Math.random() * 0xffffffff).toString(16);
      await r.client.request('POST', `/api/v1/namespaces/${encodeURIComponent(r.namespace)}/events`, {
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: `${r.name}.${now().toString(16)}${rand}`, namespace: r.namespace },
          involvedObject: {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: r.name,
            namespace: r.namespace,
            uid: d.metadata.uid,
            resourceVersion: d.metadata.resourceVersion,
          },
          reason,
          message: message.slice(0, 1024),
          type: 'Normal',
          source: { component: 'oncall' },
          reportingComponent: 'oncall',
          reportingInstance: 'oncall',
          firstTimestamp: t,
          lastTimestamp: t,
          count: 1,
        },
      });
    },
  };
}
