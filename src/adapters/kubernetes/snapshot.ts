/**
 * Pure translation of API objects (Deployment, its ReplicaSets and Pods, its HPA, its Events) into the
 * WorkloadSnapshot the screens read. History follows `kubectl rollout history`: only ReplicaSets whose
 * controller ownerReference carries the Deployment's uid, revision from `deployment.kubernetes.io/revision`
 * (absent → 0), change-cause from `kubernetes.io/change-cause`.
 */
import type { EventView, HpaView, PodView, RevisionInfo, WorkloadSnapshot } from '../../domain/model.js';
import { rolloutStatus } from '../../domain/rollout.js';
import type { KubeObject } from './client.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const CHANGE_CAUSE = 'kubernetes.io/change-cause';
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
export const POD_TEMPLATE_HASH = 'pod-template-hash';

export function controllerOf(o: KubeObject): { kind: string; name: string; uid: string } | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}

export function revisionOf(o: KubeObject): number {
  const v = Number(o.metadata.annotations?.[REVISION] ?? '0');
  return Number.isFinite(v) ? v : 0;
}

export function templateImage(template: KubeObject['spec']): string {
  const cs = (template?.spec?.containers ?? []) as { image?: string }[];
  return cs.map((c) => c.image ?? '').join(',');
}

/** ReplicaSets the Deployment controls (controller ownerReference with its uid), oldest revision first. */
export function ownedReplicaSets(deploy: KubeObject, candidates: KubeObject[]): KubeObject[] {
  return candidates
    .filter((rs) => {
      const c = controllerOf(rs);
      return (
        c?.kind === 'Deployment' &&
        (deploy.metadata.uid ? c.uid === deploy.metadata.uid : c.name === deploy.metadata.name)
      );
    })
    .sort((a, b) => revisionOf(a) - revisionOf(b));
}

export function historyOf(replicaSets: KubeObject[]): RevisionInfo[] {
  return replicaSets.map((rs) => ({
    revision: revisionOf(rs),
    image: templateImage(rs.spec?.template),
    changeCause: rs.metadata.annotations?.[CHANGE_CAUSE] ?? '',
    createdAt: rs.metadata.creationTimestamp ? Date.parse(rs.metadata.creationTimestamp) : undefined,
  }));
}

function isTrue(conds: { type: string; status: string }[] | undefined, type: string): boolean {
  return Boolean(conds?.some((c) => c.type === type && c.status === 'True'));
}

/** One pod: ready, phase, restarts and the reason an operator cares about first. */
export function podView(pod: KubeObject, revision?: number): PodView {
  const st = pod.status ?? {};
  const statuses = [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])] as {
    ready?: boolean;
    restartCount?: number;
    state?: { waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number } };
    lastState?: { terminated?: { reason?: string } };
  }[];
  const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const ready = isTrue(st.conditions, 'Ready');
  let reason: string | undefined;
  const waiting = statuses.map((c) => c.state?.waiting?.reason).filter(Boolean) as string[];
  const rank = ['CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError'];
  reason = rank.find((r) => waiting.includes(r)) ?? undefined;
  // The cause of a crash loop matters most when it is memory: "CrashLoopBackOff (OOMKilled)".
  if (reason === 'CrashLoopBackOff') {
    const last = statuses.find((c) => c.state?.waiting?.reason === 'CrashLoopBackOff')?.lastState?.terminated
      ?.reason;
    if (last === 'OOMKilled') reason = 'CrashLoopBackOff (OOMKilled)';
  }
  if (!reason) {
    const term = statuses.find((c) => c.state?.terminated?.reason)?.state?.terminated?.reason;
    const lastOom = statuses.some((c) => c.lastState?.terminated?.reason === 'OOMKilled');
    reason = term ?? (lastOom ? 'OOMKilled' : waiting[0]);
  }
  if (!reason && (pod.metadata as { deletionTimestamp?: string }).deletionTimestamp) reason = 'Terminating';
  if (!reason && !ready && st.phase === 'Running') {
    const notReady = statuses.filter((c) => !c.ready).length;
    reason = notReady ? `${notReady} container${notReady > 1 ? 's' : ''} not ready` : 'not ready';
  }
  if (!reason && st.phase === 'Pending') reason = st.reason ?? 'Pending';
  return { name: pod.metadata.name, ready, phase: st.phase ?? 'Unknown', restarts, reason, revision };
}

export function hpaView(hpa: KubeObject): HpaView {
  return {
    min: hpa.spec?.minReplicas ?? 1,
    max: hpa.spec?.maxReplicas ?? 0,
    current: hpa.status?.currentReplicas ?? 0,
    desired: hpa.status?.desiredReplicas ?? 0,
  };
}

export function eventView(e: KubeObject): EventView {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp;
  return {
    at: t ? Date.parse(t) : 0,
    type: e.type === 'Warning' ? 'Warning' : 'Normal',
    reason: e.reason ?? '',
    message: e.message ?? e.note ?? '',
  };
}

export interface SnapshotParts {
  context: string;
  deployment: KubeObject;
  replicaSets: KubeObject[];
  /** Pods of the owned ReplicaSets (by name of the ReplicaSet). */
  podsByReplicaSet: (rsName: string) => KubeObject[];
  hpa?: KubeObject;
  events: KubeObject[];
}

export function buildSnapshot(p: SnapshotParts): WorkloadSnapshot {
  const d = p.deployment;
  const spec = d.spec ?? {};
  const status = d.status ?? {};
  const owned = ownedReplicaSets(d, p.replicaSets);
  const progressing = (status.conditions ?? []).find((c: { type: string }) => c.type === 'Progressing') as
    { reason?: string } | undefined;
  const specReplicas: number = spec.replicas ?? 1;
  const pods: PodView[] = [];
  for (const rs of owned) {
    const rev = revisionOf(rs);
    for (const pod of p.podsByReplicaSet(rs.metadata.name)) pods.push(podView(pod, rev));
  }
  pods.sort((a, b) => Number(a.ready) - Number(b.ready) || a.name.localeCompare(b.name));
  const events = p.events
    .map(eventView)
    .sort((a, b) => a.at - b.at)
    .slice(-20);
  return {
    kind: 'Deployment',
    name: d.metadata.name,
    namespace: d.metadata.namespace ?? '',
    context: p.context,
    resourceVersion: d.metadata.resourceVersion ?? '',
    generation: d.metadata.generation ?? 0,
    observedGeneration: status.observedGeneration ?? 0,
    replicas: specReplicas,
    updatedReplicas: status.updatedReplicas ?? 0,
    readyReplicas: status.readyReplicas ?? 0,
    availableReplicas: status.availableReplicas ?? 0,
    paused: Boolean(spec.paused),
    revision: revisionOf(d),
    image: templateImage(spec.template),
    rollout: rolloutStatus({
      name: d.metadata.name,
      generation: d.metadata.generation ?? 0,
      observedGeneration: status.observedGeneration ?? 0,
      specReplicas,
      statusReplicas: status.replicas ?? 0,
      updatedReplicas: status.updatedReplicas ?? 0,
      availableReplicas: status.availableReplicas ?? 0,
      paused: Boolean(spec.paused),
      progressingReason: progressing?.reason,
    }),
    history: historyOf(owned),
    pods,
    hpa: p.hpa ? hpaView(p.hpa) : undefined,
    events,
  };
}
