/** Where a CLI verb reads its environment and writes its output (process streams, or a test's buffers). */
export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}
