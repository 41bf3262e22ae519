import React from 'react';
import { Box, Text } from 'ink';
import { useApp, useAppState } from '../hooks/app-context.js';
import { isProductionContext, staleness } from '../state/selectors.js';
import { clock } from './format.js';
import { auditBanner } from '../audit/banner.js';
import { vaultBadge } from '../state/vault-status.js';

/** Context, mode, READ-ONLY badge, production banner and per-source staleness. */
export function Header({ width }: { width: number }) {
  const { color } = useApp();
  const mode = useAppState((s) => s.mode);
  const readOnly = useAppState((s) => s.readOnly);
  const contextName = useAppState((s) => s.contextName);
  const now = useAppState((s) => s.now);
  const stale = useAppState((s) => staleness(s, s.now).join(' · '));
  // An unfinished procedure from an earlier session, or audit forwarding failing (strings: cheap re-renders).
  const auditText = useAppState((s) => auditBanner(s)?.text ?? null);
  const auditError = useAppState((s) => auditBanner(s)?.level === 'error');
  const vaultText = useAppState((s) => vaultBadge(s.vault, s.now)?.text ?? null);
  const vaultLevel = useAppState((s) => vaultBadge(s.vault, s.now)?.level ?? 'ok');
  const production = useAppState((s) => isProductionContext(s, s.contextName));
  // A healthy Vault is a quiet note on the first line when it fits; trouble leads the second line.
  const line1 =
    `oncall ctx ${contextName}`.length +
    (production ? 13 : 0) +
    (mode === 'demo' ? 7 : 0) +
    (readOnly ? 11 : 0) +
    12;
  const vaultFits = vaultText !== null && line1 + vaultText.length + 1 <= width;
  return (
    <Box flexDirection="column" width={width}>
      <Box>
        <Text bold>oncall</Text>
        <Text> ctx </Text>
        <Text bold color={color && production ? 'red' : undefined}>
          {contextName}
        </Text>
        {production ? <Text color={color ? 'red' : undefined}> [PRODUCTION]</Text> : null}
        {mode === 'demo' ? <Text color={color ? 'cyan' : undefined}> [DEMO]</Text> : null}
        {readOnly ? (
          <Text inverse bold>
            {' READ-ONLY '}
          </Text>
        ) : null}
        <Box flexGrow={1} />
        {vaultText && vaultLevel === 'ok' && vaultFits ? <Text dimColor>{vaultText} </Text> : null}
        <Text dimColor>{clock(now)} UTC</Text>
      </Box>
      <Text wrap="truncate-end">
        {vaultText && vaultLevel !== 'ok' ? (
          <Text
            bold={vaultLevel === 'critical'}
            color={color ? (vaultLevel === 'critical' ? 'red' : 'yellow') : undefined}
          >
            {vaultText} ·{' '}
          </Text>
        ) : null}
        <Text dimColor>{stale || 'all sources fresh'}</Text>
      </Text>
      {auditText ? (
        <Text wrap="truncate-end" color={color ? (auditError ? 'red' : 'yellow') : undefined}>
          {auditText}
        </Text>
      ) : null}
    </Box>
  );
}
