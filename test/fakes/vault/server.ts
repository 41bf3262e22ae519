/**
 * A protocol-level fake of the parts of HashiCorp Vault's HTTP API that oncall uses, written from the public
 * API docs (developer.hashicorp.com/vault/api-docs):
 *
 *   GET|HEAD /v1/sys/health              200 active · 429 standby · 501 uninitialised · 503 sealed, with the
 *                                        standbyok / activecode / standbycode / sealedcode / uninitcode overrides
 *   GET      /v1/auth/token/lookup-self  ttl (counting down), policies, expire_time …
 *   POST     /v1/sys/capabilities-self   {"paths": [...]} → capabilities per path from the token's policies
 *   GET      /v1/<mount>/data/<path>     latest or ?version=N (404 for deleted/destroyed/missing versions)
 *   POST|PUT /v1/<mount>/data/<path>     {"data": {...}, "options": {"cas": N}} → new version; 400 on a CAS
 *                                        mismatch ("check-and-set parameter did not match the current version")
 *   GET      /v1/<mount>/metadata/<path> current_version, oldest_version, versions{created_time, …}
 *
 * Every request needs X-Vault-Token (403 "permission denied" otherwise) and, when `requireRequestHeader`
 * is on (as Vault Agent's listener option), X-Vault-Request (412). Paths are checked against ACL policies
 * with Vault's glob rules (`*` suffix, `+` segment): 403 with Vault's multierror text. A sealed Vault answers
 * 503 {"errors":["Vault is sealed"]} everywhere except sys/health. Error bodies are {"errors": [...]}.
 * State lives in memory; listens on 127.0.0.1 only (HTTP, or HTTPS when given a key and certificate).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export type Capability = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list' | 'sudo' | 'deny';

export interface PolicyRule {
  path: string;
  capabilities: Capability[];
}

export interface FakeToken {
  policies: string[];
  /** Seconds of life from creation; 0 means no expiry (root). */
  ttlSeconds: number;
  displayName?: string;
  createdAt?: number;
}

export interface VaultFakeOptions {
  /** The root token (policy "root"); default "root-token". */
  rootToken?: string;
  tokens?: Record<string, FakeToken>;
  policies?: Record<string, PolicyRule[]>;
  /** KV v2 mounts; default ["secret"]. */
  kvMounts?: string[];
  sealed?: boolean;
  initialized?: boolean;
  standby?: boolean;
  requireRequestHeader?: boolean;
  /** Default max_versions per key (Vault keeps 10). */
  maxVersions?: number;
  casRequired?: boolean;
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Clock for created_time / token TTL (tests can move it). */
  now?: () => number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  /** The parsed JSON body as received (tests use it to check what was sent; never printed). */
  body: unknown;
  status: number;
}

interface KvVersion {
  data: Record<string, unknown> | null;
  createdTime: string;
  deletionTime: string;
  destroyed: boolean;
}

interface KvSecret {
  versions: Map<number, KvVersion>;
  currentVersion: number;
  oldestVersion: number;
  createdTime: string;
  updatedTime: string;
  maxVersions: number;
  casRequired: boolean;
}

export interface FakeVault {
  url: string;
  rootToken: string;
  requests: RecordedRequest[];
  seal(): void;
  unseal(): void;
  setStandby(standby: boolean): void;
  setInitialized(initialized: boolean): void;
  addToken(token: string, t: FakeToken): void;
  setPolicy(name: string, rules: PolicyRule[]): void;
  /** Write a version directly (as another operator would), bypassing ACLs. Returns the new version. */
  put(mount: string, path: string, data: Record<string, unknown>): number;
  /** The data of a version (latest when omitted), for assertions. */
  read(mount: string, path: string, version?: number): Record<string, unknown> | null;
  currentVersion(mount: string, path: string): number;
  /** Fail the next request matching `match` with this status and errors (e.g. to simulate an outage). */
  failNext(match: (method: string, path: string) => boolean, status: number, errors: string[]): void;
  stop(): Promise<void>;
}

const PERMISSION_DENIED = '1 error occurred:\n\t* permission denied\n\n';

/** Vault ACL path matching: exact, `*` as a trailing prefix glob, `+` as one whole path segment. */
export function policyPathMatches(pattern: string, path: string): boolean {
  const glob = pattern.endsWith('*');
  const pat = glob ? pattern.slice(0, -1) : pattern;
  const pSeg = pat.split('/');
  const tSeg = path.split('/');
  if (!glob && pSeg.length !== tSeg.length) return false;
  if (glob && tSeg.length < pSeg.length) return false;
  for (let i = 0; i < pSeg.length; i++) {
    const p = pSeg[i] as string;
    const t = tSeg[i] as string;
    const last = i === pSeg.length - 1;
    if (p === '+') continue;
    if (last && glob) {
      if (!t.startsWith(p)) return false;
    } else if (p !== t) return false;
  }
  return true;
}

