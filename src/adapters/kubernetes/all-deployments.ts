/**
 * The all-namespaces (or one-namespace) Deployments view: one list+watch informer on
 * /apis/apps/v1/deployments (or /namespaces/NS/deployments), shared code with the per-namespace informers
 * (resourceVersion, bookmarks, 410 → relist, backoff). Only get/list/watch requests. Rows carry the rollout
 * state with kubectl's maths, ready/desired, image and revision; changes are batched so a relist of
 * thousands of Deployments is one update.
 */
import type { AllDeploymentsListener, DeploymentRow, Unsubscribe } from '../ports.js';
import { rolloutStatus } from '../../domain/rollout.js';
import type { KubeClient, KubeObject } from './client.js';
import { Informer } from './informer.js';
import { REVISION, revisionOf, templateImage } from './snapshot.js';

/** Keep only what a row reads (a fleet of 2,000 Deployments is cached). */
function slim(o: KubeObject): KubeObject {
  const progressing = ((o.status?.conditions ?? []) as { type: string; reason?: string }[]).find(
    (c) => c.type === 'Progressing',
  );
  const rev = o.metadata.annotations?.[REVISION];
  return {
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      generation: o.metadata.generation,
      resourceVersion: o.metadata.resourceVersion,
      ...(rev ? { annotations: { [REVISION]: rev } } : {}),
    },
    spec: {
      replicas: o.spec?.replicas,
      paused: o.spec?.paused,
      image: templateImage(o.spec?.template),
    },
    status: {
      observedGeneration: o.status?.observedGeneration,
      replicas: o.status?.replicas,
      updatedReplicas: o.status?.updatedReplicas,
      readyReplicas: o.status?.readyReplicas,
      availableReplicas: o.status?.availableReplicas,
      progressingReason: progressing?.reason,
    },
  };
}

export function deploymentRow(d: KubeObject): DeploymentRow {
  const spec = d.spec ?? {};
  const st = d.status ?? {};
  const desired: number = spec.replicas ?? 1;
  return {
    namespace: d.metadata.namespace ?? '',
    name: d.metadata.name,
    rollout: rolloutStatus({
      name: d.metadata.name,
      generation: d.metadata.generation ?? 0,
      observedGeneration: st.observedGeneration ?? 0,
      specReplicas: desired,
      statusReplicas: st.replicas ?? 0,
      updatedReplicas: st.updatedReplicas ?? 0,
      availableReplicas: st.availableReplicas ?? 0,
      paused: Boolean(spec.paused),
      progressingReason: st.progressingReason,
    }),
    ready: st.readyReplicas ?? 0,
    desired,
    image: typeof spec.image === 'string' ? spec.image : templateImage(spec.template),
    revision: revisionOf(d),
  };
}

export function byNamespaceAndName(a: DeploymentRow, b: DeploymentRow): number {
  return a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
}

export function watchAllDeployments(
  client: KubeClient,
  namespace: string | null,
  listener: AllDeploymentsListener,
  opts: { batchMs?: number } = {},
): Unsubscribe {
  const path = namespace
    ? `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments`
    : '/apis/apps/v1/deployments';
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const flush = () => {
    timer = null;
    if (stopped || !informer.synced) return;
    const rows = [...informer.items.values()].map(deploymentRow).sort(byNamespaceAndName);
    listener.onRows(rows);
  };
  const schedule = () => {
    if (!timer && !stopped) timer = setTimeout(flush, opts.batchMs ?? 50);
  };
  const informer: Informer = new Informer(client, {
    kind: namespace ? `deployments in ${namespace}` : 'deployments (all namespaces)',
    path,
    keyOf: (o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`,
    transform: slim,
    onChange: schedule,
    onError: (message) => listener.onError(message),
  });
  informer.start();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    informer.stop();
  };
}
