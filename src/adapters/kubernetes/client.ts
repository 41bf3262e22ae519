/**
 * A small Kubernetes REST client over node:https. @kubernetes/client-node supplies what kubectl supplies:
 * the kubeconfig (KUBECONFIG with several files, ~/.kube/config, in-cluster service account), the current
 * context, and the credentials of every auth method it supports (tokens, client certificates, exec plugins,
 * OIDC) through `applyToHTTPSOptions`. Requests and watch streams are ours, so resourceVersion, bookmarks,
 * 410 Gone and backoff are handled exactly (see informer.ts).
 *
 * This module is only reached through dynamic import() from src/adapters/load.ts.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** A failed API request, with the server's Status reason (Conflict, Forbidden, Expired, ...). */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

/** The fields oncall reads from any object; the rest stays as the server sent it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
    creationTimestamp?: string;
    continue?: string;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any;
}

export interface KubeList {
  metadata: { resourceVersion?: string; continue?: string };
  items: KubeObject[];
}

function queryString(q: RequestOptions['query']): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export class KubeClient {
  private agent: http.Agent | null = null;
  /** Watches hold their connection for minutes: their own pool, so they never starve requests. */
  private watchAgent: http.Agent | null = null;
  readonly server: URL;

  constructor(
    readonly kc: KubeConfig,
    readonly contextName: string,
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error(`kubeconfig context "${contextName}" names no cluster`);
    this.server = new URL(cluster.server);
  }

  /** Request options with TLS material and credentials applied (exec plugins run here when needed). */
  private async options(method: string, path: string, headers: Record<string, string>, watch = false) {
    const opts: https.RequestOptions = { method, headers: { ...headers } };
    await this.kc.applyToHTTPSOptions(opts);
    const secure = this.server.protocol === 'https:';
    if (!this.agent) {
      const tls: https.AgentOptions = {
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        pfx: opts.pfx,
        passphrase: opts.passphrase,
        rejectUnauthorized: opts.rejectUnauthorized,
        servername: opts.servername,
      };
      this.agent = secure
        ? new https.Agent({ ...tls, keepAlive: true, maxSockets: 16 })
        : new http.Agent({ keepAlive: true, maxSockets: 16 });
      this.watchAgent = secure
        ? new https.Agent({ ...tls, keepAlive: false, maxSockets: Infinity })
        : new http.Agent({ keepAlive: false, maxSockets: Infinity });
    }
    const base = this.server.pathname.replace(/\/$/, '');
    return {
      mod: secure ? https : http,
      req: {
        protocol: this.server.protocol,
        hostname: this.server.hostname.replace(/^\[|\]$/g, ''),
        port: this.server.port || (secure ? 443 : 80),
        path: base + path,
        method,
        headers: opts.headers,
        auth: opts.auth,
        agent: watch ? this.watchAgent! : this.agent,
      } satisfies https.RequestOptions,
    };
  }

  async request<T = KubeObject>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const body = o.body === undefined ? undefined : JSON.stringify(o.body);
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'oncall' };
    if (body !== undefined) {
      headers['Content-Type'] = o.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const { mod, req } = await this.options(method, path + queryString(o.query), headers);
    return new Promise<T>((resolve, reject) => {
      const r = mod.request({ ...req, signal: o.signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let json: unknown = undefined;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch (err) {
            if (status < 300) {
              reject(
                new Error(`${method} ${path}: invalid JSON from the API server (${(err as Error).message})`),
              );
              return;
            }
          }
          if (status >= 200 && status < 300) resolve(json as T);
          else reject(apiError(status, json, text, method, path));
        });
      });
      r.setTimeout(o.timeoutMs ?? 30_000, () => r.destroy(new Error(`${method} ${path}: timed out`)));
      r.on('error', (err) => reject(new Error(`${method} ${this.server.host}${path}: ${err.message}`)));
      if (body !== undefined) r.write(body);
      r.end();
    });
  }

  /**
   * Open a watch stream. Calls onEvent per JSON line; onEnd once, with an error (HTTP status, network) or
   * null when the server closed the stream normally. Returns a function that closes the stream.
   */
  async watch(
    path: string,
    query: RequestOptions['query'],
    onEvent: (e: WatchEvent) => void,
    onEnd: (err: Error | null) => void,
  ): Promise<() => void> {
    const { mod, req } = await this.options(
      'GET',
      path + queryString({ ...query, watch: 'true' }),
      { Accept: 'application/json', 'User-Agent': 'oncall' },
      true,
    );
    let ended = false;
    const end = (err: Error | null) => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    const r = mod.request(req, (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch (err) {
            json = { message: `${text.slice(0, 200)} (${(err as Error).message})` };
          }
          end(apiError(status, json, text, 'WATCH', path));
        });
        return;
      }
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          let ev: WatchEvent;
          try {
            ev = JSON.parse(line) as WatchEvent;
          } catch (err) {
            r.destroy();
            end(new Error(`watch ${path}: malformed event (${(err as Error).message})`));
            return;
          }
          onEvent(ev);
        }
      });
      res.on('end', () => end(null));
      res.on('close', () => end(null));
      res.on('error', (err) => end(new Error(`connection to ${this.server.host} lost (${err.message})`)));
    });
    r.on('error', (err) => end(new Error(`cannot watch ${this.server.host}: ${err.message}`)));
    r.end();
    return () => {
      ended = true;
      r.destroy();
    };
  }

  close(): void {
    this.agent?.destroy();
    this.watchAgent?.destroy();
    this.agent = null;
    this.watchAgent = null;
  }
}

function apiError(status: number, json: unknown, text: string, method: string, path: string): KubeApiError {
  const st = (json ?? {}) as { reason?: string; message?: string };
  const reason = st.reason ?? (status === 403 ? 'Forbidden' : status === 409 ? 'Conflict' : String(status));
  const message = st.message ?? (text.slice(0, 200) || `HTTP ${status}`);
  return new KubeApiError(status, reason, `${method} ${path}: ${status} ${reason}: ${message}`);
}
