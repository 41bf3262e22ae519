import React from 'react';
import { Box, Text } from 'ink';
import { displayKey } from '../hooks/bindings.js';
import { useApp, useAppState } from '../hooks/app-context.js';
import { updateUi, type ScreenName } from '../state/store.js';
import type { AppServices } from '../hooks/app-context.js';
import type { KeyBinding } from '../hooks/bindings.js';
import { bindingsFor } from './registry.js';

/** Scrolling: Help is often longer than an 80×24 screen. */
export function helpBindings(app: AppServices): KeyBinding[] {
  const scroll = (d: number) => {
    const cur = app.store.getState().ui.helpScroll ?? 0;
    updateUi(app.store, { helpScroll: Math.max(0, cur + d) });
  };
  return [
    {
      keys: ['down', 'j'],
      label: 'down',
      description: 'Scroll down',
      disabledReason: null,
      run: () => scroll(1),
    },
    { keys: ['up', 'k'], label: 'up', description: 'Scroll up', disabledReason: null, run: () => scroll(-1) },
    {
      keys: ['pagedown', ' '],
      label: 'page down',
      description: 'Scroll a page down',
      disabledReason: null,
      run: () => scroll(10),
    },
    {
      keys: ['pageup'],
      label: 'page up',
      description: 'Scroll a page up',
      disabledReason: null,
      run: () => scroll(-10),
    },
  ];
}

/** Generated from the bindings of the screen Help was opened from. */
export function Help({ screen, height, width }: { screen: ScreenName; height: number; width: number }) {
  const app = useApp();
  const lines = useAppState((s) =>
    bindingsFor(app, s, screen)
      .map(
        (b) =>
          `${b.keys.map(displayKey).join('/').padEnd(12)} ${b.description}${b.disabledReason ? `\n${' '.repeat(13)}disabled: ${b.disabledReason}` : ''}`,
      )
      .join('\n'),
  );
  const scroll = useAppState((s) => s.ui.helpScroll ?? 0);
  const all = lines.split('\n');
  const visible = height - 2;
  const top = Math.min(scroll, Math.max(0, all.length - visible));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold>KEYS on {screen} (Esc back)</Text>
      {all.slice(top, top + visible).map((l, i) => (
        <Text key={i} wrap="truncate-end" dimColor={l.trimStart().startsWith('disabled:')}>
          {l}
        </Text>
      ))}
      <Text dimColor>
        {all.length > visible
          ? `lines ${top + 1}–${Math.min(all.length, top + visible)} of ${all.length} · j/k, PgDn/PgUp scroll`
          : ' '}
      </Text>
    </Box>
  );
}
