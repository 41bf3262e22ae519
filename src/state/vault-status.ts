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

/** "Vault sealed" / "Vault token 42m" / null when nothing worth saying, for the status bar. */
export function vaultBadge(
  v: VaultStatus | null | undefined,
  now: number,
): { text: string; level: 'ok' | 'warning' | 'critical' } | null {
  if (!v) return null;
  if (!v.initialized) return { text: 'Vault uninitialised', level: 'critical' };
  if (v.sealed) return { text: 'Vault SEALED', level: 'critical' };
  if (v.error) return { text: `Vault: ${v.error}`.slice(0, 60), level: 'warning' };
  if (v.ttlSeconds === null) return { text: 'Vault ok', level: 'ok' };
  if (v.ttlSeconds === 0) return { text: `Vault${v.standby ? ' standby' : ''} token no expiry`, level: 'ok' };
  const left = Math.max(0, v.ttlSeconds - Math.floor((now - v.at) / 1000));
  const text =
    left >= 86_400
      ? `${Math.floor(left / 86_400)}d`
      : left >= 3600
        ? `${Math.floor(left / 3600)}h${String(Math.floor((left % 3600) / 60)).padStart(2, '0')}m`
        : left >= 60
          ? `${Math.floor(left / 60)}m`
          : `${left}s`;
  return {
    text: `Vault${v.standby ? ' standby' : ''} token ${left === 0 ? 'EXPIRED' : text}`,
    level: left === 0 ? 'critical' : left < 600 ? 'warning' : 'ok',
  };
}
