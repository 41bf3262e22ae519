import React, { memo } from 'react';
import { Box, Text } from 'ink';

export interface Column<R> {
  title: string;
  width: number;
  align?: 'left' | 'right';
  cell: (row: R) => string;
  color?: (row: R) => string | undefined;
}

interface TableProps<R> {
  rows: R[];
  columns: Column<R>[];
  selected: number;
  height: number;
  rowKey: (row: R) => string;
  color: boolean;
}

function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (text.length > width) return width <= 1 ? '…' : `${text.slice(0, width - 1)}…`;
  return align === 'right' ? text.padStart(width) : text.padEnd(width);
}

function sameStrings(a: readonly (string | undefined)[], b: readonly (string | undefined)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * One table line as ONE Ink text node (cells are nested spans, not boxes): one layout node per row instead of
 * one per cell. Memoised on the formatted cells, so a store update that leaves a row's text and colours alone
 * does not re-render it, even though the row object itself is new.
 */
const Row = memo(
  function Row({
    cells,
    colors,
    selected,
  }: {
    cells: string[];
    colors: (string | undefined)[];
    selected: boolean;
  }) {
    return (
      <Text inverse={selected} wrap="truncate">
        {selected ? '›' : ' '}
        {cells.map((text, i) =>
          colors[i] ? <Text key={i} color={colors[i]}>{` ${text}`}</Text> : ` ${text}`,
        )}
      </Text>
    );
  },
  (a, b) => a.selected === b.selected && sameStrings(a.cells, b.cells) && sameStrings(a.colors, b.colors),
);

/** A virtualised table: only the rows that fit in `height` are rendered, scrolled to keep the selection visible. */
export function Table<R>({ rows, columns, selected, height, rowKey, color }: TableProps<R>) {
  const visible = Math.max(1, height - 1);
  const top = Math.min(Math.max(0, selected - visible + 1), Math.max(0, rows.length - visible));
  const start = Math.max(0, Math.min(top, selected));
  const window = rows.slice(start, start + visible);
  return (
    <Box flexDirection="column">
      <Text bold> {columns.map((c) => ` ${fit(c.title, c.width, c.align)}`).join('')}</Text>
      {window.map((r, i) => (
        <Row
          key={rowKey(r)}
          cells={columns.map((c) => fit(c.cell(r), c.width, c.align))}
          colors={columns.map((c) => (color ? c.color?.(r) : undefined))}
          selected={start + i === selected}
        />
      ))}
      {rows.length > visible ? (
        <Text dimColor>
          {' '}
          {start + 1}–{Math.min(rows.length, start + visible)} of {rows.length}
        </Text>
      ) : null}
    </Box>
  );
}
