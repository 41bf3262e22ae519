import { hostname, userInfo } from 'node:os';
import type { AuditActor } from './record.js';

/** Who is acting: OS user, the SSH client (from SSH_CONNECTION: "client_ip client_port server_ip server_port"), host. */
export function currentActor(env: NodeJS.ProcessEnv = process.env): AuditActor {
  let user = env.USER || env.LOGNAME || 'unknown';
  try {
    user = userInfo().username;
  } catch (err) {
    // userInfo throws when the uid has no passwd entry (containers): keep the environment's answer.
    user = `${user} (${(err as Error).message})`.slice(0, 80);
  }
  const ssh = env.SSH_CONNECTION?.trim().split(/\s+/);
  const sshClient = ssh && ssh.length >= 2 ? `${ssh[0]}:${ssh[1]}` : null;
  return { user, sshClient, host: hostname(), pid: process.pid };
}
