import React from 'react';
import { Box, Text } from 'ink';
import { displayKey } from '../hooks/bindings.js';
import { useApp, useAppState } from '../hooks/app-context.js';
import { currentBindings } from '../screens/registry.js';

const FIRST = new Set(['help', 'quit']);

/** Key hints generated from the current bindings; disabled ones are marked "(off)", the flash line says why. */
export function Footer({ width }: { width: number }) {
  const app = useApp();
  const { color } = app;
  const flash = useAppState((s) => s.ui.flash);
  // A string, so the footer re-renders only when the hints change.
  const hints = useAppState((s) => {
    const all = currentBindings(app, s)
      .filter((b) => b.footer)
      // Help and quit first, so a narrow terminal never hides how to get help or out.
      .sort((a, b) => Number(FIRST.has(b.label)) - Number(FIRST.has(a.label)));
    const off = all.filter((b) => b.mutating && b.disabledReason);
    const shown = all
      .filter((b) => !(b.mutating && b.disabledReason))
      .map((b) => `${displayKey(b.keys[0] ?? '')} ${b.label}${b.disabledReason ? '(off)' : ''}`);
    if (off.length) {
      const reasons = new Set(off.map((b) => b.disabledReason));
      shown.push(
        s.readOnly && reasons.size === 1
          ? 'actions off: read-only'
          : `${off.map((b) => displayKey(b.keys[0] ?? '')).join('')} off (? why)`,
      );
    }
    return shown.join('  ');
  });
  return (
    <Box flexDirection="column" width={width}>
      <Text
        wrap="truncate-end"
        color={
          color && flash
            ? flash.level === 'error'
              ? 'red'
              : flash.level === 'warning'
                ? 'yellow'
                : 'cyan'
            : undefined
        }
      >
        {flash ? flash.text : ' '}
      </Text>
      <Text wrap="truncate-end">{hints}</Text>
    </Box>
  );
}
