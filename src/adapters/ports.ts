/**
 * The narrow interfaces the rest of the app sees. Each source kind has a read side and a mutate side.
 * Mutate sides are only ever handed to the policy gate (src/policy/gate.ts); in read-only mode they are
 * never constructed.
 */
import type {
  AlertView,
  CertView,
  ContainerView,
  HealthCheckResult,
  RolloutStatus,
  WorkloadSnapshot,
} from '../domain/model.js';
import type { WindowName } from '../domain/slo.js';
import type { CertificateConfig, ServiceConfig, SloConfig } from '../config/schema.js';

export type Unsubscribe = () => void;

/** A failure from a source, with enough context to show the operator. */
export interface SourceFailure {
  source: string;
  message: string;
}

export interface WorkloadRef {
  context?: string;
  namespace: string;
  deployment: string;
}

export function workloadKey(ref: WorkloadRef): string {
  return `${ref.context ?? ''}/${ref.namespace}/${ref.deployment}`;
}

export interface ClusterListener {
  onSnapshot(ref: WorkloadRef, snapshot: WorkloadSnapshot): void;
  onError(ref: WorkloadRef | null, message: string): void;
}

export interface AccessCheck {
  verb: string;
  resource: string;
  subresource?: string;
  namespace: string;
  allowed: boolean;
  reason?: string;
}

export interface ClusterReadPort {
  readonly kind: 'cluster';
  readonly contextName: string;
  /** Start watching these workloads; the listener receives full snapshots whenever anything about one changes. */
  watch(refs: WorkloadRef[], listener: ClusterListener): Unsubscribe;
  /** A fresh read of one workload (used right before acting, to compare resourceVersion). */
  get(ref: WorkloadRef): Promise<WorkloadSnapshot>;
  /** Whether the current identity may perform an action (SelfSubjectAccessReview on real clusters). */
  canI(ref: WorkloadRef, verb: string, resource: string, subresource?: string): Promise<AccessCheck>;
  /**
   * The certificate bundle (`tls.crt`, PEM, possibly several certificates) of a `kubernetes.io/tls` Secret.
   * Only the public certificate: the private key is never read. Optional: the certificate probe reports
   * a clear error when the cluster adapter does not offer it.
   */
  readTlsSecret?(ref: { context?: string; namespace: string; name: string }): Promise<{ certPem: string }>;
  /** A Secret's metadata, never its values: resourceVersion and the names of its data keys (secret rotation). */
  getSecretMeta?(ref: SecretRef): Promise<SecretMeta>;
  /**
   * Deployments in the namespace whose pod template consumes the Secret: env valueFrom.secretKeyRef, envFrom
   * secretRef, and volumes (secret and projected sources), in containers and init containers.
   */
  findConsumers?(namespace: string, secretName: string, context?: string): Promise<SecretConsumer[]>;
  /**
   * Who the cluster says we are (SelfSubjectReview, authentication.k8s.io/v1; null when the API does not
   * offer it). The runtime names this identity in every audit record that follows (AuditActor.kubernetes).
   */
  whoAmI?(): Promise<{ username: string; uid?: string; groups?: string[] } | null>;
  /**
   * Every Deployment this port's active context shows, in all namespaces (namespace null) or in one: a
   * list+watch, read-only. The listener receives the full, sorted row set after each (batched) change.
   */
  watchAllDeployments?(namespace: string | null, listener: AllDeploymentsListener): Unsubscribe;
  /** The contexts this port could switch to (kubeconfig contexts; the sandbox's simulated ones). */
  listContexts?(): Promise<string[]>;
  close(): Promise<void>;
}

/** One Deployment of the all-namespaces view (rollout maths of src/domain/rollout.ts). */
export interface DeploymentRow {
  namespace: string;
  name: string;
  rollout: RolloutStatus;
  ready: number;
  desired: number;
  image: string;
  revision: number;
}

export interface AllDeploymentsListener {
  onRows(rows: DeploymentRow[]): void;
  /** An error message, or null once the watch is healthy again. */
  onError(message: string | null): void;
}

