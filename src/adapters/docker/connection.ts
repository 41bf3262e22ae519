/**
 * Where the Docker API lives: config `docker.host`, else DOCKER_HOST, else the first existing socket of
 * Docker or Podman (rootful, then rootless). tcp:// uses TLS when DOCKER_TLS_VERIFY is set (like the docker
 * CLI), with ca.pem/cert.pem/key.pem from DOCKER_CERT_PATH (default ~/.docker).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { sanitizeText } from '../../domain/sanitize.js';

export type DockerTarget =
  | { kind: 'unix'; socketPath: string; describe: string }
  | {
      kind: 'tcp';
      host: string;
      port: number;
      tls: { ca: Buffer; cert: Buffer; key: Buffer } | null;
      describe: string;
    };

export function defaultSocketCandidates(env: NodeJS.ProcessEnv): string[] {
  const out = ['/var/run/docker.sock', '/run/podman/podman.sock'];
  if (env.XDG_RUNTIME_DIR) out.push(join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock'));
  return out;
}

export function resolveDockerTarget(
  configHost: string | undefined,
  env: NodeJS.ProcessEnv,
  exists: (path: string) => boolean = existsSync,
): DockerTarget {
  const host = configHost ?? (env.DOCKER_HOST || undefined);
  const origin = configHost ? 'docker.host' : 'DOCKER_HOST';
  if (!host) {
    const candidates = defaultSocketCandidates(env);
    const found = candidates.find((p) => exists(p)) ?? candidates[0]!;
    return { kind: 'unix', socketPath: found, describe: `unix://${found}` };
  }
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new Error(`${origin} ${host}: expected an absolute socket path`);
    return { kind: 'unix', socketPath, describe: host };
  }
  if (host.startsWith('/')) return { kind: 'unix', socketPath: host, describe: `unix://${host}` };
  if (host.startsWith('tcp://') || host.startsWith('https://') || host.startsWith('http://')) {
    let url: URL;
    try {
      url = new URL(host.replace(/^tcp:/, 'http:'));
    } catch (err) {
      throw new Error(`${origin} ${host}: not a valid address (${(err as Error).message})`);
    }
    const useTls = Boolean(env.DOCKER_TLS_VERIFY) || host.startsWith('https://');
    const port = Number(url.port || (useTls ? 2376 : 2375));
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    let tls: { ca: Buffer; cert: Buffer; key: Buffer } | null = null;
    if (useTls) {
      const dir = env.DOCKER_CERT_PATH || join(homedir(), '.docker');
      const read = (f: string) => {
        try {
          return readFileSync(join(dir, f));
        } catch (err) {
          throw new Error(
            `DOCKER_TLS_VERIFY is set but ${join(dir, f)} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set DOCKER_CERT_PATH`,
          );
        }
      };
      tls = { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
    }
    return {
      kind: 'tcp',
      host: hostname,
      port,
      tls,
      describe: `${tls ? 'tcp+tls' : 'tcp'}://${url.host}`,
    };
  }
  throw new Error(`${origin} ${host}: only unix:// and tcp:// are supported`);
}

/** Options for dockerode's constructor. */
export function dockerodeOptions(t: DockerTarget): Record<string, unknown> {
  if (t.kind === 'unix') return { socketPath: t.socketPath };
  return t.tls
    ? { host: t.host, port: t.port, protocol: 'https', ca: t.tls.ca, cert: t.tls.cert, key: t.tls.key }
    : { host: t.host, port: t.port, protocol: 'http' };
}

/** Turn a transport error into a sentence the operator can act on (control characters stripped). */
export function describeDockerError(err: unknown, t: DockerTarget): string {
  return sanitizeText(describeRaw(err, t), 400);
}

function describeRaw(err: unknown, t: DockerTarget): string {
  const e = err as NodeJS.ErrnoException & { statusCode?: number; json?: { message?: string } };
  const where = t.describe;
  switch (e?.code) {
    case 'ENOENT':
      return `Docker API socket ${where} not found: is Docker or Podman running? (set docker.host or DOCKER_HOST)`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied on ${where}: join the docker group, or use the rootless Podman socket`;
    case 'ECONNREFUSED':
      return `connection refused at ${where}: the Docker/Podman service is not listening`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `connection to ${where} was reset`;
    case 'ETIMEDOUT':
      return `timed out talking to ${where}`;
  }
  if (e?.code && /CERT|SSL|TLS/i.test(e.code)) return `TLS error talking to ${where}: ${e.code}`;
  const msg = e?.json?.message ?? e?.message ?? String(err);
  return e?.statusCode ? `${where}: HTTP ${e.statusCode}: ${msg}` : `${where}: ${msg}`;
}
