/**
 * The fake's patch and selector implementations against the examples of RFC 6902 / RFC 7386 and the
 * Kubernetes strategic-merge-patch directives, plus label/field selector parsing.
 */
import { describe, expect, it } from 'vitest';
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from './patch.js';
import type { KObj } from './resources.js';
import {
  matchFields,
  matchLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from './selectors.js';

describe('json patch (RFC 6902)', () => {
  it('applies add/remove/replace/move/copy/test with escaped pointers and "-"', () => {
    const doc = { a: { 'b/c': 1, 'd~e': [1, 2] }, list: ['x'] };
    const out = jsonPatch(doc, [
      { op: 'add', path: '/list/-', value: 'y' },
      { op: 'add', path: '/list/0', value: 'w' },
      { op: 'replace', path: '/a/b~1c', value: 2 },
      { op: 'copy', from: '/a/d~0e', path: '/copied' },
      { op: 'move', from: '/copied', path: '/moved' },
      { op: 'remove', path: '/a/d~0e/0' },
      { op: 'test', path: '/moved', value: [1, 2] },
    ]);
    expect(out).toEqual({ a: { 'b/c': 2, 'd~e': [2] }, list: ['w', 'x', 'y'], moved: [1, 2] });
    expect(doc.list).toEqual(['x']); // the input is not mutated
  });

  it('fails as a whole on a failed test or a missing path', () => {
    expect(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow(PatchError);
    expect(() => jsonPatch({ a: 1 }, [{ op: 'replace', path: '/b', value: 2 }])).toThrow(/missing path/);
    expect(() => jsonPatch({ a: [] }, [{ op: 'remove', path: '/a/0' }])).toThrow(/missing path/);
    expect(() => jsonPatch({}, { op: 'add' })).toThrow(/array/);
  });
});

describe('merge patch (RFC 7386)', () => {
  it('merges objects, deletes with null, replaces arrays and scalars', () => {
    expect(
      mergePatch({ a: 'b', c: { d: 'e', f: 'g' }, l: [1, 2] }, { a: 'z', c: { f: null }, l: [3] }),
    ).toEqual({
      a: 'z',
      c: { d: 'e' },
      l: [3],
    });
    expect(mergePatch({ a: 1 }, 'x')).toBe('x');
  });
});

describe('strategic merge patch', () => {
  const base = {
    metadata: { finalizers: ['a'], labels: { app: 'web', x: '1' } },
    spec: {
      containers: [
        { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] },
        { name: 'side', image: 'side:1' },
      ],
      tolerations: [{ key: 'k' }],
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
    },
  };

  it('merges lists of objects by their merge key and keeps the rest', () => {
    const out = strategicMergePatch(base, {
      spec: { containers: [{ name: 'app', image: 'app:2', env: [{ name: 'B', value: '2' }] }] },
    }) as typeof base;
    expect(out.spec.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['app=app:2', 'side=side:1']);
    expect(out.spec.containers[0]!.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
  });

  it('honours $patch delete/replace, $retainKeys, $deleteFromPrimitiveList, $setElementOrder and atomic lists', () => {
    const out = strategicMergePatch(base, {
      metadata: { finalizers: ['b'], labels: { x: null } },
      spec: {
        containers: [{ name: 'side', $patch: 'delete' }],
        tolerations: [{ key: 'other' }],
        strategy: { $retainKeys: ['type'], type: 'Recreate' },
      },
    }) as KObj;
    expect(out.metadata.finalizers).toEqual(['a', 'b']);
    expect(out.metadata.labels).toEqual({ app: 'web' });
    expect(out.spec.containers.map((c: { name: string }) => c.name)).toEqual(['app']);
    expect(out.spec.tolerations).toEqual([{ key: 'other' }]);
    expect(out.spec.strategy).toEqual({ type: 'Recreate' });
    const dropped = strategicMergePatch(base, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
    }) as typeof base;
    expect(dropped.metadata.finalizers).toEqual([]);
    const ordered = strategicMergePatch(base, {
      spec: {
        '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }],
        containers: [{ name: 'app', image: 'app:3' }],
      },
    }) as typeof base;
    expect(ordered.spec.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['side=side:1', 'app=app:3']);
    const replaced = strategicMergePatch(base, {
      spec: { strategy: { $patch: 'replace', type: 'Recreate' } },
    }) as typeof base;
    expect(replaced.spec.strategy).toEqual({ type: 'Recreate' });
  });
});

describe('selectors', () => {
  it('parses and matches set-based and equality label selectors', () => {
    const reqs = parseLabelSelector('app=web,tier in (a, b),env!=prod,!canary,track');
    expect(matchLabels(reqs, { app: 'web', tier: 'b', env: 'dev', track: 'x' })).toBe(true);
    expect(matchLabels(reqs, { app: 'web', tier: 'c', env: 'dev', track: 'x' })).toBe(false);
    expect(matchLabels(reqs, { app: 'web', tier: 'a', env: 'dev', track: 'x', canary: '1' })).toBe(false);
    expect(matchLabels(parseLabelSelector('x notin (1)'), {})).toBe(true);
    expect(matchLabels(parseLabelSelector('app==web'), { app: 'web' })).toBe(true);
    expect(() => parseLabelSelector('a in')).toThrow(SelectorError);
  });

  it('matches field selectors on dotted paths', () => {
    const obj = {
      metadata: { name: 'web', namespace: 'default' },
      involvedObject: { kind: 'Deployment' },
      type: 'Normal',
    };
    expect(matchFields(parseFieldSelector('metadata.name=web,involvedObject.kind==Deployment'), obj)).toBe(
      true,
    );
    expect(matchFields(parseFieldSelector('type!=Normal'), obj)).toBe(false);
    expect(matchFields(parseFieldSelector('spec.nodeName='), obj)).toBe(true);
  });
});
