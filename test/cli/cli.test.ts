import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'oncall-cli-'));

describe('oncall --demo status --json', () => {
  it('prints the documented JSON for every service and exits 2 when something is critical', () => {
    const r = runCli(['--demo', 'status', '--json']);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['generatedAt', 'mode', 'services']));
    expect(json.mode).toBe('demo');
    expect(new Date(json.generatedAt).toISOString()).toBe(json.generatedAt);
    const names = json.services.map((s: { name: string }) => s.name).sort();
    expect(names).toEqual(['accounts', 'checkout-api', 'ledger', 'orders-db', 'search', 'webhooks']);
    for (const s of json.services) {
      expect(Object.keys(s)).toEqual(
        expect.arrayContaining(['name', 'tier', 'state', 'reasons', 'rollout', 'slo', 'certs', 'alerts']),
      );
      expect(['ok', 'warning', 'critical', 'unknown']).toContain(s.state);
      for (const c of s.certs)
        expect(Object.keys(c)).toEqual(expect.arrayContaining(['name', 'daysLeft', 'level']));
    }
    const checkout = json.services.find((s: { name: string }) => s.name === 'checkout-api');
    expect(checkout.rollout).toMatchObject({
      state: 'complete',
      revision: 7,
      image: 'registry.example.test/checkout-api:2.14.0',
    });
    expect(Object.keys(checkout.slo)).toEqual(
      expect.arrayContaining([
        'objective',
        'sli',
        'budgetRemainingMinutes',
        'burnRate1h',
        'burnRate6h',
        'alert',
      ]),
    );
    expect(checkout.slo.objective).toBe(99.9);
    const db = json.services.find((s: { name: string }) => s.name === 'orders-db');
    expect(db.state).toBe('critical');
    expect(db.certs[0]).toMatchObject({ daysLeft: 5, level: 'critical' });
    // Worst first.
    const rank = { critical: 3, warning: 2, unknown: 1, ok: 0 } as Record<string, number>;
    const ranks = json.services.map((s: { state: string }) => rank[s.state]);
    expect(ranks).toEqual([...ranks].sort((a: number, b: number) => b - a));
    expect(r.code).toBe(2);
  });

  it('plain status lists every service with its state', () => {
    const r = runCli(['--demo', 'status']);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^CRIT\s+orders-db/m);
    expect(r.stdout).toMatch(/^OK\s+webhooks/m);
  });

  it('exits 0 when all services are OK and 1 on warnings', () => {
    const dir = tmp();
    // A config with no sources at all has only unknown services: a warning (1), never "all OK".
    writeFileSync(join(dir, 'oncall.yaml'), 'services:\n  - name: api\n');
    expect(runCli(['status', '--json'], { cwd: dir }).code).toBe(1);
  });
});

describe('configuration errors', () => {
  it('a bad field prints file:line and exits 2, and nothing else runs', () => {
    const dir = tmp();
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'audit: {path: ' + join(dir, 'audit.jsonl') + '}\nservices:\n  - name: api\n    tier: prod\n',
    );
    for (const args of [
      ['--config', file, 'status', '--json'],
      ['--config', file],
      ['--config', file, 'config', 'check'],
    ]) {
      const r = runCli(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        new RegExp(`^oncall: ${file.replace(/[.]/g, '\\.')}:4:11: services\\[0\\]\\.tier: `),
      );
    }
    expect(existsSync(join(dir, 'audit.jsonl'))).toBe(false);
    expect(readdirSync(dir)).toEqual(['bad.yaml']);
  });
  it('config check accepts a valid file', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'oncall.yaml'), 'services:\n  - name: api\n    tier: staging\n');
    const r = runCli(['config', 'check'], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: 'config OK: 1 service(s)\n' });
  });
  it('no config at all says where it looked and suggests the demo', () => {
    const dir = tmp();
    const r = runCli(['status'], { cwd: dir, env: { XDG_CONFIG_HOME: join(dir, 'none') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no configuration found .*oncall demo/);
  });
});

describe('flags', () => {
  it('--version and --help', () => {
    expect(runCli(['--version']).stdout).toMatch(/^oncall \d+\.\d+\.\d+/);
    const help = runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('status [--json]');
    expect(help.stdout).toContain('--read-only');
  });
  it.each([
    [['--bogus'], /unknown flag --bogus/],
    [['--speed', 'fast', 'demo'], /--speed: expected a number/],
    [['--speed'], /--speed needs a value/],
    [['--namespace', 'Bad_NS', 'demo'], /--namespace: "Bad_NS" is not a valid namespace name/],
    [['frobnicate'], /unknown verb "frobnicate"/],
  ])('%j is refused with exit 2 and names the flag', (args, message) => {
    const r = runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
  it('--read-only status reports read-only mode', () => {
    const r = runCli(['--read-only', '--demo', 'status', '--json']);
    expect(JSON.parse(r.stdout).readOnly).toBe(true);
  });
});

describe('doctor', () => {
  it('reports every demo source reachable with latency and permitted actions', () => {
    const r = runCli(['--demo', 'doctor']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK\s+kubernetes \(sandbox-prod-eu1\)/m);
    expect(r.stdout).toMatch(/^OK\s+prometheus/m);
    expect(r.stdout).toMatch(/^OK\s+vault .*actions: kv write/m);
    const ro = runCli(['--read-only', '--demo', 'doctor']);
    expect(ro.stdout).toMatch(/actions: none \(read-only mode \(--read-only\)\)/);
  });
});
