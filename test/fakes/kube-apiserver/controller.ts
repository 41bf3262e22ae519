/**
 * The controllers of the fake cluster, modelled on kube-controller-manager's deployment and replicaset
 * controllers, a kubelet that starts pods after a delay, and an HPA that keeps its target inside min/max:
 *
 * - Deployment: one ReplicaSet per pod template (name `<deploy>-<pod-template-hash>`, hash label on RS,
 *   selector and template, controller ownerReference, `deployment.kubernetes.io/revision` annotation; a
 *   template that matches an old RS re-uses it and gives it the next revision), rolling updates bounded by
 *   maxSurge (rounded up) / maxUnavailable (rounded down), Recreate, proportional scaling, paused,
 *   revisionHistoryLimit clean-up, status counters and the Available / Progressing conditions including
 *   ProgressDeadlineExceeded, plus ScalingReplicaSet Events.
 * - ReplicaSet: creates / deletes pods to match spec.replicas (not-ready and newest go first), status with
 *   ready and available (minReadySeconds) counts.
 * - Kubelet: `readyDelayMs` after creation a pod is Running and Ready unless an image name says otherwise:
 *   "crash" → CrashLoopBackOff, "oom" → CrashLoopBackOff after OOMKilled, "nopull" → ImagePullBackOff,
 *   "notready" → running but never ready.
 */
import { canonical } from './patch.js';
import type { KObj } from './resources.js';
import { selectorToString } from './selectors.js';
import { controllerOf, Store, timestamp } from './store.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const HASH_LABEL = 'pod-template-hash';
const SKIP_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a over the canonical template (+ collision count), encoded like the real controller's safe strings. */
export function templateHash(template: KObj, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const s = JSON.stringify(canonical(template)) + (collisionCount ? `#${collisionCount}` : '');
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return [...String(h)].map((c) => SAFE[c.charCodeAt(0) % SAFE.length]).join('');
}

const canonicalCache = new WeakMap<object, string>();
/** canonical JSON of a template without the hash label, cached per (immutable) stored template */
function templateKey(template: KObj): string {
  if (template && typeof template === 'object') {
    const hit = canonicalCache.get(template);
    if (hit !== undefined) return hit;
    const k = JSON.stringify(withoutHash(template));
    canonicalCache.set(template, k);
    return k;
  }
  return JSON.stringify(withoutHash(template));
}

