/**
 * Vault adapter on node-vault 0.12 (loaded with dynamic import, off the first-frame path).
 *
 * Reads: sys/health (sealed, standby), auth/token/lookup-self (TTL, policies), sys/capabilities-self,
 * KV v2 metadata. Mutations (only handed to the policy gate): KV v2 write with check-and-set, read of a
 * given version (for merging and for revert).
 *
 * Secret values only ever travel between this module, Vault and the caller's memory: node-vault's debug
 * output (which logs request bodies) is replaced with a no-op, and every error is rebuilt from Vault's
 * error text and status alone, so no request body or client config can ride along in an error object.
 */
import type { SecretMetadata, SecretStoreMutatePort, SecretStoreReadPort } from '../ports.js';
import { PreconditionFailed } from '../ports.js';
import { sanitizeText } from '../../domain/sanitize.js';

export interface VaultAdapterOptions {
  addr: string;
  token: string;
  namespace?: string;
  /** PEM text of the CA bundle that signs Vault's certificate (VAULT_CACERT's content). */
  caCert?: string;
  /** VAULT_SKIP_VERIFY: do not verify Vault's TLS certificate. */
  skipVerify?: boolean;
  /** KV v2 mounts with more than one path segment (e.g. "kv/team-a"); otherwise the first segment is the mount. */
  mounts?: string[];
  timeoutMs?: number;
}

/** A Vault failure: the operator-facing message and the HTTP status (0 when Vault was not reached). */
export class VaultError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'VaultError';
  }
}

interface NodeVaultClient {
  request(opts: Record<string, unknown>): Promise<unknown>;
}
type NodeVaultFactory = (cfg: Record<string, unknown>) => NodeVaultClient;

/** Split a logical KV v2 path into mount and secret path. */
export function splitKvPath(path: string, mounts: string[] = []): { mount: string; path: string } {
  const clean = path.replace(/^\/+|\/+$/g, '');
  const mount = [...mounts]
    .map((m) => m.replace(/^\/+|\/+$/g, ''))
    .sort((a, b) => b.length - a.length)
    .find((m) => clean.startsWith(`${m}/`));
  if (mount) return { mount, path: clean.slice(mount.length + 1) };
  const i = clean.indexOf('/');
  if (i <= 0 || i === clean.length - 1)
    throw new VaultError(
      `"${path}" is not a KV v2 path (expected <mount>/<path>, e.g. secret/payments/stripe)`,
      0,
    );
  return { mount: clean.slice(0, i), path: clean.slice(i + 1) };
}

/** Vault wraps ACL failures in a multierror ("1 error occurred:\n\t* permission denied\n\n"): unwrap it. */
export function vaultErrorText(errors: unknown): string {
  if (!Array.isArray(errors) || errors.length === 0) return '';
  const text = errors
    .map((e) => String(e))
    .map((e) => {
      const items = [...e.matchAll(/^\s*\*\s*(.+)$/gm)].map((m) => (m[1] as string).trim());
      return items.length ? items.join('; ') : e.trim();
    })
    .join('; ');
  // Remote text on its way to a terminal: no control characters, bounded.
  return sanitizeText(text, 300);
}

function explain(status: number, text: string): string {
  if (status === 403) return text || 'permission denied';
  if (status === 503) return text || 'Vault is sealed or unavailable';
  if (status === 404) return text || 'not found';
  if (status === 412) return text || 'precondition failed';
  return text || `HTTP ${status}`;
}

const ENC = (p: string) => p.split('/').map(encodeURIComponent).join('/');

