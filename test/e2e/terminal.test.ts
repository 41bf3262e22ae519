/**
 * Terminal robustness of the bundled binary in tmux: resize reflows (and a too-small terminal says so),
 * NO_COLOR gives monochrome with text markers, Ctrl-C during a procedure and SIGHUP leave the terminal sane
 * (stty unchanged, cursor visible, alternate screen left) and an interrupted procedure is recorded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { requireBinaries } from '../helpers/backend.js';
import { startTmux, type TmuxSession } from '../helpers/tmux.js';

const BIN = resolve(__dirname, '../../dist/oncall.mjs');
let tmux: TmuxSession | null = null;
afterEach(() => {
  tmux?.kill();
  tmux = null;
});

function tmuxFlag(t: TmuxSession, flag: string): string {
  return execFileSync('tmux', ['-S', join(t.dir, 'tmux.sock'), 'display', '-p', '-t', 'ui', `#{${flag}}`], {
    encoding: 'utf8',
  }).trim();
}

/** The process whose command line contains `needle` (read from /proc, no procps needed). */
function pidWithArg(needle: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch (err) {
      void err; // the process ended while we looked
      continue;
    }
    const [exe] = cmdline.split('\0');
    if (cmdline.includes(needle) && /(^|\/)node(\d+)?$/.test(exe ?? '')) return Number(entry);
  }
  throw new Error(`no process with ${needle} in its command line`);
}

/** A bash pane that records stty before and after running oncall with `args`. */
async function shellRun(args: string, env: Record<string, string> = {}) {
  const t = startTmux('bash --norc --noprofile', { env: { PS1: 'READY$ ', TERM: 'xterm-256color', ...env } });
  tmux = t;
  const script = join(t.dir, 'run.sh');
  writeFileSync(
    script,
    [
      `stty -a > ${t.dir}/stty.before`,
      `node ${BIN} ${args} --audit-file ${t.dir}/audit.jsonl`,
      `echo "ONCALL-EXIT=$?"`,
      `stty -a > ${t.dir}/stty.after`,
    ].join('\n'),
  );
  await t.waitFor('READY$');
  t.sendText(`bash ${script}`);
  t.send('Enter');
  return t;
}

async function expectSaneAfterExit(t: TmuxSession, code: number) {
  await t.waitFor(`ONCALL-EXIT=${code}`);
  await t.waitFor(() => existsSync(join(t.dir, 'stty.after')));
  // Modes must match; the window size may legitimately differ after a resize.
  const modes = (f: string) => readFileSync(join(t.dir, f), 'utf8').replace(/rows \d+; columns \d+;/, '');
  expect(modes('stty.after')).toBe(modes('stty.before'));
  expect(tmuxFlag(t, 'alternate_on')).toBe('0');
  expect(tmuxFlag(t, 'cursor_flag')).toBe('1');
}

