/**
 * Entry point loaded with dynamic import() by src/adapters/load.ts (dockerode costs ~130 ms to import, so
 * it never sits on the first-frame path). The mutate port is built only when not read-only.
 */
import Docker from 'dockerode';
import { dockerodeOptions, resolveDockerTarget, type DockerTarget } from './connection.js';
import { DockerReadPort, type DockerReadOptions } from './read.js';
import { DockerMutatePort } from './mutate.js';

export { DockerReadPort } from './read.js';
export { DockerMutatePort } from './mutate.js';
export { resolveDockerTarget } from './connection.js';

export interface DockerAdapters {
  target: DockerTarget;
  read: DockerReadPort;
  mutate: DockerMutatePort | null;
}

export function createDockerAdapters(opts: {
  host?: string;
  env?: NodeJS.ProcessEnv;
  readOnly: boolean;
  read?: DockerReadOptions;
}): DockerAdapters {
  const target = resolveDockerTarget(opts.host, opts.env ?? process.env);
  const docker = new Docker(dockerodeOptions(target) as Docker.DockerOptions);
  const read = new DockerReadPort(docker, target, opts.read);
  return { target, read, mutate: opts.readOnly ? null : new DockerMutatePort(docker, read) };
}