export async function startFakeVault(opts: VaultFakeOptions = {}): Promise<FakeVault> {
  const now = opts.now ?? Date.now;
  const rootToken = opts.rootToken ?? 'root-token';
  const tokens = new Map<string, Required<FakeToken>>();
  const addToken = (token: string, t: FakeToken) =>
    tokens.set(token, {
      policies: t.policies,
      ttlSeconds: t.ttlSeconds,
      displayName: t.displayName ?? 'token',
      createdAt: t.createdAt ?? now(),
    });
  addToken(rootToken, { policies: ['root'], ttlSeconds: 0, displayName: 'root' });
  for (const [k, v] of Object.entries(opts.tokens ?? {})) addToken(k, v);
  const policies = new Map<string, PolicyRule[]>(Object.entries(opts.policies ?? {}));
  const mounts = opts.kvMounts ?? ['secret'];
  const store = new Map<string, KvSecret>();
  const state = {
    sealed: opts.sealed ?? false,
    initialized: opts.initialized ?? true,
    standby: opts.standby ?? false,
  };
  const requests: RecordedRequest[] = [];
  const failures: { match: (m: string, p: string) => boolean; status: number; errors: string[] }[] = [];
  const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

  const capabilitiesFor = (token: Required<FakeToken>, path: string): Capability[] => {
    if (token.policies.includes('root')) return ['root' as Capability];
    // The most specific matching rule wins (longest pattern), as Vault's ACL does for globs.
    let best: PolicyRule | null = null;
    for (const name of token.policies) {
      for (const rule of policies.get(name) ?? []) {
        if (!policyPathMatches(rule.path, path)) continue;
        if (!best || rule.path.length > best.path.length) best = rule;
        else if (rule.path.length === best.path.length)
          best = {
            path: rule.path,
            capabilities: [...new Set([...best.capabilities, ...rule.capabilities])],
          };
      }
    }
    if (!best || best.capabilities.includes('deny')) return ['deny'];
    return best.capabilities;
  };
  const allowed = (token: Required<FakeToken>, path: string, cap: Capability) => {
    const caps = capabilitiesFor(token, path);
    return (caps as string[]).includes('root') || caps.includes(cap);
  };

  const secretKey = (mount: string, path: string) => `${mount}/${path}`;
  const writeVersion = (
    mount: string,
    path: string,
    data: Record<string, unknown>,
  ): { version: number; createdTime: string } => {
    const key = secretKey(mount, path);
    const t = iso(now());
    let s = store.get(key);
    if (!s) {
      s = {
        versions: new Map(),
        currentVersion: 0,
        oldestVersion: 0,
        createdTime: t,
        updatedTime: t,
        maxVersions: 0,
        casRequired: false,
      };
      store.set(key, s);
    }
    const version = s.currentVersion + 1;
    s.versions.set(version, { data: { ...data }, createdTime: t, deletionTime: '', destroyed: false });
    s.currentVersion = version;
    s.updatedTime = t;
    if (s.oldestVersion === 0) s.oldestVersion = version;
    const keep = s.maxVersions || opts.maxVersions || 10;
    while (s.versions.size > keep) {
      const oldest = Math.min(...s.versions.keys());
      s.versions.delete(oldest);
      s.oldestVersion = Math.min(...s.versions.keys());
    }
    return { version, createdTime: t };
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const query = Object.fromEntries(url.searchParams.entries());
      const method = (req.method ?? 'GET').toUpperCase();
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = undefined;
      let badJson = false;
      if (raw.trim()) {
        try {
          body = JSON.parse(raw);
        } catch (err) {
          void err; // answered below as Vault does: 400 with the parse failure
          badJson = true;
        }
      }
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : v;
      const rec: RecordedRequest = { method, path: url.pathname, query, headers, body, status: 0 };
      requests.push(rec);
      const send = (status: number, payload: unknown) => {
        rec.status = status;
        if (status === 204) {
          res.writeHead(204, { 'Cache-Control': 'no-store' });
          res.end();
          return;
        }
        const text = payload === undefined ? '' : JSON.stringify(payload);
        res.writeHead(status, {
          'Content-Type': 'application/json',
          'Cache-Control': 'no-store',
          'Content-Length': Buffer.byteLength(text),
        });
        res.end(method === 'HEAD' ? undefined : text);
      };
      const errors = (status: number, list: string[]) => send(status, { errors: list });
      const envelope = (data: unknown, extra: Record<string, unknown> = {}) => ({
        request_id: randomUUID(),
        lease_id: '',
        renewable: false,
        lease_duration: 0,
        data,
        wrap_info: null,
        warnings: null,
        auth: null,
        mount_type: extra.mount_type ?? '',
        ...extra,
      });

      const failure = failures.findIndex((f) => f.match(method, url.pathname));
      if (failure >= 0) {
        const f = failures.splice(failure, 1)[0]!;
        return errors(f.status, f.errors);
      }
      if (!url.pathname.startsWith('/v1/')) return errors(404, []);
      const apiPath = url.pathname.slice(4).replace(/\/+$/, '');

      // sys/health: unauthenticated, answers even when sealed.
      if (apiPath === 'sys/health') {
        if (method !== 'GET' && method !== 'HEAD') return errors(405, []);
        const code = (name: string, dflt: number) => {
          const v = query[name];
          return v !== undefined && /^\d+$/.test(v) ? Number(v) : dflt;
        };
        let status: number;
        if (!state.initialized) status = code('uninitcode', 501);
        else if (state.sealed) status = code('sealedcode', 503);
        else if (state.standby && query.standbyok !== 'true') status = code('standbycode', 429);
        else status = code('activecode', 200);
        return send(status, {
          initialized: state.initialized,
          sealed: state.sealed || !state.initialized,
          standby: state.standby || state.sealed || !state.initialized,
          performance_standby: false,
          replication_performance_mode: 'disabled',
          replication_dr_mode: 'disabled',
          server_time_utc: Math.floor(now() / 1000),
          version: '1.17.6',
          cluster_name: 'vault-cluster-fake',
          cluster_id: '00000000-0000-0000-0000-000000000000',
        });
      }
      if (opts.requireRequestHeader && headers['x-vault-request'] === undefined)
        return errors(412, ["missing 'X-Vault-Request' header"]);
      if (!state.initialized) return errors(503, ['Vault is not initialized']);
      if (state.sealed) return errors(503, ['Vault is sealed']);
      if (badJson) return errors(400, ['failed to parse JSON input: invalid character']);

      const tokenId = headers['x-vault-token'];
      const token = tokenId ? tokens.get(tokenId) : undefined;
      const expired = token && token.ttlSeconds > 0 && now() >= token.createdAt + token.ttlSeconds * 1000;
      if (!token || expired) return errors(403, ['permission denied']);

      if (apiPath === 'auth/token/lookup-self') {
        if (method !== 'GET' && method !== 'POST') return errors(405, []);
        const ttl = token.ttlSeconds
          ? Math.max(0, Math.floor((token.createdAt + token.ttlSeconds * 1000 - now()) / 1000))
          : 0;
        return send(
          200,
          envelope({
            accessor: `accessor-${tokenId!.length}`,
            creation_time: Math.floor(token.createdAt / 1000),
            creation_ttl: token.ttlSeconds,
            display_name: token.displayName,
            entity_id: '',
            expire_time: token.ttlSeconds
              ? new Date(token.createdAt + token.ttlSeconds * 1000).toISOString()
              : null,
            explicit_max_ttl: 0,
            id: tokenId,
            issue_time: new Date(token.createdAt).toISOString(),
            meta: null,
            num_uses: 0,
            orphan: token.policies.includes('root'),
            path: token.policies.includes('root') ? 'auth/token/root' : 'auth/token/create',
            policies: token.policies,
            renewable: token.ttlSeconds > 0,
            ttl,
            type: 'service',
          }),
        );
      }

      if (apiPath === 'sys/capabilities-self') {
        if (method !== 'POST' && method !== 'PUT') return errors(405, []);
        const b = (body ?? {}) as { paths?: unknown; path?: unknown };
        const paths = Array.isArray(b.paths)
          ? (b.paths as string[])
          : typeof b.path === 'string'
            ? [b.path]
            : [];
        if (!paths.length) return errors(400, ['paths must be supplied']);
        const out: Record<string, string[]> = {};
        for (const p of paths) out[p] = capabilitiesFor(token, p.replace(/^\/+/, ''));
        if (paths.length === 1) out.capabilities = out[paths[0]!]!;
        return send(200, { ...out, ...envelope(out) });
      }

      const mount = mounts.find((m) => apiPath.startsWith(`${m}/`));
      if (!mount) {
        if (!allowed(token, apiPath, 'read')) return errors(403, [PERMISSION_DENIED]);
        return errors(404, [`no handler for route "${apiPath}". route entry not found.`]);
      }
      const rest = apiPath.slice(mount.length + 1);
      const kind = rest.split('/')[0];
      const path = rest.slice((kind?.length ?? 0) + 1);
      if ((kind !== 'data' && kind !== 'metadata') || !path) return errors(404, []);
      const key = secretKey(mount, path);
      const secret = store.get(key);

      if (kind === 'metadata') {
        if (method !== 'GET') return errors(405, ['unsupported operation']);
        if (!allowed(token, apiPath, 'read')) return errors(403, [PERMISSION_DENIED]);
        if (!secret) return errors(404, []);
        const versions: Record<string, unknown> = {};
        for (const [v, ver] of secret.versions)
          versions[String(v)] = {
            created_time: ver.createdTime,
            deletion_time: ver.deletionTime,
            destroyed: ver.destroyed,
          };
        return send(
          200,
          envelope(
            {
              cas_required: secret.casRequired || Boolean(opts.casRequired),
              created_time: secret.createdTime,
              current_version: secret.currentVersion,
              custom_metadata: null,
              delete_version_after: '0s',
              max_versions: secret.maxVersions,
              oldest_version: secret.oldestVersion,
              updated_time: secret.updatedTime,
              versions,
            },
            { mount_type: 'kv' },
          ),
        );
      }

      // kind === 'data'
      if (method === 'GET') {
        if (!allowed(token, apiPath, 'read')) return errors(403, [PERMISSION_DENIED]);
        if (!secret) return errors(404, []);
        const version =
          query.version && query.version !== '0' ? Number(query.version) : secret.currentVersion;
        const ver = secret.versions.get(version);
        if (!ver || ver.destroyed || ver.deletionTime || !ver.data) {
          if (!ver) return errors(404, []);
          return send(
            404,
            envelope(
              {
                data: null,
                metadata: {
                  created_time: ver.createdTime,
                  custom_metadata: null,
                  deletion_time: ver.deletionTime,
                  destroyed: ver.destroyed,
                  version,
                },
              },
              { mount_type: 'kv' },
            ),
          );
        }
        return send(
          200,
          envelope(
            {
              data: ver.data,
              metadata: {
                created_time: ver.createdTime,
                custom_metadata: null,
                deletion_time: '',
                destroyed: false,
                version,
              },
            },
            { mount_type: 'kv' },
          ),
        );
      }
      if (method === 'POST' || method === 'PUT') {
        const cap: Capability = secret ? 'update' : 'create';
        if (!allowed(token, apiPath, cap)) return errors(403, [PERMISSION_DENIED]);
        const b = (body ?? {}) as { data?: unknown; options?: { cas?: unknown } };
        if (!b.data || typeof b.data !== 'object' || Array.isArray(b.data))
          return errors(400, ['no data provided']);
        const cas = b.options?.cas;
        const casRequired = Boolean(opts.casRequired) || Boolean(secret?.casRequired);
        if (cas === undefined || cas === null) {
          if (casRequired) return errors(400, ['check-and-set parameter required for this call']);
        } else {
          const n = Number(cas);
          if (!Number.isInteger(n) || n !== (secret?.currentVersion ?? 0))
            return errors(400, ['check-and-set parameter did not match the current version']);
        }
        const w = writeVersion(mount, path, b.data as Record<string, unknown>);
        return send(
          200,
          envelope(
            {
              created_time: w.createdTime,
              custom_metadata: null,
              deletion_time: '',
              destroyed: false,
              version: w.version,
            },
            { mount_type: 'kv' },
          ),
        );
      }
      return errors(405, ['unsupported operation']);
    });
  };

  const server = opts.tls
    ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler)
    : http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    rootToken,
    requests,
    seal: () => void (state.sealed = true),
    unseal: () => void (state.sealed = false),
    setStandby: (s) => void (state.standby = s),
    setInitialized: (i) => void (state.initialized = i),
    addToken,
    setPolicy: (name, rules) => void policies.set(name, rules),
    put: (mount, path, data) => writeVersion(mount, path, data).version,
    read(mount, path, version) {
      const s = store.get(secretKey(mount, path));
      if (!s) return null;
      return s.versions.get(version ?? s.currentVersion)?.data ?? null;
    },
    currentVersion: (mount, path) => store.get(secretKey(mount, path))?.currentVersion ?? 0,
    failNext: (match, status, errs) => void failures.push({ match, status, errors: errs }),
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
