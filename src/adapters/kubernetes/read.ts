/**
 * ClusterReadPort over shared informers: one informer per kind (Deployments, ReplicaSets, Pods, HPAs,
 * Events) and namespace, whatever the number of watched workloads. A change marks only the Deployments it
 * touches; snapshots are rebuilt in a short batch. A failing kind (403, network) is reported per workload
 * and never stops the other kinds.
 */
import type {
  AccessCheck,
  ClusterListener,
  ClusterReadPort,
  SecretConsumer,
  Unsubscribe,
  WorkloadRef,
} from '../ports.js';
import type { WorkloadSnapshot } from '../../domain/model.js';
import type { KubeClient, KubeList, KubeObject } from './client.js';
import { KubeApiError } from './client.js';
import { Informer } from './informer.js';
import { buildSnapshot, controllerOf } from './snapshot.js';

export interface ResolvedRef {
  client: KubeClient;
  context: string;
  namespace: string;
  name: string;
}

export interface ClusterResolver {
  /** The context and namespace a configured ref really means (flags, config, kubeconfig). */
  resolve(ref: WorkloadRef): ResolvedRef;
  defaultContext: string;
}

/** What each procedure needs, as one SelfSubjectAccessReview. */
export const ACTION_ACCESS: Record<string, { verb: string; resource: string; subresource?: string }> = {
  rollback: { verb: 'update', resource: 'deployments' },
  scale: { verb: 'update', resource: 'deployments', subresource: 'scale' },
  restart: { verb: 'update', resource: 'deployments' },
  pause: { verb: 'update', resource: 'deployments' },
  resume: { verb: 'update', resource: 'deployments' },
  announce: { verb: 'create', resource: 'events' },
};

const GROUPS: Record<string, string> = {
  deployments: 'apps',
  replicasets: 'apps',
  horizontalpodautoscalers: 'autoscaling',
  pods: '',
  events: '',
  secrets: '',
};

export function deploymentPath(ns: string, name?: string): string {
  return `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments${name ? `/${encodeURIComponent(name)}` : ''}`;
}

