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
  /** Shown in the footer (default true; the rest only in Help). */
  footer?: boolean;
  /** A toggle (pause/resume) picks its procedure from the current state. */
  kindFor?: (s: AppState, service: string) => string;
}

/** The Deployment an action needs, or why there is none; RBAC denials (SelfSubjectAccessReview) included. */
function deploymentAction(s: AppState, name: string, action: string): string | null {
  const svc = s.services.find((x) => x.name === name);
  if (!svc?.kubernetes) return `${name} has no Kubernetes deployment`;
  const w = s.workloads[name];
  if (!w) return `no rollout data for ${name} yet`;
  return w.denied?.[action] ?? null;
}

/** Container services (Docker/Podman) without a Deployment: r and R act on the container. */
function isContainerService(s: AppState, name: string): boolean {
  const svc = s.services.find((x) => x.name === name);
  return Boolean(svc?.container && !svc.kubernetes);
}

/** The containers an action needs (all of a label-matched service), or why there are none. */
function containerAction(s: AppState, name: string): string | null {
  const list = s.containers[name];
  if (!list) return `no container data for ${name} yet`;
  if (list.length === 0) return `no container of ${name} exists`;
  return null;
}

/** Whether a container rollback of this service ran since the last restore (its original may be kept). */
export function keptOriginalReason(s: AppState, name: string): string | null {
  const svc = s.services.find((x) => x.name === name);
  if (!svc?.container) return `${name} does not run as a container`;
  const ops = s.audit
    .filter(
      (r) =>
        r.service === name &&
        r.step === 'executed' &&
        (r.procedure === 'container-rollback' ||
          r.procedure === 'container-restore' ||
          r.procedure === 'container-rollback:revert'),
    )
    .sort((a, b) => b.seq - a.seq);
  if (ops[0]?.procedure !== 'container-rollback') return `no original container of ${name} is kept`;
  return null;
}

export const SERVICE_ACTIONS: ActionDef[] = [
  {
    // K, not k: k moves the selection up on the Overview (vi keys).
    keys: ['K'],
    kind: 'rotate-secret',
    label: 'rotate secret',
    description:
      'Rotate a secret: Vault KV v2 (check-and-set) → Kubernetes Secret → rolling restart → verify; revert on failure',
    applies: (s, name) => {
      const svc = s.services.find((x) => x.name === name);
      if (!svc?.secrets.length) return `${name} has no secrets configured`;
      const v = s.vault;
      if (!v)
        return s.sources.secrets.error ? `Vault: ${s.sources.secrets.error}` : 'Vault not connected yet';
      if (!v.initialized) return 'Vault is not initialised';
      if (v.sealed) return 'Vault is sealed';
      if (v.ttlSeconds !== null && v.ttlSeconds > 0 && v.ttlSeconds - (s.now - v.at) / 1000 <= 0)
        return 'the Vault token has expired';
      return null;
    },
  },
  {
    keys: ['r'],
    kind: 'rollback',
    label: 'rollback',
    description:
      'Roll back: a Deployment to an earlier revision, a container to an earlier local image tag (preview, confirm, follow, verify, audit)',
    kindFor: (s, name) => (isContainerService(s, name) ? 'container-rollback' : 'rollback'),
    applies: (s, name) => {
      if (isContainerService(s, name)) return containerAction(s, name);
      const svc = s.services.find((x) => x.name === name);
      if (!svc?.kubernetes) return `${name} has no Kubernetes deployment`;
      const w = s.workloads[name];
      if (!w) return `no rollout data for ${name} yet`;
      if (w.history.length < 2) return `${name} has no earlier revision`;
      if (w.paused) return `${name} is paused: resume it first (p)`;
      return w.denied?.rollback ?? null;
    },
  },
  {
    keys: ['s'],
    kind: 'scale',
    label: 'scale',
    description:
      'Scale the deployment (scale subresource; shows HPA bounds; preview, confirm, follow, verify, audit)',
    applies: (s, name) => deploymentAction(s, name, 'scale'),
  },
  {
    keys: ['R'],
    kind: 'restart',
    label: 'restart',
    description:
      'Restart: every pod of a Deployment (kubectl rollout restart), or the container (preview, confirm, follow, verify, audit)',
    kindFor: (s, name) => (isContainerService(s, name) ? 'container-restart' : 'restart'),
    applies: (s, name) =>
      isContainerService(s, name)
        ? containerAction(s, name)
        : (deploymentAction(s, name, 'restart') ??
          (s.workloads[name]?.paused ? `${name} is paused: resume it first (p)` : null)),
  },
  {
    keys: ['u'],
    kind: 'container-restore',
    label: 'restore',
    description:
      'Restore the original container a container rollback kept stopped (removes the current one; confirm, verify, audit)',
    footer: false,
    applies: (s, name) => keptOriginalReason(s, name),
  },
  {
    keys: ['p'],
    kind: 'pause',
    label: 'pause/resume',
    description: 'Pause the rollout, or resume a paused one (kubectl rollout pause|resume)',
    applies: (s, name) => deploymentAction(s, name, s.workloads[name]?.paused ? 'resume' : 'pause'),
    kindFor: (s, name) => (s.workloads[name]?.paused ? 'resume' : 'pause'),
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
      footer: a.footer ?? true,
      run: () => {
        if (reason) {
          flash(app.store, `${a.label} disabled: ${reason}`, 'warning');
          return;
        }
        app.procedures.start(a.kindFor?.(s, service!) ?? a.kind, service!);
      },
    };
  });
}
