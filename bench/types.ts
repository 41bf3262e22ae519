/** One line of the `npm run bench` table: a measure next to a baseline taken in the same run. */
export interface BenchRow {
  /** Section, e.g. "start-up", "kubernetes", "prometheus". */
  group: string;
  measure: string;
  value: number;
  unit: string;
  /** What this is compared with, measured in the same process/run. */
  baseline?: { label: string; value: number };
  /** value / baseline.value, or any ratio the measure is judged by. */
  ratio?: number;
  /** The target from the issue, e.g. "≤ 4.5× floor", and whether it holds. */
  target?: string;
  pass?: boolean;
  note?: string;
}

export interface BenchSuite {
  name: string;
  run(): Promise<BenchRow[]>;
}
