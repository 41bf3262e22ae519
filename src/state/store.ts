/**
 * One zustand vanilla store with a slice per source. Loops outside React write here; screens read through
 * selector hooks (src/hooks). Each source records updatedAt and its last error so screens can say
 * "stale 2m: connection refused" instead of freezing or lying.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  AlertView,
  CertView,
  ContainerView,
  HealthCheckResult,
  SloStatus,
  WorkloadSnapshot,
} from '../domain/model.js';
import type { Config, ServiceConfig } from '../config/schema.js';
import type { ProcedureView } from '../procedures/view.js';
import type { VaultStatus } from './vault-status.js';
import type { AuditRecord } from '../audit/record.js';
import type { UnfinishedProcedure } from '../audit/unfinished.js';
import type { ForwardStatus } from '../audit/log.js';
import type { DeploymentRow } from '../adapters/ports.js';

export type SourceName = 'cluster' | 'metrics' | 'containers' | 'health' | 'certs' | 'secrets';

export interface SourceStatus {
  configured: boolean;
  updatedAt: number | null;
  error: string | null;
  errorSince: number | null;
}

export type ScreenName = 'overview' | 'service' | 'audit' | 'help' | 'certs' | 'workloads' | 'contexts';

/**
 * The command line (`:`), the context switch and the all-namespaces view reach the runtime through this
 * (src/cli/context-switch.ts); null when no cluster is configured.
 */
export interface ClusterControl {
  /** The sandbox's simulated contexts (demo) rather than a kubeconfig's. */
  readonly sandbox: boolean;
  listContexts(): Promise<string[]>;
  /** Close the cluster adapter and load one for `name`; rejects (previous adapter kept) with the reason. */
  switchContext(name: string): Promise<void>;
  /** Watch every Deployment of the active context (namespace null: all namespaces) into `workloadsView`. */
  openWorkloads(namespace: string | null): void;
  closeWorkloads(): void;
}

/** The Workloads screen's data: Deployments of the active context, from a list+watch. */
export interface WorkloadsView {
  context: string;
  namespace: string | null;
  rows: DeploymentRow[];
  error: string | null;
  updatedAt: number | null;
}

/** "Switch context?" — y/N, or the typed context name when the target is a production context. */
export interface ContextSwitchPrompt {
  from: string;
  to: string;
  production: boolean;
  typed: string;
  busy: boolean;
}

export interface UiState {
  stack: ScreenName[];
  selectedService: string | null;
  overviewIndex: number;
  filter: string;
  filterEditing: boolean;
  flash: { text: string; level: 'info' | 'warning' | 'error' } | null;
  helpFor: ScreenName;
  /** First visible line of the Help screen. */
  helpScroll?: number;
  /** The `:` command line being edited (null when closed). */
  command?: string | null;
  /** Contexts listed by `:ctx` (the Contexts screen). */
  contexts?: string[] | null;
  contextsIndex?: number;
  contextSwitch?: ContextSwitchPrompt | null;
  workloadsIndex?: number;
  workloadsFilter?: string;
  workloadsFilterEditing?: boolean;
}

/** The Audit screen and the audit banner: chain verification, unfinished procedures, forwarding, filter. */
export interface AuditViewState {
  file: string | null;
  verify: {
    state: 'unknown' | 'checking' | 'ok' | 'failed' | 'error';
    summary: string;
    problems: string[];
    checkedAt: number | null;
  };
  unfinished: UnfinishedProcedure[];
  forward: ForwardStatus[];
  filter: string;
  filterEditing: boolean;
  /** Show only the records of this operation (inspecting an unfinished procedure). */
  operationId: string | null;
  /** Rows scrolled back from the newest. */
  offset: number;
}

export interface AppState {
  mode: 'demo' | 'live';
  readOnly: boolean;
  readOnlyReason: string | null;
  contextName: string;
  services: ServiceConfig[];
  productionContexts: string[];
  now: number;
  sources: Record<SourceName, SourceStatus>;
  workloads: Record<string, WorkloadSnapshot>;
  workloadErrors: Record<string, string>;
  containers: Record<string, ContainerView[]>;
  health: Record<string, HealthCheckResult[]>;
  healthLatency: Record<string, number[]>;
  slo: Record<string, SloStatus>;
  alerts: AlertView[];
  certs: Record<string, CertView[]>;
  audit: AuditRecord[];
  auditView: AuditViewState;
  procedure: ProcedureView | null;
  /** Vault's health and token, when a Vault is configured (src/state/vault-status.ts). */
  vault?: VaultStatus | null;
  clusterControl?: ClusterControl | null;
  workloadsView?: WorkloadsView | null;
  ui: UiState;
}

export type AppStore = StoreApi<AppState>;

const SOURCES: SourceName[] = ['cluster', 'metrics', 'containers', 'health', 'certs', 'secrets'];

export interface StoreInit {
  config: Config;
  mode: 'demo' | 'live';
  readOnly: boolean;
  readOnlyReason?: string | null;
  contextName: string;
  configured: Partial<Record<SourceName, boolean>>;
  now: number;
}

export function createAppStore(init: StoreInit): AppStore {
  const sources = Object.fromEntries(
    SOURCES.map((s) => [
      s,
      { configured: Boolean(init.configured[s]), updatedAt: null, error: null, errorSince: null },
    ]),
  ) as Record<SourceName, SourceStatus>;
  return createStore<AppState>()(() => ({
    mode: init.mode,
    readOnly: init.readOnly,
    readOnlyReason: init.readOnlyReason ?? (init.readOnly ? 'read-only mode (--read-only)' : null),
    contextName: init.contextName,
    services: init.config.services,
    productionContexts: init.config.production?.contexts ?? [],
    now: init.now,
    sources,
    workloads: {},
    workloadErrors: {},
    containers: {},
    health: {},
    healthLatency: {},
    slo: {},
    alerts: [],
    certs: {},
    audit: [],
    auditView: {
      file: null,
      verify: { state: 'unknown', summary: 'not verified yet', problems: [], checkedAt: null },
      unfinished: [],
      forward: [],
      filter: '',
      filterEditing: false,
      operationId: null,
      offset: 0,
    },
    procedure: null,
    ui: {
      stack: ['overview'],
      selectedService: null,
      overviewIndex: 0,
      filter: '',
      filterEditing: false,
      flash: null,
      helpFor: 'overview',
    },
  }));
}

/** Mark a source as fresh (no error) at `at`. */
export function sourceOk(store: AppStore, source: SourceName, at: number): void {
  store.setState((s) => ({
    sources: { ...s.sources, [source]: { configured: true, updatedAt: at, error: null, errorSince: null } },
  }));
}

export function sourceFailed(store: AppStore, source: SourceName, message: string, at: number): void {
  store.setState((s) => {
    const prev = s.sources[source];
    return {
      sources: {
        ...s.sources,
        [source]: { ...prev, configured: true, error: message, errorSince: prev.errorSince ?? at },
      },
    };
  });
}

export function updateUi(store: AppStore, patch: Partial<UiState>): void {
  store.setState((s) => ({ ui: { ...s.ui, ...patch } }));
}

export function flash(store: AppStore, text: string, level: 'info' | 'warning' | 'error' = 'info'): void {
  updateUi(store, { flash: { text, level } });
}
