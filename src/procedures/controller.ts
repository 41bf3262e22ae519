/**
 * Owns the one procedure that may be in flight, and routes the operator's keys to it.
 * Procedures are started by key bindings; they reach mutating ports only through the gate.
 */
import type { Gate } from '../policy/gate.js';
import { flash, updateUi, type AppStore } from '../state/store.js';
import type { ProcedureContext } from './context.js';
import { ProcedureMachine, type ProcedureSpec } from './machine.js';
import { rollbackSpec } from './rollback.js';
import { rotateSecretSpec } from './rotate-secret.js';
import { containerRestoreSpec, containerRollbackSpec } from './container-rollback.js';
import { containerRestartSpec } from './container-restart.js';
import { scaleSpec } from './scale.js';
import { restartSpec } from './restart.js';
import { pauseSpec, resumeSpec } from './pause.js';

export type ProcedureKind = 'rollback' | 'scale' | 'restart' | 'pause' | 'resume';

/** A factory may read fresh facts first (a container inspect): then it returns a promise. */
export type SpecFactory = (
  ctx: ProcedureContext,
  service: string,
) => ProcedureSpec<unknown> | Promise<ProcedureSpec<unknown>>;

export interface ProcedureController {
  start(kind: string, service: string, opts?: { preset?: string }): boolean;
  readonly active: ProcedureMachine<unknown> | null;
  /** Registered procedures: kind → factory. Adapter issues add theirs here. */
  register(kind: string, factory: SpecFactory): void;
}

export function createProcedureController(opts: {
  store: AppStore;
  /** The gate may be replaced once adapters load (live mode), so it is looked up on every start. */
  gate: () => Gate;
  ctx: ProcedureContext;
  sleep?: (ms: number) => Promise<void>;
  verifyTimeoutMs?: number;
  verifyIntervalMs?: number;
  /** Called when a procedure reaches a final step (e.g. to reload the audit view). */
  onProcedureFinished?: () => void;
}): ProcedureController {
  const factories = new Map<string, SpecFactory>();
  factories.set('rollback', rollbackSpec as SpecFactory);
  factories.set('rotate-secret', rotateSecretSpec as unknown as SpecFactory);
  factories.set('container-rollback', containerRollbackSpec as SpecFactory);
  factories.set('container-restore', containerRestoreSpec as SpecFactory);
  factories.set('container-restart', containerRestartSpec as SpecFactory);
  factories.set('scale', scaleSpec as SpecFactory);
  factories.set('restart', restartSpec as SpecFactory);
  factories.set('pause', pauseSpec as SpecFactory);
  factories.set('resume', resumeSpec as SpecFactory);
  let active: ProcedureMachine<unknown> | null = null;
  let preparing: string | null = null;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return {
    get active() {
      return opts.store.getState().procedure ? active : null;
    },
    register(kind, factory) {
      factories.set(kind, factory);
    },
    start(kind, service, startOpts) {
      if (opts.store.getState().procedure || preparing) {
        flash(
          opts.store,
          preparing
            ? `${preparing} is being prepared: wait for its preview`
            : 'a procedure is already open: finish it or press Esc',
          'warning',
        );
        return false;
      }
      const gate = opts.gate();
      if (gate.readOnly) {
        flash(opts.store, `${kind} disabled: ${gate.readOnlyReason ?? 'read-only mode'}`, 'warning');
        return false;
      }
      const factory = factories.get(kind);
      if (!factory) {
        flash(opts.store, `unknown procedure ${kind}`, 'error');
        return false;
      }
      let made: ProcedureSpec<unknown> | Promise<ProcedureSpec<unknown>>;
      try {
        made = factory(opts.ctx, service);
      } catch (err) {
        flash(opts.store, `${kind} unavailable: ${(err as Error).message}`, 'error');
        return false;
      }
      const launch = (spec: ProcedureSpec<unknown>, g: Gate) => {
        active = new ProcedureMachine(spec, {
          store: opts.store,
          gate: g,
          now: opts.ctx.now,
          sleep,
          verifyTimeoutMs: opts.verifyTimeoutMs,
          verifyIntervalMs: opts.verifyIntervalMs,
          onFinished: () => opts.onProcedureFinished?.(),
          preset: startOpts?.preset,
        });
      };
      if (made instanceof Promise) {
        preparing = kind;
        flash(opts.store, `${kind}: reading the current state of ${service}…`, 'info');
        made.then(
          (spec) => {
            preparing = null;
            const g = opts.gate();
            if (g.readOnly || opts.store.getState().procedure) return;
            updateUi(opts.store, { flash: null });
            launch(spec, g);
          },
          (err: Error) => {
            preparing = null;
            flash(opts.store, `${kind} unavailable: ${err.message}`, 'error');
          },
        );
        return true;
      }
      launch(made, gate);
      return true;
    },
  };
}
