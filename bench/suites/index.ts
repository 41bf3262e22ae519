/** Every bench suite; each helper adds one import + entry. Suites run in this order. */
import type { BenchSuite } from '../types.js';

export const suites: BenchSuite[] = [];