describe.runIf(requireBinaries(['tmux']))('terminal robustness (bundled binary in tmux)', () => {
  it('reflows on resize; below 80×24 it says so; growing back restores the screen', async () => {
    const t = await shellRun('demo');
    t.resize(100, 30);
    await t.waitFor(/›\s*\S+/);
    t.resize(80, 24);
    await t.waitFor((s) => /^oncall ctx/.test(s) && /SERVICE\s+STATE/.test(s));
    t.resize(60, 20);
    await t.waitFor('terminal too small (need 80×24, have 60×20)');
    t.resize(100, 30);
    const back = await t.waitFor((s) => /^oncall ctx/.test(s) && !s.includes('too small'));
    expect(back).toMatch(/SERVICE\s+STATE/);
    t.send('q');
    await expectSaneAfterExit(t, 0);
  });

  it('NO_COLOR: no colour escapes, state shown as text markers', async () => {
    const t = await shellRun('demo', { NO_COLOR: '1' });
    await t.waitFor('CRIT');
    const screen = t.capture({ escapes: true });
    // SGR colour parameters: 30–37, 38;…, 90–97 (foreground) and 40–47, 48;…, 100–107 (background).
    const colours = [...screen.matchAll(/\u001b\[([0-9;]*)m/g)]
      .flatMap((m) => m[1]!.split(';'))
      .filter((p) => /^(3[0-8]|9[0-7]|4[0-8]|10[0-7])$/.test(p));
    expect(colours).toEqual([]);
    expect(screen).toMatch(/CRIT/);
    expect(screen).toMatch(/OK/);
    t.send('q');
    await expectSaneAfterExit(t, 0);
  });

  it('--no-alt-screen leaves the last frame in the scrollback after q', async () => {
    const t = await shellRun('demo --no-alt-screen');
    await t.waitFor(/SERVICE\s+STATE/);
    t.send('q');
    const after = await t.waitFor('ONCALL-EXIT=0');
    expect(after).toMatch(/SERVICE\s+STATE/);
    expect(tmuxFlag(t, 'cursor_flag')).toBe('1');
  });

  it('TERM=dumb: readable monochrome', async () => {
    const t = await shellRun('demo', { TERM: 'dumb' });
    await t.waitFor('CRIT');
    const screen = t.capture({ escapes: true });
    const colours = [...screen.matchAll(/\u001b\[([0-9;]*)m/g)]
      .flatMap((m) => m[1]!.split(';'))
      .filter((p) => /^(3[0-8]|9[0-7]|4[0-8]|10[0-7])$/.test(p));
    expect(colours).toEqual([]);
    t.send('q');
    await expectSaneAfterExit(t, 0);
  });

  it('Ctrl-C during a procedure exits cleanly and changes nothing', async () => {
    const t = await shellRun('demo --speed 20');
    await t.waitFor(/›\s*checkout-api\s+CRIT/);
    t.send('Enter');
    await t.waitFor(/^ROLLOUT /m);
    t.send('r');
    await t.waitFor('Roll back to which revision?');
    t.send('Enter');
    await t.waitFor('Type checkout-api to confirm');
    t.send('C-c');
    await expectSaneAfterExit(t, 0);
    expect(existsSync(join(t.dir, 'audit.jsonl'))).toBe(false);
  });

  it('SIGTERM restores the terminal and exits 143', async () => {
    const t = await shellRun('demo');
    await t.waitFor(/SERVICE\s+STATE/);
    process.kill(pidWithArg(`${t.dir}/audit.jsonl`), 'SIGTERM');
    await expectSaneAfterExit(t, 143);
  });

  it('an uncaught error restores the terminal, says what happened and exits 70', async () => {
    const t = await shellRun('demo', { ONCALL_TEST_CRASH_AFTER_MS: '1500' });
    await t.waitFor(/SERVICE\s+STATE/);
    const after = await t.waitFor('ONCALL-EXIT=70');
    expect(after).toContain('oncall: unexpected error: Error: test crash (ONCALL_TEST_CRASH_AFTER_MS)');
    await expectSaneAfterExit(t, 70);
  });

  it('SIGHUP (SSH dropped) while a rollback is rolling out: the interruption is audited', async () => {
    const t = startTmux('bash --norc --noprofile', { env: { PS1: 'READY$ ', TERM: 'xterm-256color' } });
    tmux = t;
    const audit = join(t.dir, 'audit.jsonl');
    // A slow world (speed 1) keeps the rollout in progress long enough to drop the "connection".
    writeFileSync(
      join(t.dir, 'run.sh'),
      `echo $$ > ${t.dir}/shell.pid\nexec node ${BIN} demo --speed 1 --audit-file ${audit}\n`,
    );
    await t.waitFor('READY$');
    t.sendText(`bash ${join(t.dir, 'run.sh')}`);
    t.send('Enter');
    await t.waitFor(/›\s*checkout-api\s+CRIT/, 30_000);
    t.send('Enter');
    await t.waitFor(/^ROLLOUT /m);
    t.send('r');
    await t.waitFor('Roll back to which revision?');
    t.send('Enter');
    await t.waitFor('Type checkout-api to confirm');
    t.sendText('checkout-api');
    t.send('Enter');
    await t.waitFor(/rolling out…|verifying…/);
    const pid = Number(readFileSync(join(t.dir, 'shell.pid'), 'utf8'));
    process.kill(pid, 'SIGHUP');
    await t.waitFor('READY$');
    const steps = readFileSync(audit, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { procedure: string; step: string; outcome: string; detail?: string })
      .filter((r) => r.procedure === 'rollback');
    expect(steps.map((s) => s.step)).toEqual(['started', 'executed', 'interrupted']);
    expect(steps[2]).toMatchObject({ outcome: 'interrupted', detail: 'received SIGHUP' });
    expect(tmuxFlag(t, 'alternate_on')).toBe('0');
    expect(tmuxFlag(t, 'cursor_flag')).toBe('1');
  });
});