function withoutHash(template: KObj): KObj {
  const t = JSON.parse(JSON.stringify(template ?? {}));
  if (t.metadata?.labels) {
    delete t.metadata.labels[HASH_LABEL];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return canonical(t);
}

export function equalIgnoreHash(a: KObj, b: KObj): boolean {
  return templateKey(a) === templateKey(b);
}

function resolve(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+%$/.test(v)) {
    const x = (parseInt(v, 10) * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  if (typeof v === 'string' && /^\d+$/.test(v)) return parseInt(v, 10);
  return 0;
}

/** maxSurge / maxUnavailable as the deployment controller resolves them (both 0 → maxUnavailable 1). */
export function surgeAndUnavailable(d: KObj): { surge: number; unavailable: number } {
  const replicas = d.spec.replicas ?? 1;
  if (d.spec.strategy?.type === 'Recreate') return { surge: 0, unavailable: 0 };
  const ru = d.spec.strategy?.rollingUpdate ?? {};
  const surge = resolve(ru.maxSurge ?? '25%', replicas, true);
  let unavailable = resolve(ru.maxUnavailable ?? '25%', replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, replicas) };
}

const rev = (rs: KObj) => parseInt(rs.metadata.annotations?.[REVISION] ?? '0', 10) || 0;
const specReplicas = (rs: KObj) => rs.spec?.replicas ?? 0;
const sum = (rss: KObj[], f: (rs: KObj) => number) => rss.reduce((n, rs) => n + f(rs), 0);
const byCreation = (a: KObj, b: KObj) =>
  a.metadata.creationTimestamp === b.metadata.creationTimestamp
    ? a.metadata.name < b.metadata.name
      ? -1
      : 1
    : a.metadata.creationTimestamp < b.metadata.creationTimestamp
      ? -1
      : 1;
const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;
const key = (ns: string, name: string) => `${ns}/${name}`;
const splitKey = (k: string) => {
  const i = k.indexOf('/');
  return [k.slice(0, i), k.slice(i + 1)] as const;
};

function setCondition(status: KObj, cond: KObj): void {
  const conds: KObj[] = status.conditions ?? [];
  const cur = conds.find((c) => c.type === cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  if (cur && cur.status === cond.status) cond.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...conds.filter((c) => c.type !== cond.type), cond];
}

function condition(type: string, status: string, reason: string, message: string): KObj {
  const now = timestamp();
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

let lastEventNs = 0n;
/** Event names end in the hex UnixNano of their time, like the real recorder's: key order = time order. */
function eventSuffix(): string {
  let ns = BigInt(Date.now()) * 1_000_000n;
  if (ns <= lastEventNs) ns = lastEventNs + 1n;
  lastEventNs = ns;
  return ns.toString(16);
}

export interface ControllerOptions {
  readyDelayMs: number;
  /** how often the HPA controller enforces min/max (ms) */
  hpaSyncMs: number;
  /** ms a deleted pod stays Terminating (deletionTimestamp set) before it is gone; 0 = at once */
  terminationDelayMs: number;
}

export class Controllers {
  private dirtyDeploy = new Set<string>();
  private dirtyRs = new Set<string>();
  private dirtyHpa = new Set<string>();
  private scheduled = false;
  private stopped = false;
  private timers = new Set<NodeJS.Timeout>();
  /** ms precision of the last Progressing update per deployment uid (conditions only have seconds) */
  private progressAt = new Map<string, number>();
  private deadlineTimer = new Map<string, NodeJS.Timeout>();
  private backoffEventSent = new Set<string>();
  private unsubscribe: Array<() => void> = [];
  private hpaInterval: NodeJS.Timeout | undefined;

  constructor(
    private store: Store,
    public opts: ControllerOptions,
  ) {
    this.unsubscribe.push(
      store.subscribe('deployments', (e) => {
        if (e.type === 'DELETED') return;
        this.enqueueDeploy(e.obj.metadata.namespace, e.obj.metadata.name);
      }),
      store.subscribe('replicasets', (e) => {
        if (e.type !== 'DELETED') this.enqueueRs(e.obj.metadata.namespace, e.obj.metadata.name);
        this.enqueueOwner(e.obj, 'Deployment');
      }),
      store.subscribe('pods', (e) => {
        this.enqueueOwner(e.obj, 'ReplicaSet');
        if (e.type === 'ADDED') this.scheduleKubelet(e.obj);
        else if (e.type === 'DELETED') {
          const p = this.pendingPods.get(e.obj.metadata.uid);
          if (p) {
            clearTimeout(p.timer);
            this.timers.delete(p.timer);
            this.pendingPods.delete(e.obj.metadata.uid);
          }
        }
      }),
      store.subscribe('horizontalpodautoscalers', (e) => {
        if (e.type !== 'DELETED') this.enqueueHpa(e.obj.metadata.namespace, e.obj.metadata.name);
      }),
    );
    this.hpaInterval = setInterval(() => {
      for (const h of store.list('horizontalpodautoscalers'))
        this.enqueueHpa(h.metadata.namespace, h.metadata.name);
    }, opts.hpaSyncMs);
    this.hpaInterval.unref();
  }

  stop(): void {
    this.stopped = true;
    for (const u of this.unsubscribe) u();
    for (const t of this.timers) clearTimeout(t);
    for (const t of this.deadlineTimer.values()) clearTimeout(t);
    if (this.hpaInterval) clearInterval(this.hpaInterval);
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private enqueueOwner(o: KObj, kind: string): void {
    const c = controllerOf(o);
    if (c && c.kind === kind) {
      if (kind === 'Deployment') this.enqueueDeploy(o.metadata.namespace, c.name);
      else this.enqueueRs(o.metadata.namespace, c.name);
    }
  }

  enqueueDeploy(ns: string, name: string): void {
    this.dirtyDeploy.add(key(ns, name));
    this.schedule();
  }
  enqueueRs(ns: string, name: string): void {
    this.dirtyRs.add(key(ns, name));
    this.schedule();
  }
  enqueueHpa(ns: string, name: string): void {
    this.dirtyHpa.add(key(ns, name));
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  private run(): void {
    this.scheduled = false;
    if (this.stopped) return;
    for (let round = 0; round < 20; round++) {
      if (this.dirtyRs.size === 0 && this.dirtyDeploy.size === 0 && this.dirtyHpa.size === 0) return;
      const rss = [...this.dirtyRs];
      this.dirtyRs.clear();
      for (const k of rss) this.syncReplicaSet(...splitKey(k));
      const ds = [...this.dirtyDeploy];
      this.dirtyDeploy.clear();
      for (const k of ds) this.syncDeployment(...splitKey(k));
      const hs = [...this.dirtyHpa];
      this.dirtyHpa.clear();
      for (const k of hs) this.syncHpa(...splitKey(k));
    }
    this.schedule();
  }

  // ---- events ------------------------------------------------------------------------------------------------

  recordEvent(
    obj: KObj,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
  ): void {
    const now = timestamp();
    const ns = obj.metadata.namespace ?? 'default';
    this.store.create('events', {
      kind: 'Event',
      apiVersion: 'v1',
      metadata: { name: `${obj.metadata.name}.${eventSuffix()}`, namespace: ns },
      involvedObject: {
        kind: obj.kind,
        namespace: ns,
        name: obj.metadata.name,
        uid: obj.metadata.uid,
        apiVersion: obj.apiVersion,
        resourceVersion: obj.metadata.resourceVersion,
      },
      reason,
      message,
      source: { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: '',
    });
  }

  // ---- kubelet -----------------------------------------------------------------------------------------------

  /** pods whose containers have not started yet: uid → when created and the pending timer */
  private pendingPods = new Map<
    string,
    { ns: string; name: string; createdAt: number; timer: NodeJS.Timeout }
  >();

  private scheduleKubelet(pod: KObj): void {
    const ns = pod.metadata.namespace;
    const name = pod.metadata.name;
    const uid = pod.metadata.uid;
    const createdAt = Date.now();
    const timer = this.later(this.opts.readyDelayMs, () => {
      this.pendingPods.delete(uid);
      this.startPod(ns, name, uid);
    });
    this.pendingPods.set(uid, { ns, name, createdAt, timer });
  }

  /** A new ready delay also applies to pods still waiting: they start at creation + delay (or now). */
  setReadyDelay(ms: number): void {
    this.opts.readyDelayMs = ms;
    for (const [uid, p] of this.pendingPods) {
      clearTimeout(p.timer);
      this.timers.delete(p.timer);
      p.timer = this.later(Math.max(0, p.createdAt + ms - Date.now()), () => {
        this.pendingPods.delete(uid);
        this.startPod(p.ns, p.name, uid);
      });
    }
  }

  private startPod(ns: string, name: string, uid: string): void {
    const pod = this.store.get('pods', ns, name);
    if (!pod || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp) return;
    const now = timestamp();
    const p = { ...pod };
    let allReady = true;
    let pending = false;
    const statuses = (p.spec.containers as KObj[]).map((c) => {
      const image: string = c.image ?? '';
      const base = {
        name: c.name,
        image,
        imageID: `${image}@sha256:${'0'.repeat(64)}`,
        started: false,
        ready: false,
        restartCount: 0,
      };
      if (/nopull/i.test(image)) {
        allReady = false;
        pending = true;
        return {
          ...base,
          imageID: '',
          state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } },
          lastState: {},
        };
      }
      if (/crash|oom/i.test(image)) {
        allReady = false;
        const oom = /oom/i.test(image);
        return {
          ...base,
          restartCount: 1,
          state: {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off 10s restarting failed container=${c.name} pod=${name}_${ns}(${uid})`,
            },
          },
          lastState: {
            terminated: {
              exitCode: oom ? 137 : 1,
              reason: oom ? 'OOMKilled' : 'Error',
              startedAt: now,
              finishedAt: now,
              containerID: `containerd://${uid.replace(/-/g, '')}`,
            },
          },
        };
      }
      const ready = !/notready/i.test(image);
      if (!ready) allReady = false;
      return {
        ...base,
        started: true,
        ready,
        state: { running: { startedAt: now } },
        lastState: {},
        containerID: `containerd://${uid.replace(/-/g, '')}`,
      };
    });
    const readyStatus = allReady ? 'True' : 'False';
    const notReadyExtra = allReady
      ? {}
      : {
          reason: 'ContainersNotReady',
          message: `containers with unready status: [${statuses
            .filter((s) => !s.ready)
            .map((s) => s.name)
            .join(' ')}]`,
        };
    p.status = {
      phase: pending ? 'Pending' : 'Running',
      conditions: [
        { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: now },
        {
          type: 'Ready',
          status: readyStatus,
          lastProbeTime: null,
          lastTransitionTime: now,
          ...notReadyExtra,
        },
        {
          type: 'ContainersReady',
          status: readyStatus,
          lastProbeTime: null,
          lastTransitionTime: now,
          ...notReadyExtra,
        },
        {
          type: 'PodScheduled',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: pod.metadata.creationTimestamp,
        },
      ],
      hostIP: '127.0.0.1',
      startTime: pod.status?.startTime ?? now,
      containerStatuses: statuses,
      qosClass: 'BestEffort',
    };
    const stored = this.store.update('pods', p);
    for (const s of statuses) {
      const reason = s.state.waiting?.reason;
      if (reason && !this.backoffEventSent.has(`${uid}/${s.name}`)) {
        this.backoffEventSent.add(`${uid}/${s.name}`);
        if (reason === 'CrashLoopBackOff')
          this.recordEvent(stored, 'Warning', 'BackOff', 'Back-off restarting failed container', 'kubelet');
        else this.recordEvent(stored, 'Warning', 'Failed', `Error: ${reason}`, 'kubelet');
      }
    }
  }

  /**
   * Graceful deletion: with a termination delay the pod first gets deletionTimestamp /
   * deletionGracePeriodSeconds (kubectl shows it Terminating; ReplicaSets no longer count it), then goes.
   * Returns the pod as the DELETE answer shows it.
   */
  terminatePod(pod: KObj): KObj | undefined {
    const ns = pod.metadata.namespace;
    const name = pod.metadata.name;
    if (this.opts.terminationDelayMs <= 0 || pod.metadata.deletionTimestamp)
      return this.store.delete('pods', ns, name);
    const grace = pod.spec?.terminationGracePeriodSeconds ?? 30;
    const marked = this.store.update('pods', {
      ...pod,
      metadata: {
        ...pod.metadata,
        deletionTimestamp: timestamp(Date.now() + grace * 1000),
        deletionGracePeriodSeconds: grace,
      },
    });
    const uid = pod.metadata.uid;
    this.later(this.opts.terminationDelayMs, () => {
      const cur = this.store.get('pods', ns, name);
      if (cur?.metadata.uid === uid) this.store.delete('pods', ns, name);
    });
    return marked;
  }

  // ---- replicaset controller ---------------------------------------------------------------------------------

  private podReadySince(p: KObj): number | undefined {
    const c = (p.status?.conditions as KObj[] | undefined)?.find((x) => x.type === 'Ready');
    if (c?.status !== 'True') return undefined;
    return Date.parse(c.lastTransitionTime);
  }

  private syncReplicaSet(ns: string, name: string): void {
    const rs = this.store.get('replicasets', ns, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const pods = this.store.dependents(rs.metadata.uid, 'pods').filter((p) => !p.metadata.deletionTimestamp);
    const want = rs.spec.replicas ?? 1;
    let active = pods;
    if (pods.length < want) {
      for (let i = pods.length; i < want; i++) active.push(this.createPod(rs));
    } else if (pods.length > want) {
      const ranked = [...pods].sort((a, b) => {
        const ra = this.podReadySince(a) === undefined ? 0 : 1;
        const rb = this.podReadySince(b) === undefined ? 0 : 1;
        if (ra !== rb) return ra - rb; // not ready first
        return -byCreation(a, b); // newest first
      });
      const doomed = ranked.slice(0, pods.length - want);
      for (const p of doomed) this.terminatePod(p);
      const gone = new Set(doomed.map((p) => p.metadata.name));
      active = pods.filter((p) => !gone.has(p.metadata.name));
      if (doomed.length > 0 && (rs.metadata.ownerReferences?.length ?? 0) === 0) {
        this.recordEvent(
          rs,
          'Normal',
          'SuccessfulDelete',
          `Deleted pod: ${doomed[0]!.metadata.name}`,
          'replicaset-controller',
        );
      }
    }
    const minReady = (rs.spec.minReadySeconds ?? 0) * 1000;
    const now = Date.now();
    let ready = 0;
    let available = 0;
    let nextCheck = Infinity;
    for (const p of active) {
      const since = this.podReadySince(p);
      if (since === undefined) continue;
      ready++;
      if (minReady === 0 || since + minReady <= now) available++;
      else nextCheck = Math.min(nextCheck, since + minReady);
    }
    if (nextCheck !== Infinity) this.later(Math.max(0, nextCheck - now) + 5, () => this.enqueueRs(ns, name));
    const status: KObj = { replicas: active.length };
    if (active.length) status.fullyLabeledReplicas = active.length;
    if (ready) status.readyReplicas = ready;
    if (available) status.availableReplicas = available;
    status.observedGeneration = rs.metadata.generation;
    if (rs.status?.conditions) status.conditions = rs.status.conditions;
    if (JSON.stringify(status) !== JSON.stringify(rs.status ?? {}))
      this.store.update('replicasets', { ...rs, status });
  }

  private createPod(rs: KObj): KObj {
    const tpl = rs.spec.template ?? {};
    let name = '';
    do {
      name = `${rs.metadata.name}-${Array.from({ length: 5 }, () => SAFE[Math.floor(Math.random() * SAFE.length)]).join('')}`;
    } while (this.store.get('pods', rs.metadata.namespace, name));
    const meta: KObj = {
      name,
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace,
      labels: { ...(tpl.metadata?.labels ?? {}) },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: rs.metadata.name,
          uid: rs.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    };
    if (tpl.metadata?.annotations) meta.annotations = { ...tpl.metadata.annotations };
    const spec = { ...(tpl.spec ?? {}), nodeName: 'fake-node' };
    return this.store.create('pods', {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: meta,
      spec,
      status: {
        phase: 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp() },
        ],
        qosClass: 'BestEffort',
      },
    });
  }

  // ---- deployment controller ---------------------------------------------------------------------------------

  private syncDeployment(ns: string, name: string): void {
    let d = this.store.get('deployments', ns, name);
    if (!d || d.metadata.deletionTimestamp) return;
    // shallow copies: stored objects are immutable, only metadata/status of this copy change
    d = { ...d, metadata: { ...d.metadata }, status: { ...(d.status ?? {}) } };
    const rsList = this.store
      .dependents(d.metadata.uid, 'replicasets')
      .filter((rs) => !rs.metadata.deletionTimestamp);
    // paused / resumed conditions
    const prog = (d.status?.conditions as KObj[] | undefined)?.find((c) => c.type === 'Progressing');
    d.status ??= {};
    const hasDeadline =
      d.spec.progressDeadlineSeconds !== undefined && d.spec.progressDeadlineSeconds !== null;
    if (hasDeadline) {
      if (d.spec.paused && prog?.reason !== 'DeploymentPaused')
        setCondition(
          d.status,
          condition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused'),
        );
      else if (!d.spec.paused && prog?.reason === 'DeploymentPaused')
        setCondition(
          d.status,
          condition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed'),
        );
    }
    if (d.spec.paused) return this.sync(d, rsList);
    if (this.isScalingEvent(d, rsList)) return this.sync(d, rsList);
    if (d.spec.strategy?.type === 'Recreate') return this.rolloutRecreate(d, rsList);
    return this.rolloutRolling(d, rsList);
  }

  private isScalingEvent(d: KObj, rsList: KObj[]): boolean {
    const { newRS, oldRSs } = this.split(d, rsList);
    for (const rs of [...(newRS ? [newRS] : []), ...oldRSs]) {
      if (specReplicas(rs) === 0) continue;
      const desired = rs.metadata.annotations?.[DESIRED_REPLICAS];
      if (desired !== undefined && parseInt(desired, 10) !== d.spec.replicas) return true;
    }
    return false;
  }

  private split(d: KObj, rsList: KObj[]): { newRS: KObj | undefined; oldRSs: KObj[] } {
    const sorted = [...rsList].sort(byCreation);
    const newRS = sorted.find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
    return { newRS, oldRSs: sorted.filter((rs) => rs !== newRS) };
  }

  private replicasAnnotations(d: KObj, annotations: Record<string, string>): boolean {
    const desired = String(d.spec.replicas);
    const max = String(d.spec.replicas + surgeAndUnavailable(d).surge);
    const changed = annotations[DESIRED_REPLICAS] !== desired || annotations[MAX_REPLICAS] !== max;
    annotations[DESIRED_REPLICAS] = desired;
    annotations[MAX_REPLICAS] = max;
    return changed;
  }

  /** getAllReplicaSetsAndSyncRevision: find or create the new RS, keep revisions monotonic. */
  private syncRevision(
    d: KObj,
    rsList: KObj[],
    create: boolean,
  ): { newRS: KObj | undefined; oldRSs: KObj[] } {
    const { newRS: found, oldRSs } = this.split(d, rsList);
    const maxOld = oldRSs.reduce((m, rs) => Math.max(m, rev(rs)), 0);
    const newRevision = String(maxOld + 1);
    let newRS = found;
    if (newRS) {
      const rs = { ...newRS, metadata: { ...newRS.metadata }, spec: { ...newRS.spec } };
      rs.metadata.annotations = { ...(rs.metadata.annotations ?? {}) };
      const a = rs.metadata.annotations;
      let changed = false;
      for (const [k, v] of Object.entries((d.metadata.annotations ?? {}) as Record<string, string>)) {
        if (SKIP_ANNOTATIONS.has(k) || a[k] === v) continue;
        a[k] = v;
        changed = true;
      }
      const oldRevision = a[REVISION];
      if (rev(rs) < maxOld + 1) {
        a[REVISION] = newRevision;
        if (oldRevision)
          a[REVISION_HISTORY] = a[REVISION_HISTORY] ? `${a[REVISION_HISTORY]},${oldRevision}` : oldRevision;
        changed = true;
      }
      if ((rs.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0)) {
        rs.spec.minReadySeconds = d.spec.minReadySeconds ?? 0;
        changed = true;
      }
      if (changed) newRS = this.store.update('replicasets', rs);
      if (
        d.spec.progressDeadlineSeconds != null &&
        !(d.status.conditions ?? []).some((c: KObj) => c.type === 'Progressing')
      )
        setCondition(
          d.status,
          condition(
            'Progressing',
            'True',
            'FoundNewReplicaSet',
            `Found new replica set "${newRS.metadata.name}"`,
          ),
        );
    } else if (create) {
      let collisions = d.status.collisionCount ?? 0;
      for (;;) {
        const hash = templateHash(withoutHash(d.spec.template), collisions);
        const rsName = `${d.metadata.name}-${hash}`;
        const existing = this.store.get('replicasets', d.metadata.namespace, rsName);
        if (existing) {
          if (
            controllerOf(existing)?.uid === d.metadata.uid &&
            equalIgnoreHash(existing.spec.template, d.spec.template)
          ) {
            newRS = existing;
            break;
          }
          collisions++;
          d.status.collisionCount = collisions;
          continue;
        }
        const tpl = clone(d.spec.template);
        tpl.metadata ??= {};
        tpl.metadata.labels = { ...(tpl.metadata.labels ?? {}), [HASH_LABEL]: hash };
        const annotations: Record<string, string> = {};
        for (const [k, v] of Object.entries((d.metadata.annotations ?? {}) as Record<string, string>))
          if (!SKIP_ANNOTATIONS.has(k)) annotations[k] = v;
        annotations[REVISION] = newRevision;
        this.replicasAnnotations(d, annotations);
        const all = [...oldRSs];
        const replicas = d.spec.strategy?.type === 'Recreate' ? 0 : this.newRSReplicas(d, all, 0);
        newRS = this.store.create('replicasets', {
          kind: 'ReplicaSet',
          apiVersion: 'apps/v1',
          metadata: {
            name: rsName,
            namespace: d.metadata.namespace,
            labels: { ...tpl.metadata.labels },
            annotations,
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name: d.metadata.name,
                uid: d.metadata.uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: {
            replicas,
            minReadySeconds: d.spec.minReadySeconds ?? 0,
            selector: {
              ...clone(d.spec.selector),
              matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [HASH_LABEL]: hash },
            },
            template: tpl,
          },
        });
        if (replicas > 0)
          this.recordEvent(
            d,
            'Normal',
            'ScalingReplicaSet',
            `Scaled up replica set ${rsName} from 0 to ${replicas}`,
            'deployment-controller',
          );
        if (d.spec.progressDeadlineSeconds != null) {
          setCondition(
            d.status,
            condition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${rsName}"`),
          );
          this.progressAt.set(d.metadata.uid, Date.now());
        }
        break;
      }
    }
    const want = newRS ? newRS.metadata.annotations?.[REVISION] : undefined;
    if (want && d.metadata.annotations?.[REVISION] !== want) {
      d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [REVISION]: want };
    }
    return { newRS, oldRSs };
  }

  /** NewRSNewReplicas: how far the new ReplicaSet may grow now (bounded by replicas + maxSurge in total). */
  private newRSReplicas(d: KObj, allRSs: KObj[], newRSReplicas: number): number {
    if (d.spec.strategy?.type === 'Recreate') return d.spec.replicas;
    const { surge } = surgeAndUnavailable(d);
    const current = sum(allRSs, specReplicas); // every ReplicaSet, the new one included
    const maxTotal = d.spec.replicas + surge;
    if (current >= maxTotal) return newRSReplicas;
    const up = Math.min(maxTotal - current, Math.max(0, d.spec.replicas - newRSReplicas));
    return newRSReplicas + up;
  }

  /** Scales a ReplicaSet (and its replica annotations); returns the stored RS. */
  private scaleRs(rs: KObj, d: KObj, to: number): KObj {
    const cur = this.store.get('replicasets', rs.metadata.namespace, rs.metadata.name) ?? rs;
    const r = {
      ...cur,
      metadata: { ...cur.metadata, annotations: { ...(cur.metadata.annotations ?? {}) } },
      spec: { ...cur.spec },
    };
    const from = specReplicas(r);
    const annChanged = this.replicasAnnotations(d, r.metadata.annotations);
    if (from === to && !annChanged) return r;
    r.spec.replicas = to;
    const stored = this.store.update('replicasets', r);
    if (from !== to)
      this.recordEvent(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${to > from ? 'up' : 'down'} replica set ${r.metadata.name} from ${from} to ${to}`,
        'deployment-controller',
      );
    return stored;
  }

  private reread(rss: KObj[]): KObj[] {
    return rss
      .map((rs) => this.store.get('replicasets', rs.metadata.namespace, rs.metadata.name))
      .filter(Boolean);
  }

  private rolloutRolling(d: KObj, rsList: KObj[]): void {
    let { newRS, oldRSs } = this.syncRevision(d, rsList, true);
    if (!newRS) return this.writeStatus(d, newRS, oldRSs, true);
    // scale up the new RS, if we can
    const all = [newRS, ...oldRSs];
    if (specReplicas(newRS) !== d.spec.replicas) {
      const target =
        specReplicas(newRS) > d.spec.replicas
          ? d.spec.replicas
          : this.newRSReplicas(d, all, specReplicas(newRS));
      if (target !== specReplicas(newRS)) {
        newRS = this.scaleRs(newRS, d, target);
        return this.writeStatus(d, newRS, this.reread(oldRSs), true);
      }
    }
    // scale down old RSs, if we can
    if (this.reconcileOld(d, newRS, oldRSs)) return this.writeStatus(d, newRS, this.reread(oldRSs), true);
    oldRSs = this.reread(oldRSs);
    const status = this.calculateStatus(d, newRS, oldRSs);
    if (this.complete(d, status)) this.cleanup(d, oldRSs);
    this.writeStatus(d, newRS, this.reread(oldRSs), true);
  }

  private reconcileOld(d: KObj, newRS: KObj, oldRSs: KObj[]): boolean {
    const oldPods = sum(oldRSs, specReplicas);
    if (oldPods === 0) return false;
    const allPods = oldPods + specReplicas(newRS);
    const { unavailable } = surgeAndUnavailable(d);
    const minAvailable = d.spec.replicas - unavailable;
    const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    let total = 0;
    // clean up unhealthy replicas first
    const sorted = [...oldRSs].sort(byCreation);
    const after: KObj[] = [];
    for (const rs of sorted) {
      let r = rs;
      if (
        total < maxScaledDown &&
        specReplicas(rs) > 0 &&
        specReplicas(rs) !== (rs.status?.availableReplicas ?? 0)
      ) {
        const n = Math.min(maxScaledDown - total, specReplicas(rs) - (rs.status?.availableReplicas ?? 0));
        r = this.scaleRs(rs, d, specReplicas(rs) - n);
        total += n;
      }
      after.push(r);
    }
    // then scale down healthy ones while keeping minAvailable
    const available = sum([newRS, ...after], (rs) => rs.status?.availableReplicas ?? 0);
    if (available > minAvailable) {
      const budget = available - minAvailable;
      let done = 0;
      for (const rs of after) {
        if (done >= budget) break;
        if (specReplicas(rs) === 0) continue;
        const n = Math.min(specReplicas(rs), budget - done);
        this.scaleRs(rs, d, specReplicas(rs) - n);
        done += n;
      }
      total += done;
    }
    return total > 0;
  }

  private rolloutRecreate(d: KObj, rsList: KObj[]): void {
    let { newRS, oldRSs } = this.syncRevision(d, rsList, false);
    const activeOld = oldRSs.filter((rs) => specReplicas(rs) > 0);
    if (activeOld.length > 0) {
      for (const rs of activeOld) this.scaleRs(rs, d, 0);
      return this.writeStatus(d, newRS, this.reread(oldRSs), true);
    }
    if (oldRSs.some((rs) => (rs.status?.replicas ?? 0) > 0)) return this.writeStatus(d, newRS, oldRSs, true);
    if (!newRS) ({ newRS, oldRSs } = this.syncRevision(d, rsList, true));
    if (newRS && specReplicas(newRS) !== d.spec.replicas) newRS = this.scaleRs(newRS, d, d.spec.replicas);
    const status = this.calculateStatus(d, newRS, oldRSs);
    if (this.complete(d, status)) this.cleanup(d, oldRSs);
    this.writeStatus(d, newRS, this.reread(oldRSs), true);
  }

  /** The deployment controller's `sync`: scaling events and paused deployments (no new ReplicaSet is made). */
  private sync(d: KObj, rsList: KObj[]): void {
    const { newRS, oldRSs } = this.syncRevision(d, rsList, false);
    const all = [...(newRS ? [newRS] : []), ...oldRSs];
    const active = all.filter((rs) => specReplicas(rs) > 0);
    let target: KObj | undefined;
    if (active.length === 0) target = newRS ?? [...oldRSs].sort((a, b) => rev(b) - rev(a))[0];
    else if (active.length === 1) target = active[0];
    if (target) {
      if (
        specReplicas(target) !== d.spec.replicas ||
        this.replicasAnnotations(d, { ...(target.metadata.annotations ?? {}) })
      )
        this.scaleRs(target, d, d.spec.replicas);
    } else if (d.spec.strategy?.type !== 'Recreate') {
      // proportional scaling across the active ReplicaSets
      const allowed = d.spec.replicas + surgeAndUnavailable(d).surge;
      const current = sum(active, specReplicas);
      let toAdd = allowed - current;
      const ordered = [...active].sort((a, b) =>
        toAdd > 0 ? specReplicas(b) - specReplicas(a) : specReplicas(a) - specReplicas(b),
      );
      const sizes = new Map<KObj, number>();
      let left = toAdd;
      for (const rs of ordered) {
        const part = current === 0 ? 0 : Math.round((specReplicas(rs) * toAdd) / current);
        const p = toAdd > 0 ? Math.min(part, left) : Math.max(part, left);
        sizes.set(rs, specReplicas(rs) + p);
        left -= p;
      }
      if (left !== 0 && ordered[0]) sizes.set(ordered[0], Math.max(0, sizes.get(ordered[0])! + left));
      toAdd = 0;
      for (const [rs, n] of sizes) this.scaleRs(rs, d, n);
    }
    const fresh = this.reread(oldRSs);
    const nrs = newRS
      ? this.store.get('replicasets', newRS.metadata.namespace, newRS.metadata.name)
      : undefined;
    if (d.spec.paused) {
      const status = this.calculateStatus(d, nrs, fresh);
      if (this.complete(d, status)) this.cleanup(d, fresh);
    }
    this.writeStatus(d, nrs, this.reread(oldRSs), false);
  }

  private cleanup(d: KObj, oldRSs: KObj[]): void {
    const limit = d.spec.revisionHistoryLimit ?? 10;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    const sorted = [...cleanable].sort((a, b) => rev(a) - rev(b) || byCreation(a, b));
    let removed = 0;
    for (const rs of sorted) {
      if (removed >= diff) break;
      if (specReplicas(rs) !== 0 || (rs.status?.replicas ?? 0) !== 0) continue;
      if ((rs.status?.observedGeneration ?? 0) < (rs.metadata.generation ?? 0)) continue;
      this.store.delete('replicasets', rs.metadata.namespace, rs.metadata.name);
      for (const p of this.store.dependents(rs.metadata.uid, 'pods'))
        this.store.delete('pods', p.metadata.namespace, p.metadata.name);
      removed++;
    }
  }

  private calculateStatus(d: KObj, newRS: KObj | undefined, oldRSs: KObj[]): KObj {
    const all = [...(newRS ? [newRS] : []), ...oldRSs];
    const available = sum(all, (rs) => rs.status?.availableReplicas ?? 0);
    const total = sum(all, specReplicas);
    const status: KObj = {
      observedGeneration: d.metadata.generation,
      replicas: sum(all, (rs) => rs.status?.replicas ?? 0),
      updatedReplicas: newRS ? (newRS.status?.replicas ?? 0) : 0,
      readyReplicas: sum(all, (rs) => rs.status?.readyReplicas ?? 0),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, total - available),
      conditions: [...(d.status?.conditions ?? [])],
    };
    if (d.status?.collisionCount) status.collisionCount = d.status.collisionCount;
    const { unavailable } = surgeAndUnavailable(d);
    if (available >= d.spec.replicas - unavailable)
      setCondition(
        status,
        condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'),
      );
    else
      setCondition(
        status,
        condition(
          'Available',
          'False',
          'MinimumReplicasUnavailable',
          'Deployment does not have minimum availability.',
        ),
      );
    return status;
  }

  private complete(d: KObj, s: KObj): boolean {
    const n = d.spec.replicas;
    return (
      s.updatedReplicas === n &&
      s.replicas === n &&
      s.availableReplicas === n &&
      s.observedGeneration >= d.metadata.generation
    );
  }

  /** syncRolloutStatus (rollout=true) or syncDeploymentStatus (scaling / paused). */
  private writeStatus(d: KObj, newRS: KObj | undefined, oldRSs: KObj[], rollout: boolean): void {
    const status = this.calculateStatus(d, newRS, oldRSs);
    const hasDeadline = d.spec.progressDeadlineSeconds != null;
    const uid = d.metadata.uid;
    if (rollout) {
      if (!hasDeadline)
        status.conditions = (status.conditions as KObj[]).filter((c) => c.type !== 'Progressing');
      const cur = (status.conditions as KObj[]).find((c) => c.type === 'Progressing');
      const completeAlready =
        status.replicas === status.updatedReplicas && cur?.reason === 'NewReplicaSetAvailable';
      if (hasDeadline && !completeAlready) {
        const rsName = newRS?.metadata.name;
        const old = d.status ?? {};
        const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
        const newOld = status.replicas - status.updatedReplicas;
        if (this.complete(d, status)) {
          const msg = rsName
            ? `ReplicaSet "${rsName}" has successfully progressed.`
            : `Deployment "${d.metadata.name}" has successfully progressed.`;
          setCondition(status, condition('Progressing', 'True', 'NewReplicaSetAvailable', msg));
          this.progressAt.delete(uid);
        } else if (
          status.updatedReplicas > (old.updatedReplicas ?? 0) ||
          newOld < oldOld ||
          status.readyReplicas > (old.readyReplicas ?? 0) ||
          status.availableReplicas > (old.availableReplicas ?? 0)
        ) {
          const msg = rsName
            ? `ReplicaSet "${rsName}" is progressing.`
            : `Deployment "${d.metadata.name}" is progressing.`;
          const c = condition('Progressing', 'True', 'ReplicaSetUpdated', msg);
          if (cur?.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
          status.conditions = [...(status.conditions as KObj[]).filter((x) => x.type !== 'Progressing'), c];
          this.progressAt.set(uid, Date.now());
        } else if (cur && cur.reason !== 'NewReplicaSetAvailable') {
          if (cur.reason === 'ProgressDeadlineExceeded') {
            // stays timed out until something progresses
          } else {
            const from = this.progressAt.get(uid) ?? Date.parse(cur.lastUpdateTime);
            const deadlineAt = from + d.spec.progressDeadlineSeconds * 1000;
            if (deadlineAt < Date.now()) {
              const msg = `ReplicaSet "${rsName ?? d.metadata.name}" has timed out progressing.`;
              setCondition(status, condition('Progressing', 'False', 'ProgressDeadlineExceeded', msg));
              this.progressAt.delete(uid);
            } else this.requeueAt(d, deadlineAt);
          }
        }
        const now = (status.conditions as KObj[]).find((c) => c.type === 'Progressing');
        if (
          now &&
          !['NewReplicaSetAvailable', 'ProgressDeadlineExceeded'].includes(now.reason) &&
          now.status !== 'Unknown'
        ) {
          if (!this.progressAt.has(uid)) this.progressAt.set(uid, Date.parse(now.lastUpdateTime));
          this.requeueAt(d, this.progressAt.get(uid)! + d.spec.progressDeadlineSeconds * 1000);
        }
      }
    }
    const next = { ...d, status: dropZeros(status) };
    this.store.update('deployments', next, { skipNoop: true });
  }

  private requeueAt(d: KObj, at: number): void {
    const uid = d.metadata.uid;
    const prev = this.deadlineTimer.get(uid);
    if (prev) clearTimeout(prev);
    const ns = d.metadata.namespace;
    const name = d.metadata.name;
    const t = setTimeout(
      () => {
        this.deadlineTimer.delete(uid);
        if (!this.stopped) this.enqueueDeploy(ns, name);
      },
      Math.max(0, at - Date.now()) + 20,
    );
    this.deadlineTimer.set(uid, t);
  }

  // ---- HPA ---------------------------------------------------------------------------------------------------

  private syncHpa(ns: string, name: string): void {
    const hpa = this.store.get('horizontalpodautoscalers', ns, name);
    if (!hpa) return;
    const ref = hpa.spec?.scaleTargetRef ?? {};
    if (ref.kind !== 'Deployment') return;
    const d = this.store.get('deployments', ns, ref.name);
    const h = clone(hpa);
    const min = h.spec.minReplicas ?? 1;
    const max = h.spec.maxReplicas;
    const now = timestamp();
    if (!d) {
      h.status = {
        ...(h.status ?? {}),
        conditions: [
          {
            type: 'AbleToScale',
            status: 'False',
            lastTransitionTime: now,
            reason: 'FailedGetScale',
            message: `the HPA controller was unable to get the target's current scale: deployments/scale.apps "${ref.name}" not found`,
          },
        ],
      };
    } else {
      const current = d.spec.replicas;
      let desired = current;
      let limited = false;
      if (current === 0 && min !== 0) desired = 0;
      else if (current > max) {
        desired = max;
        limited = true;
      } else if (current < min) {
        desired = min;
        limited = true;
      }
      const status: KObj = { currentReplicas: d.status?.replicas ?? 0, desiredReplicas: desired };
      if (h.status?.lastScaleTime) status.lastScaleTime = h.status.lastScaleTime;
      if (h.metadata.generation) status.observedGeneration = h.metadata.generation;
      if (desired !== current) {
        const dd = clone(d);
        dd.spec.replicas = desired;
        this.store.update('deployments', dd);
        status.lastScaleTime = now;
        this.recordEvent(
          h,
          'Normal',
          'SuccessfulRescale',
          `New size: ${desired}; reason: ${current > max ? 'Current number of replicas above Spec.MaxReplicas' : 'Current number of replicas below Spec.MinReplicas'}`,
          'horizontal-pod-autoscaler',
        );
      }
      const keep = (t: string) => (h.status?.conditions as KObj[] | undefined)?.find((c) => c.type === t);
      const cond = (type: string, st: string, reason: string, message: string) => {
        const c = keep(type);
        return {
          type,
          status: st,
          lastTransitionTime: c && c.status === st ? c.lastTransitionTime : now,
          reason,
          message,
        };
      };
      status.conditions = [
        cond('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size'),
        cond(
          'ScalingActive',
          'False',
          'FailedGetResourceMetric',
          'the HPA was unable to compute the replica count: no metrics in the fake cluster',
        ),
        cond(
          'ScalingLimited',
          limited ? 'True' : 'False',
          limited ? (current > max ? 'TooManyReplicas' : 'TooFewReplicas') : 'DesiredWithinRange',
          limited
            ? 'the desired replica count is more than the maximum replica count'
            : 'the desired count is within the acceptable range',
        ),
      ];
      h.status = status;
    }
    this.store.update('horizontalpodautoscalers', h, { skipNoop: true });
  }

  /** Scale.status.selector text of a workload. */
  static selectorText(o: KObj): string {
    return selectorToString(o.spec?.selector);
  }
}

/** The API omits zero-valued counters (omitempty). */
function dropZeros(s: KObj): KObj {
  const out: KObj = {};
  for (const [k, v] of Object.entries(s)) {
    if (v === 0 && k !== 'observedGeneration') continue;
    out[k] = v;
  }
  return out;
}
