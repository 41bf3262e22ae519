/** Every bench suite; each helper adds one import + entry. Suites run in this order. */
import type { BenchSuite } from '../types.js';
import { startup } from './startup.js';
import { render } from './render.js';
import { confirm } from './confirm.js';
import { status } from './status.js';
import { prometheus } from './prometheus.js';
import { probes } from './probes.js';
import { kubernetes } from './kubernetes.js';

export const suites: BenchSuite[] = [startup, render, confirm, status, prometheus, probes, kubernetes];
