import { env } from "cloudflare:test";
import { applyTestMigrations } from "../../../shared/testing/d1";

// The read model's schema, as `npm start` and `npm run deploy` apply it.
await applyTestMigrations(env.ORDERS_DB);