export interface SecretRef {
  context?: string;
  namespace: string;
  name: string;
}

export interface SecretMeta {
  resourceVersion: string;
  keys: string[];
  type?: string;
}

export interface SecretConsumer extends WorkloadRef {
  /** How the pod template uses the Secret, e.g. "env STRIPE_KEY", "envFrom", "volume stripe". */
  via: string[];
}

export interface MutationResult {
  resourceVersion?: string;
  detail: string;
}

export class PreconditionFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreconditionFailed';
  }
}

export interface ClusterMutatePort {
  /** Roll back to a revision (kubectl rollout undo --to-revision). Fails with PreconditionFailed when resourceVersion moved. */
  rollback(
    ref: WorkloadRef,
    toRevision: number,
    expectedResourceVersion: string,
    opts?: { dryRun?: boolean },
  ): Promise<MutationResult>;
  scale(
    ref: WorkloadRef,
    replicas: number,
    expectedReplicas: number,
    opts?: { dryRun?: boolean },
  ): Promise<MutationResult>;
  restart(
    ref: WorkloadRef,
    expectedResourceVersion: string,
    opts?: { dryRun?: boolean },
  ): Promise<MutationResult>;
  setPaused(
    ref: WorkloadRef,
    paused: boolean,
    expectedResourceVersion: string,
    opts?: { dryRun?: boolean },
  ): Promise<MutationResult>;
  /** Post a Kubernetes Event on the target so others see the action in `kubectl describe`. */
  recordEvent(ref: WorkloadRef, reason: string, message: string): Promise<void>;
  /**
   * Set these keys of a Secret's data (other keys are kept), with a resourceVersion precondition
   * (PreconditionFailed when it moved). Values go to the API server only, never into results or errors.
   */
  replaceSecretData?(
    ref: SecretRef,
    data: Record<string, string>,
    expectedResourceVersion: string,
  ): Promise<MutationResult>;
}

export interface SloWindowRatios {
  ratios: Partial<Record<WindowName, number | null>>;
  windowRatio: number | null;
  errorSeries: number[];
  /** The latency SLO's ratios (share of requests slower than the threshold), when `slo.latency` is set. */
  latency?: Omit<SloWindowRatios, 'latency'>;
}

export interface MetricsReadPort {
  readonly kind: 'metrics';
  /** Error ratios for every service's SLO, batched (a constant number of requests whatever the service count). */
  sloRatios(
    slos: { service: string; slo: SloConfig }[],
    at: number,
  ): Promise<Record<string, SloWindowRatios>>;
  /** Firing and pending alerts, each joined to a service by label where possible. */
  alerts(services: string[]): Promise<AlertView[]>;
  /** Certificate expiry (seconds since epoch) from metrics, by configured metric. */
  certExpiry?(
    requests: { service: string; name: string; metric: string }[],
    /** Evaluation time (ms since epoch); default now. */
    at?: number,
  ): Promise<Record<string, CertView[]>>;
  close(): Promise<void>;
}

export interface ContainerSelector {
  service: string;
  name?: string;
  label?: string;
}

export interface ContainerListener {
  onContainers(service: string, containers: ContainerView[]): void;
  onError(message: string): void;
}

export interface ContainerReadPort {
  readonly kind: 'containers';
  watch(selectors: ContainerSelector[], listener: ContainerListener): Unsubscribe;
  list(selector: ContainerSelector): Promise<ContainerView[]>;
  /** Local tags of the same repository as the given image, newest first. */
  localTags(image: string): Promise<string[]>;
  close(): Promise<void>;
  /** A fresh read of one container with what a recreate would carry over (for previews and preconditions). */
  inspect?(containerId: string): Promise<ContainerDetails>;
  /** Whether an image reference is present locally (oncall never pulls). */
  imageExists?(image: string): Promise<boolean>;
  /** The original container a recreate kept (stopped, renamed) for the container named `name`, if any. */
  kept?(name: string): Promise<ContainerView | null>;
  /** The engine and where it was reached ("Podman Engine 4.3.1, API 1.41, at unix:///run/podman/podman.sock"). */
  describe?(): Promise<string>;
  /** Where the engine is reached ("unix:///run/podman/podman.sock"), shown as a procedure's context. */
  readonly endpoint?: string;
}

