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
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold>KEYS on {screen} (Esc back)</Text>
      {lines
        .split('\n')
        .slice(0, height - 1)
        .map((l, i) => (
          <Text key={i} wrap="truncate-end" dimColor={l.trimStart().startsWith('disabled:')}>
            {l}
          </Text>
        ))}
    </Box>
  );
}
