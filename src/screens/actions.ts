/** Action bindings shared by screens that act on a service (rollback today; adapters add theirs). */
import type { AppServices } from '../hooks/app-context.js';
import type { KeyBinding } from '../hooks/bindings.js';
import type { AppState } from '../state/store.js';
import { flash } from '../state/store.js';

export interface ActionDef {
  keys: string[];
  kind: string;
  label: string;
  description: string;
  /** Why this action does not apply to the service (null when it does). */
  applies: (s: AppState, service: string) => string | null;
}

export const SERVICE_ACTIONS: ActionDef[] = [
  {
    keys: ['r'],
    kind: 'rollback',
    label: 'rollback',
    description: 'Roll the deployment back to an earlier revision (preview, confirm, follow, verify, audit)',
    applies: (s, name) => {
      const svc = s.services.find((x) => x.name === name);
      if (!svc?.kubernetes) return `${name} has no Kubernetes deployment`;
      const w = s.workloads[name];
      if (!w) return `no rollout data for ${name} yet`;
      if (w.history.length < 2) return `${name} has no earlier revision`;
      return null;
    },
  },
];

export function actionBindings(app: AppServices, s: AppState, service: string | undefined): KeyBinding[] {
  return SERVICE_ACTIONS.map((a) => {
    const reason = s.readOnly
      ? (s.readOnlyReason ?? 'read-only mode')
      : !service
        ? 'no service selected'
        : a.applies(s, service);
    return {
      keys: a.keys,
      label: a.label,
      description: a.description,
      disabledReason: reason,
      mutating: true,
      footer: true,
      run: () => {
        if (reason) {
          flash(app.store, `${a.label} disabled: ${reason}`, 'warning');
          return;
        }
        app.procedures.start(a.kind, service!);
      },
    };
  });
}
