/** Shared domain types: what every source reports, independent of where it came from. */

export type Level = 'ok' | 'warning' | 'critical' | 'unknown';
export type Tier = 'production' | 'staging' | 'dev';

export interface RevisionInfo {
  revision: number;
  image: string;
  changeCause: string;
  createdAt?: number;
}

export type RolloutPhase =
  'complete' | 'progressing' | 'paused' | 'deadline-exceeded' | 'scaled-to-zero' | 'unknown';

export interface RolloutStatus {
  phase: RolloutPhase;
  /** Human sentence, kubectl-style ("Waiting for deployment ... 2 of 3 updated replicas are available..."). */
  message: string;
  done: boolean;
}

export interface PodView {
  name: string;
  ready: boolean;
  phase: string;
  restarts: number;
  reason?: string;
  revision?: number;
}

export interface HpaView {
  min: number;
  max: number;
  current: number;
  desired: number;
}

export interface EventView {
  at: number;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface WorkloadSnapshot {
  kind: 'Deployment';
  name: string;
  namespace: string;
  context: string;
  resourceVersion: string;
  generation: number;
  observedGeneration: number;
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  paused: boolean;
  revision: number;
  image: string;
  rollout: RolloutStatus;
  history: RevisionInfo[];
  pods: PodView[];
  hpa?: HpaView;
  events: EventView[];
  /** Actions (rollback, scale, restart, pause) the current identity may not perform, with the reason (RBAC). */
  denied?: Record<string, string>;
}

export interface ContainerView {
  id: string;
  name: string;
  state: string;
  health: 'healthy' | 'unhealthy' | 'starting' | 'none';
  healthOutput?: string;
  image: string;
  imageDigest?: string;
  restartCount: number;
  oomKilled: boolean;
  exitCode: number;
  startedAt?: number;
}

export interface HealthCheckResult {
  url: string;
  name: string;
  state: Level;
  statusCode?: number;
  latencyMs?: number;
  checks: { name: string; status: string; ok: boolean }[];
  error?: string;
  at: number;
}

/** 'unknown': the certificate could not be read (see CertView.error). */
export type CertLevel = 'ok' | 'warning' | 'critical' | 'unknown';

export interface CertView {
  name: string;
  source: 'tls' | 'kubernetes-secret' | 'metric' | 'sandbox';
  subject: string;
  issuer: string;
  sans: string[];
  serial: string;
  notBefore: number;
  notAfter: number;
  daysLeft: number;
  level: CertLevel;
  problems: string[];
  /** Where it came from: "host:port" (with SNI), "namespace/secret", or the metric name. */
  endpoint?: string;
  /** 0 = the leaf (or the first certificate of a bundle), 1 = its issuer, ... */
  chainPosition?: number;
  /**
   * Set when the certificate could not be read (timeout, refused, no such Secret): level is 'unknown', and
   * notBefore/notAfter/daysLeft carry no expiry (notAfter = the probe time, daysLeft 0) — read `error` first.
   */
  error?: string;
}

export interface AlertView {
  name: string;
  state: 'firing' | 'pending';
  severity: string;
  summary: string;
  runbookUrl?: string;
  service?: string;
  activeAt?: number;
}

export type BurnAlert = 'none' | 'ticket' | 'page';

export interface BurnWindowResult {
  long: string;
  short: string;
  longBurn: number | null;
  shortBurn: number | null;
  threshold: number;
  severity: 'page' | 'ticket';
  firing: boolean;
}

export interface SloStatus {
  objective: number; // percent, e.g. 99.9
  windowDays: number;
  sli: number | null; // percent over the SLO window
  budgetTotalMinutes: number;
  budgetUsedFraction: number | null;
  budgetRemainingMinutes: number | null;
  burnRate1h: number | null;
  burnRate6h: number | null;
  windows: BurnWindowResult[];
  alert: BurnAlert;
  exhaustionHours: number | null;
  errorSeries: number[];
  noData: boolean;
  /** The latency SLO (share of requests slower than the threshold), evaluated the same way, when configured. */
  latency?: SloStatus & { thresholdSeconds: number };
}