export function secretPath(ns: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(name)}`;
}

/** How a pod spec consumes a Secret: env secretKeyRef, envFrom secretRef, secret and projected volumes. */
export function secretUses(podSpec: KubeObject['spec'], secret: string): string[] {
  const via: string[] = [];
  type Container = {
    env?: { name: string; valueFrom?: { secretKeyRef?: { name?: string } } }[];
    envFrom?: { secretRef?: { name?: string } }[];
  };
  const containers = [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])] as Container[];
  for (const c of containers) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name === secret) via.push(`env ${e.name}`);
    for (const e of c.envFrom ?? []) if (e.secretRef?.name === secret) via.push('envFrom');
  }
  type Volume = {
    name: string;
    secret?: { secretName?: string };
    projected?: { sources?: { secret?: { name?: string } }[] };
  };
  for (const v of (podSpec?.volumes ?? []) as Volume[]) {
    if (v.secret?.secretName === secret) via.push(`volume ${v.name}`);
    else if (v.projected?.sources?.some((src) => src.secret?.name === secret)) via.push(`volume ${v.name}`);
  }
  return [...new Set(via)];
}

export function selectorString(sel: KubeObject['spec']): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries((sel?.matchLabels ?? {}) as Record<string, string>))
    parts.push(`${k}=${v}`);
  for (const e of (sel?.matchExpressions ?? []) as { key: string; operator: string; values?: string[] }[]) {
    const vals = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

export async function accessReview(
  client: KubeClient,
  namespace: string,
  name: string | undefined,
  verb: string,
  resource: string,
  subresource?: string,
): Promise<AccessCheck> {
  const res = await client.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: {
          namespace,
          verb,
          group: GROUPS[resource] ?? '',
          resource,
          subresource: subresource ?? '',
          name: name ?? '',
        },
      },
    },
  });
  const st = (res.status ?? {}) as {
    allowed?: boolean;
    denied?: boolean;
    reason?: string;
    evaluationError?: string;
  };
  const what = `${verb} ${resource}${subresource ? `/${subresource}` : ''}`;
  return {
    verb,
    resource,
    subresource,
    namespace,
    allowed: Boolean(st.allowed) && !st.denied,
    reason: st.allowed
      ? st.reason
      : `RBAC: may not ${what} in ${namespace}${st.reason ? ` (${st.reason})` : ''}`,
  };
}

type KindName = 'deployments' | 'replicasets' | 'pods' | 'hpas' | 'events';

function slimMeta(m: KubeObject['metadata'], annotations = false): KubeObject['metadata'] {
  const deletion = (m as { deletionTimestamp?: string }).deletionTimestamp;
  return {
    name: m.name,
    namespace: m.namespace,
    uid: m.uid,
    resourceVersion: m.resourceVersion,
    generation: m.generation,
    ownerReferences: m.ownerReferences,
    creationTimestamp: m.creationTimestamp,
    ...(annotations ? { annotations: m.annotations } : {}),
    ...(deletion ? { deletionTimestamp: deletion } : {}),
  };
}

/** What the cache keeps per kind: only the fields snapshots read (20,000 cached pods add up). */
const SLIM: Partial<Record<KindName, (o: KubeObject) => KubeObject>> = {
  pods: (o) => ({
    metadata: slimMeta(o.metadata),
    status: {
      phase: o.status?.phase,
      reason: o.status?.reason,
      conditions: (o.status?.conditions ?? []).map((c: { type: string; status: string }) => ({
        type: c.type,
        status: c.status,
      })),
      containerStatuses: o.status?.containerStatuses,
      initContainerStatuses: o.status?.initContainerStatuses,
    },
  }),
  replicasets: (o) => ({
    metadata: slimMeta(o.metadata, true),
    spec: {
      replicas: o.spec?.replicas,
      template: {
        spec: {
          containers: (o.spec?.template?.spec?.containers ?? []).map(
            (c: { name: string; image: string }) => ({
              name: c.name,
              image: c.image,
            }),
          ),
        },
      },
    },
  }),
  events: (o) => ({
    metadata: slimMeta(o.metadata),
    involvedObject: o.involvedObject,
    reason: o.reason,
    message: o.message,
    note: o.note,
    type: o.type,
    lastTimestamp: o.lastTimestamp,
    eventTime: o.eventTime,
    firstTimestamp: o.firstTimestamp,
  }),
};

/** The five informers of one (context, namespace), shared by every workload in it. */
class NamespaceWatch {
  readonly informers: Record<KindName, Informer>;
  readonly refs: { ref: WorkloadRef; name: string }[] = [];
  private dirty = new Set<string>();
  private allDirty = true;
  private timer: NodeJS.Timeout | null = null;
  private first = true;
  private denied = new Map<string, Record<string, string>>();
  private accessTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly client: KubeClient,
    readonly context: string,
    readonly namespace: string,
    private readonly listener: ClusterListener,
    private readonly batchMs: number,
  ) {
    const ns = encodeURIComponent(namespace);
    const mk = (
      kind: KindName,
      label: string,
      path: string,
      indexBy?: (o: KubeObject) => string | undefined,
      fallbackPaths?: string[],
    ) =>
      new Informer(client, {
        kind: label,
        path,
        fallbackPaths,
        indexBy,
        transform: SLIM[kind],
        onChange: (changed, all) => this.changed(kind, changed, all),
        onError: () => this.markAll(),
      });
    this.informers = {
      deployments: mk('deployments', 'deployments', `/apis/apps/v1/namespaces/${ns}/deployments`),
      replicasets: mk('replicasets', 'replicasets', `/apis/apps/v1/namespaces/${ns}/replicasets`, (o) => {
        const c = controllerOf(o);
        return c?.kind === 'Deployment' ? c.name : undefined;
      }),
      pods: mk('pods', 'pods', `/api/v1/namespaces/${ns}/pods`, (o) => {
        const c = controllerOf(o);
        return c?.kind === 'ReplicaSet' ? c.name : undefined;
      }),
      hpas: mk(
        'hpas',
        'horizontalpodautoscalers',
        `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`,
        (o) => (o.spec?.scaleTargetRef?.kind === 'Deployment' ? o.spec.scaleTargetRef.name : undefined),
        [`/apis/autoscaling/v1/namespaces/${ns}/horizontalpodautoscalers`],
      ),
      events: mk('events', 'events', `/api/v1/namespaces/${ns}/events`, (o) =>
        o.involvedObject?.kind === 'Deployment' ? o.involvedObject.name : undefined,
      ),
    };
  }

  start(): void {
    for (const inf of Object.values(this.informers)) inf.start();
    void this.refreshAccess();
    this.accessTimer = setInterval(() => void this.refreshAccess(), 300_000);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.accessTimer) clearInterval(this.accessTimer);
    for (const inf of Object.values(this.informers)) inf.stop();
  }

  /**
   * RBAC per workload and action, shown as disabled actions with the reason. One review per distinct
   * (verb, resource) for the whole namespace; only when that is denied, per workload (resourceNames rules)
   * if the namespace holds few watched workloads.
   */
  private async refreshAccess(): Promise<void> {
    const checks = new Map<
      string,
      { verb: string; resource: string; subresource?: string; actions: string[] }
    >();
    for (const [action, a] of Object.entries(ACTION_ACCESS)) {
      if (action === 'announce') continue;
      const key = `${a.verb} ${a.resource}/${a.subresource ?? ''}`;
      const c = checks.get(key) ?? { ...a, actions: [] };
      c.actions.push(action);
      checks.set(key, c);
    }
    const review = async (
      name: string | undefined,
      c: { verb: string; resource: string; subresource?: string },
    ) => {
      try {
        return await accessReview(this.client, this.namespace, name, c.verb, c.resource, c.subresource);
      } catch (err) {
        return { allowed: false, reason: `permission check failed: ${(err as Error).message}` };
      }
    };
    const nsWide = new Map<string, { allowed: boolean; reason?: string }>();
    for (const [key, c] of checks) nsWide.set(key, await review(undefined, c));
    // Per-workload reviews only matter for resourceNames rules; with many workloads in a namespace the
    // namespace-wide answer stands (the gate re-checks by name right before acting anyway).
    const perName = this.refs.length <= 20;
    for (const { name } of this.refs) {
      const denied: Record<string, string> = {};
      for (const [key, c] of checks) {
        let r = nsWide.get(key)!;
        if (!r.allowed && perName) r = await review(name, c);
        if (!r.allowed) for (const a of c.actions) denied[a] = r.reason ?? 'not permitted';
      }
      this.denied.set(name, denied);
      this.dirty.add(name);
    }
    this.schedule();
  }

  private markAll(): void {
    this.allDirty = true;
    this.schedule();
  }

  private changed(kind: KindName, objs: KubeObject[], all: boolean): void {
    if (all) return this.markAll();
    for (const o of objs) {
      let name: string | undefined;
      if (kind === 'deployments') name = o.metadata.name;
      else if (kind === 'replicasets') name = controllerOf(o)?.name;
      else if (kind === 'pods') {
        const rsName = controllerOf(o)?.name;
        const rs = rsName ? this.informers.replicasets.items.get(rsName) : undefined;
        name = rs ? controllerOf(rs)?.name : undefined;
      } else if (kind === 'hpas') name = o.spec?.scaleTargetRef?.name;
      else if (kind === 'events')
        name = o.involvedObject?.kind === 'Deployment' ? o.involvedObject.name : undefined;
      if (name) this.dirty.add(name);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.batchMs);
  }

  private ready(): boolean {
    return Object.values(this.informers).every((i) => i.synced || i.error !== null);
  }

  snapshot(name: string): WorkloadSnapshot | null {
    const deployment = this.informers.deployments.items.get(name);
    if (!deployment) return null;
    const rsInf = this.informers.replicasets;
    const podInf = this.informers.pods;
    const hpa = this.informers.hpas.byIndex(name)[0];
    const snap = buildSnapshot({
      context: this.context,
      deployment,
      replicaSets: rsInf.byIndex(name),
      podsByReplicaSet: (rs) => podInf.byIndex(rs),
      hpa,
      events: this.informers.events.byIndex(name),
    });
    const denied = this.denied.get(name);
    if (denied && Object.keys(denied).length) snap.denied = denied;
    return snap;
  }

  private flush(): void {
    if (!this.ready()) return; // the last informer to sync (or fail) schedules again
    const all = this.allDirty || this.first;
    this.first = false;
    this.allDirty = false;
    const dirty = this.dirty;
    this.dirty = new Set();
    const depErr = this.informers.deployments.error;
    const otherErrors = (['replicasets', 'pods', 'hpas', 'events'] as KindName[])
      .map((k) => this.informers[k].error)
      .filter((e): e is string => e !== null);
    for (const { ref, name } of this.refs) {
      if (!all && !dirty.has(name)) continue;
      if (!this.informers.deployments.synced) {
        this.listener.onError(ref, depErr ?? 'deployments: not synced yet');
        continue;
      }
      const snap = this.snapshot(name);
      if (!snap) {
        this.listener.onError(
          ref,
          depErr ?? `deployments.apps "${name}" not found in namespace "${this.namespace}" (${this.context})`,
        );
        continue;
      }
      this.listener.onSnapshot(ref, snap);
      // After the snapshot (which clears the workload's error): what this workload is missing, per kind.
      const errs = depErr ? [depErr, ...otherErrors] : otherErrors;
      if (errs.length) this.listener.onError(ref, `${depErr ? 'stale' : 'partial data'}: ${errs.join('; ')}`);
    }
  }
}

export interface ClusterReadAdapter extends ClusterReadPort {
  /** Informer counters per namespace (tests, doctor, bench). */
  stats(): Record<string, Record<string, Informer['stats'] & { synced: boolean; error: string | null }>>;
}

export function createClusterRead(
  resolver: ClusterResolver,
  opts: { batchMs?: number } = {},
): ClusterReadAdapter {
  const watches = new Map<string, NamespaceWatch>();
  const batchMs = opts.batchMs ?? 25;

  async function fresh(ref: WorkloadRef): Promise<WorkloadSnapshot> {
    const r = resolver.resolve(ref);
    const deployment = await r.client.request('GET', deploymentPath(r.namespace, r.name));
    const selector = selectorString(deployment.spec?.selector);
    const ns = encodeURIComponent(r.namespace);
    const rsList = await r.client.request<KubeList>('GET', `/apis/apps/v1/namespaces/${ns}/replicasets`, {
      query: { labelSelector: selector },
    });
    const pods = await r.client
      .request<KubeList>('GET', `/api/v1/namespaces/${ns}/pods`, { query: { labelSelector: selector } })
      .catch((err: Error) => {
        if (err instanceof KubeApiError && err.status === 403) return { metadata: {}, items: [] } as KubeList;
        throw err;
      });
    const hpas = await r.client
      .request<KubeList>('GET', `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`)
      .catch((err: Error) => {
        if (err instanceof KubeApiError && (err.status === 403 || err.status === 404))
          return { metadata: {}, items: [] } as KubeList;
        throw err;
      });
    const watch = watches.get(`${r.context}/${r.namespace}`);
    const snap = buildSnapshot({
      context: r.context,
      deployment,
      replicaSets: rsList.items,
      podsByReplicaSet: (rs) => pods.items.filter((p) => controllerOf(p)?.name === rs),
      hpa: hpas.items.find(
        (h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef.name === r.name,
      ),
      events: watch?.informers.events.byIndex(r.name) ?? [],
    });
    const denied = watch?.snapshot(r.name)?.denied;
    if (denied) snap.denied = denied;
    return snap;
  }

  return {
    kind: 'cluster',
    contextName: resolver.defaultContext,
    watch(refs: WorkloadRef[], listener: ClusterListener): Unsubscribe {
      const mine: NamespaceWatch[] = [];
      for (const ref of refs) {
        let r: ResolvedRef;
        try {
          r = resolver.resolve(ref);
        } catch (err) {
          queueMicrotask(() => listener.onError(ref, (err as Error).message));
          continue;
        }
        const key = `${r.context}/${r.namespace}`;
        let w = watches.get(key);
        if (!w) {
          w = new NamespaceWatch(r.client, r.context, r.namespace, listener, batchMs);
          watches.set(key, w);
          mine.push(w);
        }
        w.refs.push({ ref, name: r.name });
      }
      for (const w of mine) w.start();
      return () => {
        for (const w of mine) {
          w.stop();
          watches.delete(`${w.context}/${w.namespace}`);
        }
      };
    },
    get: fresh,
    async canI(ref, verb, resource, subresource) {
      const r = resolver.resolve(ref);
      return accessReview(r.client, r.namespace, r.name, verb, resource, subresource);
    },
    async readTlsSecret(ref) {
      const r = resolver.resolve({ context: ref.context, namespace: ref.namespace, deployment: ref.name });
      const secret = await r.client.request('GET', secretPath(r.namespace, ref.name));
      // Only the public certificate is kept; the rest of the object (the private key) is dropped here.
      const crt = (secret.data as Record<string, string> | undefined)?.['tls.crt'];
      if (!crt)
        throw new Error(
          `secret ${r.namespace}/${ref.name} has no tls.crt (type ${secret.type ?? 'unknown'})`,
        );
      return { certPem: Buffer.from(crt, 'base64').toString('utf8') };
    },
    async getSecretMeta(ref) {
      const r = resolver.resolve({ context: ref.context, namespace: ref.namespace, deployment: ref.name });
      const secret = await r.client.request('GET', secretPath(r.namespace, ref.name));
      return {
        resourceVersion: secret.metadata.resourceVersion ?? '',
        keys: Object.keys((secret.data as Record<string, string> | undefined) ?? {}).sort(),
        type: secret.type,
      };
    },
    async findConsumers(namespace, secretName, context) {
      const r = resolver.resolve({ context, namespace, deployment: '' });
      const cached = watches.get(`${r.context}/${r.namespace}`)?.informers.deployments;
      const items = cached?.synced
        ? [...cached.items.values()]
        : (await r.client.request<KubeList>('GET', deploymentPath(r.namespace))).items;
      const out: SecretConsumer[] = [];
      for (const d of items) {
        const via = secretUses(d.spec?.template?.spec, secretName);
        if (via.length)
          out.push({
            context: context ?? undefined,
            namespace: r.namespace,
            deployment: d.metadata.name,
            via,
          });
      }
      return out.sort((a, b) => a.deployment.localeCompare(b.deployment));
    },
    async close() {
      for (const w of watches.values()) w.stop();
      watches.clear();
    },
    stats() {
      const out: ReturnType<ClusterReadAdapter['stats']> = {};
      for (const [key, w] of watches) {
        out[key] = Object.fromEntries(
          Object.entries(w.informers).map(([k, i]) => [k, { ...i.stats, synced: i.synced, error: i.error }]),
        );
      }
      return out;
    },
  };
}
