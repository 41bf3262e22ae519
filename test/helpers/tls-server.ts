/**
 * Real TLS servers on 127.0.0.1 for the certificate tests: one port serving several names by SNI, a
 * leaf-only server (incomplete chain), and a TCP server that accepts and never answers the handshake.
 * Every server answers a minimal HTTP 200 after the handshake so HTTP clients can use it too.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Pki } from './pki.js';

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

const HTTP_OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok';

function listen(server: net.Server, sockets: Set<net.Socket>): Promise<RunningServer> {
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function answer(s: tls.TLSSocket): void {
  s.on('error', (err) => void err); // clients that hang up mid-request are expected
  s.once('data', () => s.end(HTTP_OK));
}

/**
 * One port, many names: the SNI name's first label picks the leaf (`app.test` → leaf "app", served with its
 * chain). Unknown or absent SNI gets `defaultLeaf` (leaf only, so no chain certificate leaks into other contexts).
 */
export function startSniServer(
  pki: Pki,
  opts: { defaultLeaf?: string; leafOnly?: string[] } = {},
): Promise<RunningServer> {
  const def = pki.leaves[opts.defaultLeaf ?? 'self']!;
  const contexts = new Map<string, tls.SecureContext>();
  const server = tls.createServer(
    {
      key: def.key,
      cert: def.cert,
      SNICallback(name, cb) {
        const base = name.split('.')[0]!;
        const leaf = pki.leaves[base];
        if (!leaf) return cb(null, undefined);
        let ctx = contexts.get(base);
        if (!ctx) {
          const cert = opts.leafOnly?.includes(base) ? leaf.cert : leaf.chain;
          ctx = tls.createSecureContext({ key: leaf.key, cert });
          contexts.set(base, ctx);
        }
        cb(null, ctx);
      },
    },
    answer,
  );
  return listen(server, new Set());
}

/** A server with one certificate for every client (no SNI needed): leaf only, leaf + intermediate, or + root. */
export function startSingleServer(
  pki: Pki,
  leaf: string,
  opts: { leafOnly?: boolean; withRoot?: boolean } = {},
) {
  const l = pki.leaves[leaf]!;
  const cert = opts.leafOnly ? l.cert : opts.withRoot ? l.chain + pki.caCert : l.chain;
  const server = tls.createServer({ key: l.key, cert }, answer);
  return listen(server, new Set());
}

/** Accepts TCP and never sends a byte: a TLS client waits for the ServerHello forever. */
export function startHangingServer(): Promise<RunningServer & { accepted: () => number }> {
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    s.on('error', (err) => void err);
  });
  return listen(server, new Set()).then((r) => ({ ...r, accepted: () => accepted }));
}
