/**
 * The built binary in tmux at 80×24: the demo starts, the incident appears, it is rolled back with keys
 * only (at most 8 keystrokes plus typing the service name), `q` exits and the terminal is restored.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { requireBinaries } from '../helpers/backend.js';
import { startTmux, type TmuxSession } from '../helpers/tmux.js';

const BIN = resolve(__dirname, '../../dist/oncall.mjs');
let tmux: TmuxSession | null = null;
afterEach(() => {
  tmux?.kill();
  tmux = null;
});

describe.runIf(requireBinaries(['tmux']))('demo in tmux (bundled binary)', () => {
  it('finds and rolls back the incident with keys only; audit holds started and finished; q restores the terminal', async () => {
    expect(existsSync(BIN), 'npm test builds dist/oncall.mjs first').toBe(true);
    tmux = startTmux('bash --norc --noprofile', { env: { PS1: 'READY$ ', TERM: 'xterm-256color' } });
    const dir = tmux.dir;
    const audit = join(dir, 'audit.jsonl');
    const script = join(dir, 'run.sh');
    writeFileSync(
      script,
      [
        `stty -a > ${dir}/stty.before`,
        `echo MARKER-BEFORE-ONCALL`,
        `node ${BIN} demo --speed 20 --audit-file ${audit}`,
        `echo "ONCALL-EXIT=$?"`,
        `stty -a > ${dir}/stty.after`,
      ].join('\n'),
    );
    await tmux.waitFor('READY$');
    tmux.sendText(`bash ${script}`);
    tmux.send('Enter');

    let keystrokes = 0;
    const key = (k: string) => {
      keystrokes++;
      tmux!.send(k);
    };
    // The incident develops: checkout-api starts paging and sorts to the top, selected.
    const incident = await tmux.waitFor(/›\s*checkout-api\s+CRIT/);
    // The frame is intact: header on the first row, column titles on the third, nothing scrolled.
    const rows = incident.split('\n');
    expect(rows[0]).toMatch(/^oncall ctx sandbox-prod-eu1/);
    expect(rows[2]).toMatch(/^\s+SERVICE\s+STATE\s+ROLLOUT/);
    expect(rows[3]).toMatch(/^›\s*checkout-api\s+CRIT/);
    key('Enter');
    await tmux.waitFor(/^ROLLOUT /m);
    key('r');
    await tmux.waitFor('Roll back to which revision?');
    key('Enter');
    await tmux.waitFor('Type checkout-api to confirm');
    tmux.sendText('checkout-api');
    key('Enter');
    const done = await tmux.waitFor('DONE: verified', 30_000);
    expect(done).toMatch(/rollout complete: 4\/4 available on 2\.13\.2/);
    key('Escape');
    await tmux.waitFor((s) => !s.includes('DONE: verified'));
    key('q');
    const after = await tmux.waitFor('ONCALL-EXIT=0');
    expect(keystrokes).toBeLessThanOrEqual(8 + 1); // 8 keys for the rollback, plus q to quit
    // Alternate screen left: the shell's earlier output is back; the stty settings are unchanged.
    expect(after).toContain('MARKER-BEFORE-ONCALL');
    await tmux.waitFor(() => existsSync(join(dir, 'stty.after')));
    expect(readFileSync(join(dir, 'stty.after'), 'utf8')).toBe(
      readFileSync(join(dir, 'stty.before'), 'utf8'),
    );

    const records = readFileSync(audit, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { procedure: string; step: string; outcome: string; service: string });
    const rollback = records.filter((r) => r.procedure === 'rollback');
    expect(rollback.map((r) => r.step)).toEqual(['started', 'executed', 'finished']);
    expect(rollback[2]).toMatchObject({ outcome: 'success', service: 'checkout-api' });
  });
});