/** One container as a recreate sees it: its identity, labels and the settings carried to the new container. */
export interface ContainerDetails {
  view: ContainerView;
  labels: Record<string, string>;
  /** Whether the container defines a health check (its own or its image's). */
  hasHealthcheck: boolean;
  /** Human lines naming what a recreate carries over unchanged (env keys, mounts, restart policy, ...). */
  carried: string[];
  /** When the last health probe finished (ms), to tell a fresh result from one before a restart. */
  lastProbeAt?: number;
}

/** Name suffix of an original container kept (stopped) by a recreate until its replacement is verified. */
export const KEPT_CONTAINER_SUFFIX = '_oncall-kept';

/** Label a deploy pipeline may set on a container: the image it replaced (a rollback hint). */
export const PREVIOUS_IMAGE_LABEL = 'oncall.previous-image';

export interface ContainerMutatePort {
  /** Recreate the container from its own inspected config with only the image changed. Returns the new container id. */
  recreateWithImage(
    containerId: string,
    image: string,
    opts?: RecreateOptions,
  ): Promise<MutationResult & { containerId: string; keptName?: string }>;
  restart(containerId: string, opts?: { expectedImage?: string }): Promise<MutationResult>;
  /**
   * Put back the original container a recreate kept: the current container named `name` (if any) is stopped
   * and removed, the kept one renamed back and started. Fails when nothing was kept.
   */
  restoreOriginal?(name: string): Promise<MutationResult & { containerId: string }>;
}

export interface RecreateOptions {
  /** Fail with PreconditionFailed when the container no longer runs this image (it changed since the preview). */
  expectedImage?: string;
  /** Keep the original stopped and renamed until the new one is verified (default true where supported). */
  keepOriginal?: boolean;
}

export interface HealthProbePort {
  readonly kind: 'health';
  probe(service: string, endpoints: ServiceConfig['health']): Promise<HealthCheckResult[]>;
}

export interface CertProbePort {
  readonly kind: 'certs';
  probe(service: string, certs: CertificateConfig[], now: number): Promise<CertView[]>;
}

export interface SecretMetadata {
  path: string;
  currentVersion: number;
  versions: { version: number; createdTime: string; destroyed: boolean; deleted: boolean }[];
}

/**
 * Vault KV v2. Paths are logical `<mount>/<path>` as `vault kv get` takes them (secret/payments/stripe),
 * never the API's data/ or metadata/ forms.
 */
export interface SecretStoreReadPort {
  readonly kind: 'secrets';
  health(): Promise<{ sealed: boolean; standby: boolean; initialized: boolean }>;
  tokenInfo(): Promise<{ ttlSeconds: number; policies: string[] }>;
  metadata(path: string): Promise<SecretMetadata>;
  /** What the token may do on the KV v2 data and metadata paths of `path` (sys/capabilities-self). */
  capabilities?(path: string): Promise<{ data: string[]; metadata: string[] }>;
}

export interface SecretStoreMutatePort {
  /** Write with check-and-set; rejects with PreconditionFailed when the current version differs from `cas`. */
  write(path: string, data: Record<string, string>, cas: number): Promise<{ version: number }>;
  readVersion(path: string, version: number): Promise<Record<string, string>>;
}

/** Everything the app reads. */
export interface ReadPorts {
  cluster?: ClusterReadPort;
  metrics?: MetricsReadPort;
  containers?: ContainerReadPort;
  health?: HealthProbePort;
  certs?: CertProbePort;
  secrets?: SecretStoreReadPort;
}

/** Everything that can change the world. Only the policy gate holds this. */
export interface MutatePorts {
  cluster?: ClusterMutatePort;
  containers?: ContainerMutatePort;
  secrets?: SecretStoreMutatePort;
}
