// Types for the pieces of scripts/build.mjs that tests import (the build itself is plain JavaScript).
import type { Plugin } from 'esbuild';

/** The esbuild plugins every bundle of oncall is built with. */
export declare const plugins: Plugin[];
/** Source of the lazily-created Intl.Segmenter module substituted into the bundle. */
export declare const LAZY_SEGMENTER: string;
