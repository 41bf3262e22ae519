/**
 * Forwarding audit records elsewhere, after they are safely in the local file (which stays the source of
 * truth). A forwarder's failure never fails an append; the log reports it through a status callback.
 *
 * syslog: RFC 5424 messages. UDP (one datagram per record), TCP or a unix stream socket (RFC 6587 octet
 * counting: "LEN SP MSG"; `framing: newline` for receivers that want LF-terminated messages).
 * Node has no unix datagram sockets, so /dev/log-style datagram sockets are not supported.
 * webhook: POST application/json (the record) to a URL; any non-2xx answer is a failure.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import type { AuditRecord } from './record.js';

export interface AuditForwarder {
  readonly name: string;
  send(record: AuditRecord): Promise<void>;
  close(): Promise<void>;
}

export const FACILITIES = {
  kern: 0,
  user: 1,
  daemon: 3,
  auth: 4,
  syslog: 5,
  authpriv: 10,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type Facility = keyof typeof FACILITIES;

export interface SyslogOptions {
  /** udp://127.0.0.1:514, tcp://127.0.0.1:601 or unix:///path/to/socket */
  address: string;
  facility?: Facility;
  appName?: string;
  framing?: 'octet-counting' | 'newline';
  timeoutMs?: number;
  hostname?: string;
}

/** RFC 5424 PARAM-VALUE escaping: '"', '\' and ']' are escaped with a backslash. */
function sdValue(v: unknown): string {
  return String(v ?? '').replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** RFC 5424 header fields are PRINTUSASCII without spaces, bounded; "-" is the nil value. */
function headerField(v: string | undefined, max: number): string {
  const s = (v ?? '').replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return s || '-';
}

function severity(r: AuditRecord): number {
  // warning (4) for what went wrong, notice (5) otherwise
  return r.outcome === 'failed' || r.outcome === 'refused' || r.outcome === 'interrupted' ? 4 : 5;
}

export function formatRfc5424(
  r: AuditRecord,
  opts: { facility?: Facility; appName?: string; hostname?: string; procId?: number } = {},
): string {
  const pri = FACILITIES[opts.facility ?? 'authpriv'] * 8 + severity(r);
  const sd =
    `[oncall@32473 seq="${sdValue(r.seq)}" hash="${sdValue(r.hash)}" prevHash="${sdValue(r.prevHash)}"` +
    ` procedure="${sdValue(r.procedure)}" service="${sdValue(r.service)}" step="${sdValue(r.step)}"` +
    ` outcome="${sdValue(r.outcome)}" user="${sdValue(r.actor.user)}"` +
    (r.incidentId ? ` incident="${sdValue(r.incidentId)}"` : '') +
    ']';
  const header = [
    `<${pri}>1`,
    r.ts,
    headerField(opts.hostname ?? r.actor.host, 255),
    headerField(opts.appName ?? 'oncall', 48),
    headerField(String(opts.procId ?? r.actor.pid ?? process.pid), 128),
    headerField(r.step, 32),
  ].join(' ');
  // MSG: the whole record as JSON, so a receiver can re-verify the chain; BOM marks it UTF-8 (RFC 5424 6.4).
  return `${header} ${sd} \ufeff${JSON.stringify(r)}`;
}

function parseAddress(
  address: string,
): { kind: 'udp' | 'tcp'; host: string; port: number } | { kind: 'unix'; path: string } {
  const url = new URL(address);
  if (url.protocol === 'unix:') return { kind: 'unix', path: decodeURIComponent(url.pathname) };
  if (url.protocol !== 'udp:' && url.protocol !== 'tcp:')
    throw new Error(`syslog address ${address}: expected udp://, tcp:// or unix://`);
  const port = Number(url.port || 514);
  return { kind: url.protocol === 'udp:' ? 'udp' : 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

export function createSyslogForwarder(opts: SyslogOptions): AuditForwarder {
  const target = parseAddress(opts.address);
  const timeoutMs = opts.timeoutMs ?? 3000;
  // HOSTNAME: the configured one, else the host the record names (the writer's), else ours.
  const host = opts.hostname;
  const name = `syslog ${opts.address}`;
  let udp: UdpSocket | null = null;
  let stream: Socket | null = null;
  let streamReady: Promise<Socket> | null = null;

  function openStream(): Promise<Socket> {
    if (streamReady) return streamReady;
    streamReady = new Promise<Socket>((resolve, reject) => {
      const s =
        target.kind === 'unix'
          ? connect({ path: target.path })
          : connect({ host: (target as { host: string }).host, port: (target as { port: number }).port });
      const timer = setTimeout(() => {
        s.destroy(new Error(`connect timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.unref();
        stream = s;
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      s.on('close', () => {
        stream = null;
        streamReady = null;
      });
      // After connect, later errors close the socket; the next send reconnects.
      s.on('error', () => undefined);
    });
    streamReady.catch(() => {
      streamReady = null;
    });
    return streamReady;
  }

  return {
    name,
    async send(record) {
      const msg = Buffer.from(
        formatRfc5424(record, {
          facility: opts.facility,
          appName: opts.appName,
          hostname: host ?? (record.actor.host || hostname()),
        }),
        'utf8',
      );
      if (target.kind === 'udp') {
        if (!udp) {
          udp = createSocket(target.host.includes(':') ? 'udp6' : 'udp4');
          udp.on('error', () => undefined); // send() reports per message
          udp.unref();
        }
        const sock = udp;
        await new Promise<void>((resolve, reject) =>
          sock.send(msg, target.port, target.host, (err) => (err ? reject(err) : resolve())),
        );
        return;
      }
      const s = await openStream();
      const framed =
        opts.framing === 'newline'
          ? Buffer.concat([msg, Buffer.from('\n')])
          : Buffer.concat([Buffer.from(`${msg.length} `), msg]);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`write timed out after ${timeoutMs} ms`)), timeoutMs);
        s.write(framed, (err) => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        });
      });
    },
    async close() {
      const u = udp;
      udp = null;
      if (u) await new Promise<void>((r) => u.close(() => r()));
      const s = stream;
      stream = null;
      if (s) await new Promise<void>((r) => s.end(() => r()));
    },
  };
}

export interface WebhookOptions {
  url: string;
  timeoutMs?: number;
}

export function createWebhookForwarder(opts: WebhookOptions): AuditForwarder {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const display = (() => {
    const u = new URL(opts.url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  })();
  return {
    name: `webhook ${display}`,
    async send(record) {
      const res = await fetch(opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'oncall-audit' },
        body: JSON.stringify(record),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    },
    async close() {
      // fetch keeps no state of its own here
    },
  };
}