export async function createVaultAdapter(
  opts: VaultAdapterOptions,
): Promise<{ read: SecretStoreReadPort; mutate: SecretStoreMutatePort; addr: string }> {
  const mod = (await import('node-vault')) as unknown as { default?: NodeVaultFactory };
  const factory = (typeof mod === 'function' ? mod : mod.default) as NodeVaultFactory;
  const requestOptions: Record<string, unknown> = {};
  if (opts.caCert) requestOptions.ca = opts.caCert;
  if (opts.skipVerify) requestOptions.strictSSL = false;
  const client = factory({
    endpoint: opts.addr,
    token: opts.token,
    namespace: opts.namespace,
    apiVersion: 'v1',
    // node-vault logs request bodies (secret values) through `debug` when DEBUG=node-vault: never.
    debug: () => undefined,
    requestOptions,
    rpDefaults: { timeout: opts.timeoutMs ?? 10_000, strictSSL: !opts.skipVerify },
  });

  /** One API call; failures become VaultError with Vault's own text and nothing else. */
  const call = async <T>(what: string, method: string, path: string, json?: unknown): Promise<T> => {
    try {
      return (await client.request({
        ...requestOptions,
        method,
        path,
        headers: { 'X-Vault-Request': 'true' },
        ...(json === undefined ? {} : { json }),
      })) as T;
    } catch (err) {
      const e = err as {
        message?: unknown;
        code?: unknown;
        response?: { statusCode?: number; body?: unknown };
      };
      const status = e.response?.statusCode ?? 0;
      if (status) {
        const body = e.response?.body as { errors?: unknown } | undefined;
        throw new VaultError(
          `vault ${what}: ${explain(status, vaultErrorText(body?.errors))} (HTTP ${status})`,
          status,
        );
      }
      // Transport failure: keep only the message (axios errors carry the request config and body).
      const message = typeof e.message === 'string' ? e.message : String(err);
      throw new VaultError(
        `vault ${what}: ${message || String(e.code ?? 'request failed')} (${opts.addr})`,
        0,
      );
    }
  };

  const kv = (path: string) => splitKvPath(path, opts.mounts);
  const dataPath = (path: string) => {
    const k = kv(path);
    return `${k.mount}/data/${k.path}`;
  };
  const metaPath = (path: string) => {
    const k = kv(path);
    return `${k.mount}/metadata/${k.path}`;
  };

  const read: SecretStoreReadPort = {
    kind: 'secrets',
    async health() {
      // node-vault resolves sys/health for every status (429/501/503 are states, not failures).
      const h = await call<{ initialized?: boolean; sealed?: boolean; standby?: boolean }>(
        'health',
        'GET',
        '/sys/health?standbyok=false',
      );
      if (typeof h?.sealed !== 'boolean')
        throw new VaultError('vault health: unexpected answer from sys/health', 0);
      return { sealed: h.sealed, standby: Boolean(h.standby), initialized: h.initialized !== false };
    },
    async tokenInfo() {
      const r = await call<{ data?: { ttl?: number; policies?: string[] } }>(
        'token lookup-self',
        'GET',
        '/auth/token/lookup-self',
      );
      return { ttlSeconds: Number(r.data?.ttl ?? 0), policies: (r.data?.policies ?? []).map(String) };
    },
    async metadata(path): Promise<SecretMetadata> {
      const r = await call<{
        data?: {
          current_version?: number;
          versions?: Record<string, { created_time?: string; deletion_time?: string; destroyed?: boolean }>;
        };
      }>(`metadata ${path}`, 'GET', `/${ENC(metaPath(path))}`);
      const versions = Object.entries(r.data?.versions ?? {})
        .map(([v, m]) => ({
          version: Number(v),
          createdTime: String(m.created_time ?? ''),
          destroyed: Boolean(m.destroyed),
          deleted: Boolean(m.deletion_time),
        }))
        .sort((a, b) => a.version - b.version);
      return { path, currentVersion: Number(r.data?.current_version ?? 0), versions };
    },
    async capabilities(path) {
      const d = dataPath(path);
      const m = metaPath(path);
      const r = await call<Record<string, unknown>>(
        `capabilities ${path}`,
        'POST',
        '/sys/capabilities-self',
        {
          paths: [d, m],
        },
      );
      const list = (k: string) => {
        const v = (r[k] ?? (r.data as Record<string, unknown> | undefined)?.[k]) as unknown;
        return Array.isArray(v) ? v.map(String) : [];
      };
      return { data: list(d), metadata: list(m) };
    },
  };

  const mutate: SecretStoreMutatePort = {
    async write(path, data, cas) {
      try {
        const r = await call<{ data?: { version?: number } }>(
          `write ${path}`,
          'POST',
          `/${ENC(dataPath(path))}`,
          {
            data,
            options: { cas },
          },
        );
        return { version: Number(r.data?.version ?? 0) };
      } catch (err) {
        if (err instanceof VaultError && err.status === 400 && /check-and-set/.test(err.message))
          throw new PreconditionFailed(
            `${err.message}: ${path} is no longer at version ${cas} (someone wrote it since the preview)`,
          );
        throw err;
      }
    },
    async readVersion(path, version) {
      const r = await call<{ data?: { data?: Record<string, unknown> | null } }>(
        `read ${path} version ${version}`,
        'GET',
        `/${ENC(dataPath(path))}?version=${encodeURIComponent(String(version))}`,
      );
      const d = r.data?.data;
      if (!d)
        throw new VaultError(`vault read ${path} version ${version}: no data (deleted or destroyed)`, 404);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(d)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
      return out;
    },
  };

  return { read, mutate, addr: opts.addr };
}
