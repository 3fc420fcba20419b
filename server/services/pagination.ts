import { sql, type Expression, type SqlBool } from 'kysely';
import { AppError } from '../shared/errors.js';

/** Keyset pagination on (created_at desc, id desc): stable while new rows arrive. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(row: { created_at: Date; id: string }): string {
  return Buffer.from(`${row.created_at.toISOString()}|${row.id}`).toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): Cursor | null {
  if (!cursor) return null;
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new AppError('INVALID_INPUT', { userMessage: 'That page link is not valid any more. Reload the list.' });
  }
  return { createdAt, id };
}

/** `(created_at, id) < (cursor)` for the given table alias. */
export function beforeCursor(table: string, c: Cursor): Expression<SqlBool> {
  return sql<SqlBool>`(${sql.ref(`${table}.created_at`)}, ${sql.ref(`${table}.id`)}) < (${c.createdAt}, ${c.id}::uuid)`;
}

/** Splits a `limit + 1` fetch into a page and the cursor for the next one. */
export function page<T extends { created_at: Date; id: string }>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
