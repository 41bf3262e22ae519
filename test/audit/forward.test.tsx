/**
 * Forwarding against listeners started here: RFC 5424 syslog over UDP on 127.0.0.1 and over a unix stream
 * socket (octet counting), an HTTP webhook; failures are visible while the local file keeps every record.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { createServer as createNetServer, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog, type ForwardStatus } from '../../src/audit/log.js';
import { createSyslogForwarder, createWebhookForwarder } from '../../src/audit/forward.js';
import type { AuditInput, AuditRecord } from '../../src/audit/record.js';
import { verifyAuditFile } from '../../src/audit/verify.js';
import { renderApp, type RenderedApp } from '../helpers/render-app.js';
import { demoConfig } from '../../src/sandbox/demo-config.js';

const closers: (() => Promise<void> | void)[] = [];
let app: RenderedApp | null = null;
afterEach(async () => {
  await app?.cleanup();
  app = null;
  for (const c of closers.splice(0).reverse()) await c();
});

const actor = { user: 'alice', sshClient: '127.0.0.1:52144', host: 'ops-host', pid: process.pid };
const input = (i: number, over: Partial<AuditInput> = {}): AuditInput => ({
  procedure: 'rollback',
  step: i % 2 ? 'started' : 'finished',
  service: 'checkout-api',
  target: 'ctx/payments/checkout-api',
  outcome: i % 2 ? 'pending' : 'failed',
  detail: 'quote " and ] and \\ in text',
  ...over,
});

const tmpFile = () => join(mkdtempSync(join(tmpdir(), 'oncall-fwd-')), 'audit.jsonl');

// <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] BOM MSG
const RFC5424 =
  /^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (\S+) (\S+) (\S+) (\S+) (\[oncall@32473 (?:[^\]\\]|\\.)*\]) \ufeff(.*)$/s;

function parseSyslog(msg: string) {
  const m = RFC5424.exec(msg);
  if (!m) throw new Error(`not RFC 5424: ${msg.slice(0, 200)}`);
  return {
    pri: Number(m[1]),
    ts: m[2],
    host: m[3],
    app: m[4],
    procId: m[5],
    msgId: m[6],
    sd: m[7]!,
    record: JSON.parse(m[8]!) as AuditRecord,
  };
}

async function until(cond: () => boolean, what: string) {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('syslog (RFC 5424)', () => {
  it('UDP on 127.0.0.1: one datagram per record, in chain order, with the whole record', async () => {
    const received: string[] = [];
    const sock = createSocket('udp4');
    sock.on('message', (m) => received.push(m.toString('utf8')));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => sock.close(() => r())));
    const port = sock.address().port;

    const file = tmpFile();
    const log = createAuditLog({
      file,
      actor,
      version: 'test',
      mode: 'live',
      forwarders: [createSyslogForwarder({ address: `udp://127.0.0.1:${port}`, facility: 'authpriv' })],
    });
    const written: AuditRecord[] = [];
    for (let i = 1; i <= 4; i++) written.push(await log.append(input(i)));
    await until(() => received.length === 4, '4 datagrams');
    await log.close();

    const parsed = received.map(parseSyslog);
    expect(parsed.map((p) => p.record)).toEqual(written);
    // authpriv (10) * 8 + notice (5) for pending, + warning (4) for failed
    expect(parsed.map((p) => p.pri)).toEqual([85, 84, 85, 84]);
    expect(parsed[0]).toMatchObject({
      host: 'ops-host',
      app: 'oncall',
      procId: String(process.pid),
      msgId: 'started',
    });
    expect(parsed[0]!.ts).toBe(written[0]!.ts);
    expect(parsed[1]!.sd).toContain(`seq="2" hash="${written[1]!.hash}" prevHash="${written[0]!.hash}"`);
    expect(parsed[1]!.sd).toContain('outcome="failed" user="alice"');
    expect(log.forwardStatus()).toEqual([expect.objectContaining({ ok: true, lastSeq: 4, failures: 0 })]);
  });

  it('unix stream socket with octet counting (RFC 6587)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'oncall-sock-')), 'syslog.sock');
    let buffer = '';
    const server: Server = createNetServer((c) => c.on('data', (d) => (buffer += d.toString('utf8'))));
    await new Promise<void>((r) => server.listen(path, r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const frames = () => {
      const out: string[] = [];
      let rest = buffer;
      for (;;) {
        const m = /^(\d+) /.exec(rest);
        if (!m) break;
        const len = Number(m[1]);
        const body = Buffer.from(rest.slice(m[0].length), 'utf8');
        if (body.length < len) break;
        out.push(body.subarray(0, len).toString('utf8'));
        rest = body.subarray(len).toString('utf8');
      }
      return out;
    };

    const log = createAuditLog({
      file: tmpFile(),
      actor,
      version: 'test',
      mode: 'live',
      forwarders: [createSyslogForwarder({ address: `unix://${path}`, facility: 'local3' })],
    });
    const a = await log.append(input(1));
    const b = await log.append(input(2, { detail: 'ünïcode → arrows' }));
    await until(() => frames().length === 2, 'two framed messages');
    await log.close();
    const parsed = frames().map(parseSyslog);
    expect(parsed.map((p) => p.record.id)).toEqual([a.id, b.id]);
    expect(parsed[1]!.record.detail).toBe('ünïcode → arrows');
    expect(parsed[0]!.pri).toBe(19 * 8 + 5);
  });

  it('TCP on 127.0.0.1 with newline framing (for receivers that split on LF)', async () => {
    let buffer = '';
    const server: Server = createNetServer((c) => c.on('data', (d) => (buffer += d.toString('utf8'))));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const { port } = server.address() as { port: number };
    const log = createAuditLog({
      file: tmpFile(),
      actor,
      version: 'test',
      mode: 'live',
      forwarders: [createSyslogForwarder({ address: `tcp://127.0.0.1:${port}`, framing: 'newline' })],
    });
    const recs = [await log.append(input(1)), await log.append(input(2)), await log.append(input(3))];
    await until(() => buffer.split('\n').filter(Boolean).length === 3, 'three lines');
    await log.close();
    expect(buffer.endsWith('\n')).toBe(true);
    expect(
      buffer
        .split('\n')
        .filter(Boolean)
        .map((l) => parseSyslog(l).record.seq),
    ).toEqual(recs.map((r) => r.seq));
  });

  it('an unreachable receiver is reported, the append still succeeds and the local file has every record', async () => {
    const statuses: ForwardStatus[] = [];
    const file = tmpFile();
    const missing = join(mkdtempSync(join(tmpdir(), 'oncall-sock-')), 'nobody-listens.sock');
    const log = createAuditLog({
      file,
      actor,
      version: 'test',
      mode: 'live',
      forwarders: [createSyslogForwarder({ address: `unix://${missing}` })],
      onForwardStatus: (s) => statuses.push(s),
    });
    const rec = await log.append(input(1));
    await log.close();
    expect(rec.seq).toBe(1);
    expect(statuses.at(-1)).toMatchObject({ ok: false, failures: 1 });
    expect(statuses.at(-1)!.error).toMatch(/^seq 1 not forwarded to syslog unix:\/\/.*: connect ENOENT/);
    expect(verifyAuditFile(file)).toMatchObject({ ok: true, records: 1 });
  });
});

describe('webhook', () => {
  it('POSTs each record as JSON; a 500 is a visible failure', async () => {
    const bodies: AuditRecord[] = [];
    let status = 200;
    const server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        bodies.push(JSON.parse(body) as AuditRecord);
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const { port } = server.address() as { port: number };
    const log = createAuditLog({
      file: tmpFile(),
      actor,
      version: 'test',
      mode: 'live',
      forwarders: [createWebhookForwarder({ url: `http://127.0.0.1:${port}/audit?token=abc123secret` })],
    });
    const a = await log.append(input(1));
    await until(() => log.forwardStatus()[0]!.lastSeq === 1, 'the first delivery');
    status = 500;
    await log.append(input(2));
    await log.close();
    expect(bodies.map((b) => b.id)[0]).toBe(a.id);
    expect(bodies).toHaveLength(2);
    const st = log.forwardStatus()[0]!;
    expect(st).toMatchObject({ ok: false, lastSeq: 1, failures: 1 });
    expect(st.error).toBe(
      `seq 2 not forwarded to webhook http://127.0.0.1:${port}/audit: HTTP 500 Internal Server Error`,
    );
  });
});

describe('in the app', () => {
  it('a failing forwarder shows in the header; the rollback still happens and is in the local file', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'oncall-sock-')), 'nobody.sock');
    const config = {
      ...demoConfig(),
      audit: {
        maxSizeMiB: 16,
        lockTimeout: '5s',
        forward: {
          syslog: {
            address: `unix://${missing}`,
            facility: 'authpriv' as const,
            appName: 'oncall',
            framing: 'octet-counting' as const,
          },
        },
      },
    };
    app = await renderApp({ config, columns: 160, rows: 30 });
    await app.press('/');
    await app.type('search');
    await app.press('\r', '\r', 'r', '\r');
    await app.waitForFrame('Apply this change? [y/N]');
    await app.press('y');
    const f = await app.waitForFrame(
      /audit forward failing: seq \d+ not forwarded to syslog unix:\/\/\S+: connect ENOENT/,
      {
        advanceMs: 500,
      },
    );
    expect(f).toBeTruthy();
    await app.waitForFrame(/DONE|FAILED/, { advanceMs: 1000, timeoutMs: 20_000 });
    expect(app.world!.mutations.map((m) => m.kind)).toContain('rollback');
    const local = readFileSync(app.auditFile, 'utf8').trim().split('\n');
    expect(local.length).toBeGreaterThanOrEqual(3);
  });
});
