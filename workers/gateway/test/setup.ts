import { env } from "cloudflare:test";
import { applyTestMigrations } from "../../../shared/testing/d1";

// The order Worker beside the gateway reads its read model from D1: its schema, as `npm start` applies it.
await applyTestMigrations((env as unknown as { ORDERS_DB: D1Database }).ORDERS_DB);
