/**
 * Vault's state for the status bar, the Service screen's rotate action and `oncall doctor`: sys/health
 * (sealed, standby) and the token's TTL and policies, polled outside React into `AppState.vault`.
 */
import type { SecretStoreReadPort } from '../adapters/ports.js';
import { sanitizeText } from '../domain/sanitize.js';
import { sourceFailed, sourceOk, type AppStore } from './store.js';

export interface VaultStatus {
  sealed: boolean;
  standby: boolean;
  initialized: boolean;
  /** Seconds left on the token when read (0: no expiry), and when that was (app clock). */
  ttlSeconds: number | null;
  policies: string[];
  at: number;
  error: string | null;
}

export async function pollVaultOnce(
  store: AppStore,
  port: SecretStoreReadPort,
  now: () => number,
): Promise<void> {
  const at = now();
  try {
    const health = await port.health();
    let ttlSeconds: number | null = null;
    let policies: string[] = [];
    let error: string | null = null;
    if (!health.sealed && health.initialized) {
      try {
        const t = await port.tokenInfo();
        ttlSeconds = t.ttlSeconds;
        policies = t.policies.map((p) => sanitizeText(p, 64));
      } catch (err) {
        error = sanitizeText((err as Error).message, 300);
      }
    }
    store.setState({ vault: { ...health, ttlSeconds, policies, at, error } });
    if (error) sourceFailed(store, 'secrets', error, now());
    else sourceOk(store, 'secrets', now());
  } catch (err) {
    const message = sanitizeText((err as Error).message, 300);
    store.setState((s) => ({
      vault: {
        sealed: s.vault?.sealed ?? false,
        standby: s.vault?.standby ?? false,
        initialized: s.vault?.initialized ?? true,
        ttlSeconds: null,
        policies: [],
        at,
        error: message,
      },
    }));
    sourceFailed(store, 'secrets', message, now());
  }
}

/** Poll every `intervalMs` (real time) until stopped. */
export function startVaultStatus(
  store: AppStore,
  port: SecretStoreReadPort,
  now: () => number,
  intervalMs = 30_000,
): { refresh(): Promise<void>; stop(): void } {
  let running: Promise<void> | null = null;
  const tick = () => (running ??= pollVaultOnce(store, port, now).finally(() => (running = null)));
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref?.();
  return {
    refresh: () => tick(),
    stop: () => clearInterval(timer),
  };
}

/**
 * The status bar's Vault note: "vault 59m" (token TTL) when all is well; "VAULT SEALED", "Vault token
 * EXPIRED", "Vault token 4m left" or the error when it needs attention.
 */
export function vaultBadge(
  v: VaultStatus | null | undefined,
  now: number,
): { text: string; level: 'ok' | 'warning' | 'critical' } | null {
  if (!v) return null;
  if (!v.initialized) return { text: 'VAULT UNINITIALISED', level: 'critical' };
  if (v.sealed) return { text: 'VAULT SEALED', level: 'critical' };
  if (v.error) return { text: `Vault: ${v.error}`.slice(0, 60), level: 'warning' };
  const standby = v.standby ? ' standby' : '';
  if (v.ttlSeconds === null || v.ttlSeconds === 0) return { text: `vault${standby} ok`, level: 'ok' };
  const left = Math.max(0, v.ttlSeconds - Math.floor((now - v.at) / 1000));
  if (left === 0) return { text: 'Vault token EXPIRED', level: 'critical' };
  const d = Math.floor(left / 86_400);
  const h = Math.floor((left % 86_400) / 3600);
  const m = Math.floor((left % 3600) / 60);
  const ttl = d ? `${d}d${h}h` : h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m` : `${left}s`;
  if (left < 600) return { text: `Vault token ${ttl} left`, level: 'warning' };
  return { text: `vault${standby} ${ttl}`, level: 'ok' };
}
