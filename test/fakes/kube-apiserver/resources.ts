/**
 * The API resources the fake serves, with their discovery entries, defaulting, validation and Table printing
 * (column sets follow the real server's printers for the kinds kubectl shows most).
 */
import { selectorToString } from './selectors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KObj = any;

export interface Cause {
  field: string;
  reason: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueForbidden';
  message: string;
}

export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'number' | 'boolean';
  format?: string;
  description: string;
  priority: number;
}

export interface ResourceDef {
  group: string;
  version: string;
  /** plural, as in the URL */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  /** where objects live; two defs may share one storage (core and events.k8s.io Events) */
  storage: string;
  subresources: Array<'status' | 'scale'>;
  /** a create-only virtual resource (access reviews): nothing is stored */
  virtual?: boolean;
  /** convert a stored object into this def's representation and back (events.k8s.io/v1 over core/v1) */
  toExternal?: (o: KObj) => KObj;
  toStorage?: (o: KObj) => KObj;
  table?: { columns: TableColumn[]; cells: (o: KObj, now: number) => unknown[] };
}

export const gv = (d: Pick<ResourceDef, 'group' | 'version'>) =>
  d.group ? `${d.group}/${d.version}` : d.version;
/** `deployments.apps`, `pods` — how the API names a resource in messages. */
export const qualified = (d: ResourceDef) => (d.group ? `${d.resource}.${d.group}` : d.resource);

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function age(ts: string | undefined, now: number): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

const col = (
  name: string,
  type: TableColumn['type'],
  description: string,
  priority = 0,
  format?: string,
): TableColumn => ({
  name,
  type,
  description,
  priority,
  ...(format ? { format } : {}),
});
const NAME = col('Name', 'string', 'Name must be unique within a namespace.', 0, 'name');
const AGE = col(
  'Age',
  'string',
  'CreationTimestamp is a timestamp representing the server time when this object was created.',
);

const containers = (tpl: KObj) => (tpl?.spec?.containers ?? []) as KObj[];

function podReadyCounts(p: KObj): { ready: number; total: number; restarts: number; reason: string } {
  const statuses = (p.status?.containerStatuses ?? []) as KObj[];
  const total = (p.spec?.containers ?? []).length;
  let ready = 0;
  let restarts = 0;
  let reason: string = p.status?.reason ?? p.status?.phase ?? 'Pending';
  for (const c of statuses) {
    if (c.ready) ready++;
    restarts += c.restartCount ?? 0;
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
  }
  if (p.metadata?.deletionTimestamp) reason = 'Terminating';
  return { ready, total, restarts, reason };
}

