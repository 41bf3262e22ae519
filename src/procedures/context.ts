import type { ReadPorts } from '../adapters/ports.js';
import type { AppStore } from '../state/store.js';
import type { ServiceConfig } from '../config/schema.js';
import { isProductionService } from '../state/selectors.js';

/** What a procedure may read while planning, following and verifying (never a mutating port). */
export interface ProcedureContext {
  store: AppStore;
  ports: ReadPorts;
  now: () => number;
  /** Refresh every polled source now (health, metrics) so verification sees fresh facts. */
  refresh: () => Promise<void>;
  /** How long to follow a rollout before giving up (app clock). */
  rolloutTimeoutMs?: number;
}

export function serviceConfig(ctx: ProcedureContext, name: string): ServiceConfig {
  const svc = ctx.store.getState().services.find((s) => s.name === name);
  if (!svc) throw new Error(`unknown service ${name}`);
  return svc;
}

export function isProduction(ctx: ProcedureContext, svc: ServiceConfig): boolean {
  return isProductionService(ctx.store.getState(), svc);
}
