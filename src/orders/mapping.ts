/**
 * How a SQL adapter finds the merchant's own orders table: its name, the
 * columns the core reads and writes, and the status values the shop uses.
 * Shared by every SQL dialect; the defaults match the sample `orders.sql`.
 */
import { SiglumeValidationError } from '../core/errors.js';
import type { OrderPaymentStatus } from './store.js';

/** Where an adapter finds orders in your database. Every field is optional. */
export interface OrdersTableMapping {
  /** Table name, optionally schema-qualified (`shop.orders`); the same table your own unquoted SQL names (the store quotes each part, lower-cased on PostgreSQL). @default 'orders' */
  table?: string | undefined;
  /** Primary key column (text or a number the driver returns as text). @default 'order_id' */
  id_column?: string | undefined;
  /** Price in minor units (JPY yen, USD cents), an integer column. @default 'amount_minor' */
  amount_column?: string | undefined;
  /** `JPY` / `USD` (case-insensitive). @default 'currency' */
  currency_column?: string | undefined;
  /** The order's status. @default 'status' */
  status_column?: string | undefined;
  /** Column identifying the buyer, handed to `authorize_order` as `owner_id`; null for none. @default 'user_id' */
  owner_column?: string | null | undefined;
  /** A timestamp column set when the order becomes paid, or null. @default null */
  paid_at_column?: string | null | undefined;
  /**
   * Your status values for the three states the core knows. Any other value
   * (cancelled, shipped, ...) makes the order not payable.
   * @default { pending: 'pending', paid: 'paid', fulfilled_unsettled: 'fulfilled_unsettled' }
   */
  status_values?: { pending?: string; paid?: string; fulfilled_unsettled?: string } | undefined;
}

/** A validated {@link OrdersTableMapping} with defaults applied. */
export interface ResolvedOrdersTable {
  table: string;
  id: string;
  amount: string;
  currency: string;
  status: string;
  owner: string | null;
  paid_at: string | null;
  values: Record<Exclude<OrderPaymentStatus, 'other'>, string>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Throws unless `name` is a plain SQL identifier (optionally `schema.name` when `qualified`). */
export function sqlIdentifier(name: unknown, field: string, qualified = false): string {
  const parts = typeof name === 'string' ? name.split('.') : [];
  const ok = parts.length >= 1 && parts.length <= (qualified ? 2 : 1) && parts.every((p) => IDENTIFIER.test(p));
  if (!ok) {
    throw new SiglumeValidationError(
      field,
      `Invalid ${field}: must be a plain SQL identifier (letters, digits, _)${qualified ? ', optionally schema-qualified' : ''}`,
    );
  }
  return name as string;
}

function statusValue(value: unknown, field: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '' || value.length > 64) {
    throw new SiglumeValidationError(field, `Invalid ${field}: must be a string of 1-64 characters`);
  }
  return value;
}

/** Applies defaults and validates every name. */
export function resolveOrdersTable(mapping: OrdersTableMapping = {}): ResolvedOrdersTable {
  if (mapping === null || typeof mapping !== 'object') throw new SiglumeValidationError('orders', 'Invalid orders: must be an object');
  const col = (value: string | null | undefined, field: string, fallback: string | null): string | null =>
    value === null ? null : value === undefined ? fallback : sqlIdentifier(value, `orders.${field}`);
  const v = mapping.status_values ?? {};
  const values = {
    pending: statusValue(v.pending, 'orders.status_values.pending', 'pending'),
    paid: statusValue(v.paid, 'orders.status_values.paid', 'paid'),
    fulfilled_unsettled: statusValue(v.fulfilled_unsettled, 'orders.status_values.fulfilled_unsettled', 'fulfilled_unsettled'),
  };
  if (new Set(Object.values(values)).size !== 3) {
    throw new SiglumeValidationError('orders.status_values', 'Invalid orders.status_values: the three values must differ');
  }
  return {
    table: mapping.table === undefined ? 'orders' : sqlIdentifier(mapping.table, 'orders.table', true),
    id: col(mapping.id_column, 'id_column', 'order_id')!,
    amount: col(mapping.amount_column, 'amount_column', 'amount_minor')!,
    currency: col(mapping.currency_column, 'currency_column', 'currency')!,
    status: col(mapping.status_column, 'status_column', 'status')!,
    owner: col(mapping.owner_column, 'owner_column', 'user_id'),
    paid_at: col(mapping.paid_at_column, 'paid_at_column', null),
    values,
  };
}

/** The core's view of a stored status value. */
export function orderStatusOf(value: unknown, t: ResolvedOrdersTable): OrderPaymentStatus {
  if (value === t.values.pending) return 'pending';
  if (value === t.values.paid) return 'paid';
  if (value === t.values.fulfilled_unsettled) return 'fulfilled_unsettled';
  return 'other';
}