export const RESOURCES: ResourceDef[] = [
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    namespaced: false,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['ns'],
    storage: 'namespaces',
    subresources: ['status'],
    table: {
      columns: [NAME, col('Status', 'string', 'The status of the namespace'), AGE],
      cells: (o, now) => [
        o.metadata.name,
        o.status?.phase ?? 'Active',
        age(o.metadata.creationTimestamp, now),
      ],
    },
  },
  {
    group: '',
    version: 'v1',
    resource: 'pods',
    singular: 'pod',
    kind: 'Pod',
    namespaced: true,
    verbs: RW,
    shortNames: ['po'],
    categories: ['all'],
    storage: 'pods',
    subresources: ['status'],
    table: {
      columns: [
        NAME,
        col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
        col('Status', 'string', 'The aggregate status of the containers in this pod.'),
        col('Restarts', 'string', 'The number of times the containers in this pod have been restarted.'),
        AGE,
        col('IP', 'string', 'IP address allocated to the pod.', 1),
        col('Node', 'string', 'Name of the node this pod is assigned to.', 1),
      ],
      cells: (o, now) => {
        const c = podReadyCounts(o);
        return [
          o.metadata.name,
          `${c.ready}/${c.total}`,
          c.reason,
          String(c.restarts),
          age(o.metadata.creationTimestamp, now),
          o.status?.podIP ?? '<none>',
          o.spec?.nodeName ?? '<none>',
        ];
      },
    },
  },
  {
    group: '',
    version: 'v1',
    resource: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    verbs: RW,
    shortNames: ['ev'],
    storage: 'events',
    subresources: [],
    table: {
      columns: [
        col('Last Seen', 'string', 'Time when last event from this group was observed.'),
        col(
          'Type',
          'string',
          'Type of this event (Normal, Warning), new types could be added in the future.',
        ),
        col(
          'Reason',
          'string',
          "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
        ),
        col('Object', 'string', 'The object that this event is about.'),
        col('Message', 'string', 'A human-readable description of the status of this operation.'),
        col('Source', 'string', 'The component reporting this event.', 1),
        col('First Seen', 'string', 'The time at which the event was first recorded.', 1),
        col('Count', 'string', 'The number of times this event has occurred.', 1),
        col('Name', 'string', 'Name must be unique within a namespace.', 1, 'name'),
      ],
      cells: (o, now) => {
        const last = o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
        const obj = `${String(o.involvedObject?.kind ?? '').toLowerCase()}/${o.involvedObject?.name ?? ''}`;
        return [
          age(last, now),
          o.type ?? '',
          o.reason ?? '',
          obj,
          o.message ?? '',
          o.source?.component ?? o.reportingComponent ?? '',
          age(o.firstTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp, now),
          String(o.count ?? 1),
          o.metadata.name,
        ];
      },
    },
  },
  {
    group: '',
    version: 'v1',
    resource: 'secrets',
    singular: 'secret',
    kind: 'Secret',
    namespaced: true,
    verbs: RW,
    storage: 'secrets',
    subresources: [],
    table: {
      columns: [
        NAME,
        col('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
        col('Data', 'string', 'Data contains the secret data.'),
        AGE,
      ],
      cells: (o, now) => [
        o.metadata.name,
        o.type ?? 'Opaque',
        String(Object.keys(o.data ?? {}).length),
        age(o.metadata.creationTimestamp, now),
      ],
    },
  },
  {
    group: '',
    version: 'v1',
    resource: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    namespaced: true,
    verbs: RW,
    shortNames: ['cm'],
    storage: 'configmaps',
    subresources: [],
  },
  {
    group: '',
    version: 'v1',
    resource: 'services',
    singular: 'service',
    kind: 'Service',
    namespaced: true,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['svc'],
    categories: ['all'],
    storage: 'services',
    subresources: ['status'],
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    namespaced: true,
    verbs: RW,
    shortNames: ['deploy'],
    categories: ['all'],
    storage: 'deployments',
    subresources: ['status', 'scale'],
    table: {
      columns: [
        NAME,
        col('Ready', 'string', 'Number of the pod with ready state'),
        col(
          'Up-to-date',
          'string',
          'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
        ),
        col(
          'Available',
          'string',
          'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
        ),
        AGE,
        col('Containers', 'string', 'Names of each container in the template.', 1),
        col('Images', 'string', 'Images referenced by each container in the template.', 1),
        col(
          'Selector',
          'string',
          'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
          1,
        ),
      ],
      cells: (o, now) => [
        o.metadata.name,
        `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
        o.status?.updatedReplicas ?? 0,
        o.status?.availableReplicas ?? 0,
        age(o.metadata.creationTimestamp, now),
        containers(o.spec?.template)
          .map((c) => c.name)
          .join(','),
        containers(o.spec?.template)
          .map((c) => c.image)
          .join(','),
        selectorToString(o.spec?.selector),
      ],
    },
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    singular: 'replicaset',
    kind: 'ReplicaSet',
    namespaced: true,
    verbs: RW,
    shortNames: ['rs'],
    categories: ['all'],
    storage: 'replicasets',
    subresources: ['status', 'scale'],
    table: {
      columns: [
        NAME,
        col('Desired', 'integer', 'Replicas is the number of desired replicas.'),
        col('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
        col('Ready', 'integer', 'The number of ready replicas for this replica set.'),
        AGE,
        col('Containers', 'string', 'Names of each container in the template.', 1),
        col('Images', 'string', 'Images referenced by each container in the template.', 1),
        col(
          'Selector',
          'string',
          'Selector is a label query over pods that should match the replica count.',
          1,
        ),
      ],
      cells: (o, now) => [
        o.metadata.name,
        o.spec?.replicas ?? 0,
        o.status?.replicas ?? 0,
        o.status?.readyReplicas ?? 0,
        age(o.metadata.creationTimestamp, now),
        containers(o.spec?.template)
          .map((c) => c.name)
          .join(','),
        containers(o.spec?.template)
          .map((c) => c.image)
          .join(','),
        selectorToString(o.spec?.selector),
      ],
    },
  },
  {
    group: 'autoscaling',
    version: 'v2',
    resource: 'horizontalpodautoscalers',
    singular: 'horizontalpodautoscaler',
    kind: 'HorizontalPodAutoscaler',
    namespaced: true,
    verbs: RW,
    shortNames: ['hpa'],
    categories: ['all'],
    storage: 'horizontalpodautoscalers',
    subresources: ['status'],
    table: {
      columns: [
        NAME,
        col('Reference', 'string', 'Reference to the scaled object.'),
        col('Targets', 'string', 'Current and target metrics.'),
        col('MinPods', 'string', 'Lower limit for the number of pods.'),
        col('MaxPods', 'string', 'Upper limit for the number of pods.'),
        col('Replicas', 'string', 'Current number of replicas of pods managed by this autoscaler.'),
        AGE,
      ],
      cells: (o, now) => [
        o.metadata.name,
        `${o.spec?.scaleTargetRef?.kind ?? ''}/${o.spec?.scaleTargetRef?.name ?? ''}`,
        '<unknown>',
        String(o.spec?.minReplicas ?? 1),
        String(o.spec?.maxReplicas ?? 0),
        String(o.status?.currentReplicas ?? 0),
        age(o.metadata.creationTimestamp, now),
      ],
    },
  },
  {
    group: 'autoscaling',
    version: 'v1',
    resource: 'horizontalpodautoscalers',
    singular: 'horizontalpodautoscaler',
    kind: 'HorizontalPodAutoscaler',
    namespaced: true,
    verbs: RW,
    shortNames: ['hpa'],
    categories: ['all'],
    storage: 'horizontalpodautoscalers',
    subresources: ['status'],
    toExternal: hpaV2ToV1,
    toStorage: hpaV1ToV2,
  },
  {
    group: 'authentication.k8s.io',
    version: 'v1',
    resource: 'selfsubjectreviews',
    singular: 'selfsubjectreview',
    kind: 'SelfSubjectReview',
    namespaced: false,
    verbs: ['create'],
    storage: 'selfsubjectreviews',
    subresources: [],
    virtual: true,
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'selfsubjectaccessreviews',
    singular: 'selfsubjectaccessreview',
    kind: 'SelfSubjectAccessReview',
    namespaced: false,
    verbs: ['create'],
    storage: 'selfsubjectaccessreviews',
    subresources: [],
    virtual: true,
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    resource: 'selfsubjectrulesreviews',
    singular: 'selfsubjectrulesreview',
    kind: 'SelfSubjectRulesReview',
    namespaced: false,
    verbs: ['create'],
    storage: 'selfsubjectrulesreviews',
    subresources: [],
    virtual: true,
  },
  {
    group: 'events.k8s.io',
    version: 'v1',
    resource: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    verbs: RW,
    shortNames: ['ev'],
    storage: 'events',
    subresources: [],
    toExternal: coreEventToEventsV1,
    toStorage: eventsV1ToCoreEvent,
  },
];

/** autoscaling/v1 HPAs are a view over the autoscaling/v2 storage: only the CPU utilisation target survives. */
export function hpaV2ToV1(h: KObj): KObj {
  const spec = h.spec ?? {};
  const cpu = (spec.metrics as KObj[] | undefined)?.find(
    (m) => m.type === 'Resource' && m.resource?.name === 'cpu',
  )?.resource?.target;
  const out: KObj = {
    kind: 'HorizontalPodAutoscaler',
    apiVersion: 'autoscaling/v1',
    metadata: h.metadata,
    spec: {
      scaleTargetRef: spec.scaleTargetRef,
      ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}),
      maxReplicas: spec.maxReplicas,
      ...(cpu?.averageUtilization !== undefined
        ? { targetCPUUtilizationPercentage: cpu.averageUtilization }
        : {}),
    },
    status: {},
  };
  const st = h.status ?? {};
  for (const k of ['observedGeneration', 'lastScaleTime', 'currentReplicas', 'desiredReplicas'])
    if (st[k] !== undefined) out.status[k] = st[k];
  out.status.currentReplicas ??= 0;
  out.status.desiredReplicas ??= 0;
  return out;
}

export function hpaV1ToV2(h: KObj): KObj {
  const spec = h.spec ?? {};
  const out: KObj = {
    kind: 'HorizontalPodAutoscaler',
    apiVersion: 'autoscaling/v2',
    metadata: h.metadata ?? {},
    spec: {
      scaleTargetRef: spec.scaleTargetRef,
      ...(spec.minReplicas !== undefined ? { minReplicas: spec.minReplicas } : {}),
      maxReplicas: spec.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: {
            name: 'cpu',
            target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage ?? 80 },
          },
        },
      ],
    },
  };
  if (h.status) out.status = { ...h.status };
  return out;
}

/** events.k8s.io/v1 is a view over the core/v1 Event storage, field for field as the API server converts it. */
export function coreEventToEventsV1(e: KObj): KObj {
  const out: KObj = { kind: 'Event', apiVersion: 'events.k8s.io/v1', metadata: e.metadata };
  out.eventTime = e.eventTime ?? null;
  if (e.series) out.series = { count: e.series.count, lastObservedTime: e.series.lastObservedTime };
  if (e.reportingComponent ?? e.source?.component)
    out.reportingController = e.reportingComponent || e.source?.component;
  if (e.reportingInstance ?? e.source?.host) out.reportingInstance = e.reportingInstance || e.source?.host;
  for (const k of ['action', 'reason', 'type']) if (e[k] !== undefined) out[k] = e[k];
  if (e.involvedObject) out.regarding = e.involvedObject;
  if (e.related) out.related = e.related;
  if (e.message !== undefined) out.note = e.message;
  if (e.source && Object.keys(e.source).length) out.deprecatedSource = e.source;
  if (e.firstTimestamp) out.deprecatedFirstTimestamp = e.firstTimestamp;
  if (e.lastTimestamp) out.deprecatedLastTimestamp = e.lastTimestamp;
  if (e.count) out.deprecatedCount = e.count;
  return out;
}

export function eventsV1ToCoreEvent(e: KObj): KObj {
  const out: KObj = { kind: 'Event', apiVersion: 'v1', metadata: e.metadata ?? {} };
  out.eventTime = e.eventTime ?? null;
  if (e.series) out.series = { count: e.series.count, lastObservedTime: e.series.lastObservedTime };
  if (e.reportingController !== undefined) out.reportingComponent = e.reportingController;
  if (e.reportingInstance !== undefined) out.reportingInstance = e.reportingInstance;
  for (const k of ['action', 'reason', 'type']) if (e[k] !== undefined) out[k] = e[k];
  out.involvedObject = e.regarding ?? {};
  if (e.related) out.related = e.related;
  if (e.note !== undefined) out.message = e.note;
  out.source = e.deprecatedSource ?? {};
  if (e.deprecatedFirstTimestamp) out.firstTimestamp = e.deprecatedFirstTimestamp;
  if (e.deprecatedLastTimestamp) out.lastTimestamp = e.deprecatedLastTimestamp;
  if (e.deprecatedCount) out.count = e.deprecatedCount;
  return out;
}

export function discoveryGroups(): Map<string, Map<string, ResourceDef[]>> {
  const groups = new Map<string, Map<string, ResourceDef[]>>();
  for (const d of RESOURCES) {
    const versions = groups.get(d.group) ?? new Map<string, ResourceDef[]>();
    groups.set(d.group, versions);
    const list = versions.get(d.version) ?? [];
    versions.set(d.version, list);
    list.push(d);
  }
  return groups;
}

export function apiResourceList(group: string, version: string, defs: ResourceDef[]): KObj {
  const resources: KObj[] = [];
  for (const d of defs) {
    resources.push({
      name: d.resource,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.verbs,
      ...(d.shortNames ? { shortNames: d.shortNames } : {}),
      ...(d.categories ? { categories: d.categories } : {}),
    });
    for (const s of d.subresources) {
      if (s === 'status')
        resources.push({
          name: `${d.resource}/status`,
          singularName: '',
          namespaced: d.namespaced,
          kind: d.kind,
          verbs: ['get', 'patch', 'update'],
        });
      else
        resources.push({
          name: `${d.resource}/scale`,
          singularName: '',
          namespaced: d.namespaced,
          group: 'autoscaling',
          version: 'v1',
          kind: 'Scale',
          verbs: ['get', 'patch', 'update'],
        });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

// ---- defaulting ---------------------------------------------------------------------------------------------

function defaultPodSpec(spec: KObj): void {
  if (!spec) return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    if (!c || typeof c !== 'object') continue;
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
    if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
      const tagged = /:[^/]+$/.test(c.image) && !c.image.endsWith(':latest');
      c.imagePullPolicy = tagged || c.image.includes('@') ? 'IfNotPresent' : 'Always';
    }
    c.resources ??= {};
    for (const p of c.ports ?? []) if (p && typeof p === 'object') p.protocol ??= 'TCP';
  }
}

function defaultTemplate(tpl: KObj): void {
  if (!tpl || typeof tpl !== 'object') return;
  tpl.metadata ??= {};
  if (!('creationTimestamp' in tpl.metadata)) tpl.metadata.creationTimestamp = null;
  defaultPodSpec(tpl.spec);
}

/** Server-side defaults the real API server applies (the ones visible in `kubectl get -o yaml`). */
export function applyDefaults(d: ResourceDef, o: KObj): void {
  if (d.storage === 'deployments' && o.spec && typeof o.spec === 'object') {
    const s = o.spec;
    s.replicas ??= 1;
    s.revisionHistoryLimit ??= 10;
    s.progressDeadlineSeconds ??= 600;
    s.strategy ??= {};
    s.strategy.type ??= 'RollingUpdate';
    if (s.strategy.type === 'RollingUpdate') {
      s.strategy.rollingUpdate ??= {};
      s.strategy.rollingUpdate.maxSurge ??= '25%';
      s.strategy.rollingUpdate.maxUnavailable ??= '25%';
    }
    defaultTemplate(s.template);
  } else if (d.storage === 'replicasets' && o.spec && typeof o.spec === 'object') {
    o.spec.replicas ??= 1;
    defaultTemplate(o.spec.template);
  } else if (d.storage === 'pods') {
    defaultPodSpec(o.spec);
  } else if (d.storage === 'secrets') {
    o.type ??= 'Opaque';
  } else if (d.storage === 'namespaces') {
    o.spec ??= { finalizers: ['kubernetes'] };
    o.status ??= { phase: 'Active' };
    o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name };
  } else if (d.storage === 'horizontalpodautoscalers' && o.spec && typeof o.spec === 'object') {
    o.spec.minReplicas ??= 1;
    if (!Array.isArray(o.spec.metrics) || o.spec.metrics.length === 0)
      o.spec.metrics = [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
        },
      ];
  } else if (d.storage === 'events') {
    o.involvedObject ??= {};
    o.source ??= {};
    o.reportingComponent ??= '';
    o.reportingInstance ??= '';
    if (!('eventTime' in o)) o.eventTime = null;
  }
}

// ---- validation ---------------------------------------------------------------------------------------------

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function validatePodTemplateSpec(spec: KObj, at: string, out: Cause[]): void {
  const cs = spec?.containers;
  if (!Array.isArray(cs) || cs.length === 0) {
    out.push({ field: `${at}.containers`, reason: 'FieldValueRequired', message: 'Required value' });
    return;
  }
  const seen = new Set<string>();
  cs.forEach((c: KObj, i: number) => {
    const f = `${at}.containers[${i}]`;
    if (!c?.name) out.push({ field: `${f}.name`, reason: 'FieldValueRequired', message: 'Required value' });
    else if (!DNS1123_LABEL.test(c.name))
      out.push({
        field: `${f}.name`,
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${c.name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`,
      });
    else if (seen.has(c.name))
      out.push({ field: `${f}.name`, reason: 'FieldValueInvalid', message: `Duplicate value: "${c.name}"` });
    if (c?.name) seen.add(c.name);
    if (!c?.image || typeof c.image !== 'string' || c.image.trim() === '')
      out.push({ field: `${f}.image`, reason: 'FieldValueRequired', message: 'Required value' });
  });
}

