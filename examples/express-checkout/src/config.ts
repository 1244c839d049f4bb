/**
 * The shop's configuration, from the environment. A `.env` file in the
 * working directory fills in what the environment lacks (copy .env.example:
 * it holds the sandbox's public defaults, not real credentials).
 */
import { existsSync } from 'node:fs';
import { DEFAULT_SCHEMA } from './database.js';

export interface ShopConfig {
  port: number;
  database_url: string;
  schema: string;
  merchant: string;
  merchant_auth_token: string;
  webhook_secrets: string[];
  shop_public_origin: string;
  allow_metered_payments: boolean;
}

/** Loads `.env` without overriding variables that are already set. */
export function loadDotEnv(file = '.env'): void {
  if (!existsSync(file)) return;
  const load = (process as { loadEnvFile?: (path: string) => void }).loadEnvFile;
  if (typeof load !== 'function') throw new Error('Reading .env needs Node 20.12 or newer; export the variables instead.');
  const before = { ...process.env };
  load(file);
  // Whatever loadEnvFile does with keys that exist already, the real environment wins.
  Object.assign(process.env, before);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: copy .env.example to .env (sandbox values) or export it.`);
  return value;
}

/** Reads the configuration; throws naming the first missing variable (never printing a value). */
export function readConfig(): ShopConfig {
  const previous = process.env.SIGLUME_WEBHOOK_SECRET_PREVIOUS;
  return {
    port: Number(process.env.PORT ?? 3000),
    database_url: required('DATABASE_URL'),
    schema: process.env.SHOP_DB_SCHEMA ?? DEFAULT_SCHEMA,
    merchant: required('SIGLUME_DIRECT_PAYMENT_MERCHANT'),
    merchant_auth_token: required('SIGLUME_MERCHANT_AUTH_TOKEN'),
    // The current secret first; the previous one only while a rotation is under way.
    webhook_secrets: [required('SIGLUME_WEBHOOK_SECRET'), ...(previous ? [previous] : [])],
    shop_public_origin: required('SHOP_PUBLIC_ORIGIN'),
    allow_metered_payments: process.env.SHOP_ALLOW_METERED_PAYMENTS === 'true',
  };
}
