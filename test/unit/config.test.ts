import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, findConfigFile, parseConfigText } from '../../src/config/load.js';
import { demoConfig } from '../../src/sandbox/demo-config.js';

function err(text: string): ConfigError {
  try {
    parseConfigText(text, 'oncall.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('config errors name file:line:column, the field and what was expected', () => {
  it('a bad enum value points at the value', () => {
    const e = err('services:\n  - name: api\n    tier: prod\n');
    expect(e.message).toMatch(/^oncall\.yaml:3:11: services\[0\]\.tier: /);
    expect(e.message).toMatch(/production|staging|dev/);
    expect([e.line, e.column]).toEqual([3, 11]);
  });
  it('an unknown key (a typo) is an error, located', () => {
    const e = err('services:\n  - name: api\n    kubernets: {namespace: x, deployment: y}\n');
    expect(e.message).toMatch(/^oncall\.yaml:2:5: services\[0\]: .*kubernets/);
  });
  it('a missing required field points at its parent', () => {
    const e = err('services:\n  - name: api\n    kubernetes: {namespace: x}\n');
    expect(e.message).toMatch(/^oncall\.yaml:3:17: services\[0\]\.kubernetes\.deployment: /);
  });
  it('a bad duration and a bad objective', () => {
    expect(
      err('services:\n  - name: api\n    slo: {objective: 99.9, window: 30 days, metric: m}\n').message,
    ).toMatch(/:3:\d+: services\[0\]\.slo\.window: expected a duration such as 5m, 1h or 30d/);
    expect(err('services:\n  - name: api\n    slo: {objective: 100, metric: m}\n').message).toMatch(
      /services\[0\]\.slo\.objective/,
    );
  });
  it('YAML syntax errors are located', () => {
    expect(err('services:\n  - name: api\n   tier: [\n').message).toMatch(
      /^oncall\.yaml:\d+:\d+: YAML syntax error/,
    );
  });
  it('duplicate keys are rejected', () => {
    expect(err('services:\n  - name: api\n    name: other\n').message).toMatch(
      /^oncall\.yaml:3:\d+: YAML syntax error.*[Dd]uplicate|unique/,
    );
  });
  it('an empty service list is rejected', () => {
    expect(err('services: []\n').message).toMatch(/services: expected at least one service/);
  });
});

describe('config discovery', () => {
  it('prefers --config, then $ONCALL_CONFIG, then ./oncall.yaml, then $XDG_CONFIG_HOME/oncall/config.yaml', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncall-cfg-'));
    expect(findConfigFile({ flag: 'a.yaml', env: { ONCALL_CONFIG: 'b.yaml' }, cwd: dir })).toBe('a.yaml');
    expect(findConfigFile({ env: { ONCALL_CONFIG: 'b.yaml' }, cwd: dir })).toBe('b.yaml');
    expect(findConfigFile({ env: { XDG_CONFIG_HOME: join(dir, 'x') }, cwd: dir })).toBeUndefined();
    writeFileSync(join(dir, 'oncall.yaml'), 'services: []');
    expect(findConfigFile({ env: {}, cwd: dir })).toBe(join(dir, 'oncall.yaml'));
  });
  it('the embedded demo config is valid', () => {
    expect(demoConfig().services.map((s) => s.name)).toContain('checkout-api');
  });
});

describe('examples/oncall.yaml', () => {
  it('is a valid configuration', async () => {
    const { loadConfigFile } = await import('../../src/config/load.js');
    const cfg = loadConfigFile(new URL('../../examples/oncall.yaml', import.meta.url).pathname);
    expect(cfg.services.map((s) => s.name)).toEqual(['checkout-api', 'webhooks', 'accounts']);
    expect(cfg.services[0]!.certificates).toHaveLength(3);
  });
});
