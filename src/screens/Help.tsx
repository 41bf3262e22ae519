import React from 'react';
import { Box, Text } from 'ink';
import { displayKey } from '../hooks/bindings.js';
import { useApp, useAppState } from '../hooks/app-context.js';
import type { ScreenName } from '../state/store.js';
import { bindingsFor } from './registry.js';

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