function labelsMatch(selector: KObj, labels: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries((selector?.matchLabels ?? {}) as Record<string, string>))
    if (labels?.[k] !== v) return false;
  return true;
}

function validateWorkload(o: KObj, old: KObj | undefined, out: Cause[]): void {
  const s = o.spec;
  if (!s || typeof s !== 'object') {
    out.push({ field: 'spec', reason: 'FieldValueRequired', message: 'Required value' });
    return;
  }
  if (typeof s.replicas !== 'number' || !Number.isInteger(s.replicas) || s.replicas < 0)
    out.push({
      field: 'spec.replicas',
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(s.replicas)}: must be greater than or equal to 0`,
    });
  const sel = s.selector;
  if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0))
    out.push({
      field: 'spec.selector',
      reason: 'FieldValueInvalid',
      message: 'Invalid value: "null": empty selector is invalid for deployment',
    });
  else if (!labelsMatch(sel, s.template?.metadata?.labels))
    out.push({
      field: 'spec.template.metadata.labels',
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(s.template?.metadata?.labels ?? {})}: \`selector\` does not match template \`labels\``,
    });
  if (old && JSON.stringify(old.spec?.selector) !== JSON.stringify(sel))
    out.push({
      field: 'spec.selector',
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(sel)}: field is immutable`,
    });
  validatePodTemplateSpec(s.template?.spec, 'spec.template.spec', out);
  const ru = s.strategy?.rollingUpdate;
  if (s.strategy?.type === 'RollingUpdate' && ru) {
    const zero = (v: unknown) => v === 0 || v === '0%';
    if (zero(ru.maxSurge) && zero(ru.maxUnavailable))
      out.push({
        field: 'spec.strategy.rollingUpdate.maxUnavailable',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: 0: may not be 0 when `maxSurge` is 0',
      });
  }
  if (s.progressDeadlineSeconds !== undefined && s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0))
    out.push({
      field: 'spec.progressDeadlineSeconds',
      reason: 'FieldValueInvalid',
      message: 'Invalid value: must be greater than minReadySeconds',
    });
}

export function validate(d: ResourceDef, o: KObj, old: KObj | undefined): Cause[] {
  const out: Cause[] = [];
  const name = o?.metadata?.name;
  if (!name && !o?.metadata?.generateName)
    out.push({
      field: 'metadata.name',
      reason: 'FieldValueRequired',
      message: 'Required value: name or generateName is required',
    });
  else if (name && !DNS1123_SUBDOMAIN.test(name))
    out.push({
      field: 'metadata.name',
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
    });
  switch (d.storage) {
    case 'deployments':
      validateWorkload(o, old, out);
      break;
    case 'replicasets':
      validateWorkload(o, old, out);
      break;
    case 'pods':
      validatePodTemplateSpec(o.spec, 'spec', out);
      break;
    case 'secrets': {
      for (const [k, v] of Object.entries(o.data ?? {}))
        if (typeof v !== 'string' || !BASE64.test(v))
          out.push({
            field: `data[${k}]`,
            reason: 'FieldValueInvalid',
            message: 'Invalid value: illegal base64 data',
          });
      if (o.type === 'kubernetes.io/tls')
        for (const k of ['tls.crt', 'tls.key'])
          if (!(k in (o.data ?? {})) && !(k in (o.stringData ?? {})))
            out.push({ field: `data[${k}]`, reason: 'FieldValueRequired', message: 'Required value' });
      if (old && old.type !== o.type)
        out.push({
          field: 'type',
          reason: 'FieldValueInvalid',
          message: 'Invalid value: field is immutable',
        });
      if (old?.immutable && JSON.stringify(old.data ?? {}) !== JSON.stringify(o.data ?? {}))
        out.push({
          field: 'data',
          reason: 'FieldValueForbidden',
          message: 'Forbidden: field is immutable when `immutable` is set',
        });
      break;
    }
    case 'horizontalpodautoscalers': {
      const s = o.spec ?? {};
      if (!s.scaleTargetRef?.kind || !s.scaleTargetRef?.name)
        out.push({ field: 'spec.scaleTargetRef', reason: 'FieldValueRequired', message: 'Required value' });
      if (!(s.maxReplicas >= 1))
        out.push({
          field: 'spec.maxReplicas',
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${s.maxReplicas}: must be greater than or equal to 1`,
        });
      if (s.minReplicas !== undefined && s.minReplicas > s.maxReplicas)
        out.push({
          field: 'spec.maxReplicas',
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${s.maxReplicas}: must be greater than or equal to \`minReplicas\``,
        });
      break;
    }
    case 'events': {
      const ns = o.metadata?.namespace;
      if (o.involvedObject?.namespace && ns && o.involvedObject.namespace !== ns)
        out.push({
          field: 'involvedObject.namespace',
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${o.involvedObject.namespace}": does not match event.namespace`,
        });
      if (o.type && o.type !== 'Normal' && o.type !== 'Warning')
        out.push({
          field: 'type',
          reason: 'FieldValueNotSupported',
          message: `Unsupported value: "${o.type}": supported values: "Normal", "Warning"`,
        });
      break;
    }
  }
  return out;
}

/** events.k8s.io/v1 create validation is stricter than core/v1 (eventTime, reportingController, ...). */
export function validateEventsV1(o: KObj): Cause[] {
  const out: Cause[] = [];
  const req = (f: string) => out.push({ field: f, reason: 'FieldValueRequired', message: 'Required value' });
  if (!o.eventTime) req('eventTime');
  if (!o.reportingController) req('reportingController');
  if (!o.reportingInstance) req('reportingInstance');
  if (!o.action) req('action');
  if (!o.reason) req('reason');
  if (o.type !== 'Normal' && o.type !== 'Warning')
    out.push({
      field: 'type',
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: "${o.type ?? ''}": supported values: "Normal", "Warning"`,
    });
  if (typeof o.note === 'string' && Buffer.byteLength(o.note) > 1024)
    out.push({
      field: 'note',
      reason: 'FieldValueInvalid',
      message: 'Invalid value: can have at most 1024 characters',
    });
  return out;
}
