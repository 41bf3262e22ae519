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

const Row = memo(function Row<R>({
  row,
  columns,
  selected,
  color,
}: {
  row: R;
  columns: Column<R>[];
  selected: boolean;
  color: boolean;
}) {
  return (
    <Box>
      <Text inverse={selected}>{selected ? '›' : ' '}</Text>
      {columns.map((c) => (
        <Text key={c.title} inverse={selected} color={color ? c.color?.(row) : undefined}>
          {' '}
          {fit(c.cell(row), c.width, c.align)}
        </Text>
      ))}
    </Box>
  );
}) as <R>(p: { row: R; columns: Column<R>[]; selected: boolean; color: boolean }) => React.ReactElement;

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
        <Row key={rowKey(r)} row={r} columns={columns} selected={start + i === selected} color={color} />
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
