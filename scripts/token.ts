/**
 * `npm run token -- --customer <id>` or `npm run token -- --admin`: prints a fresh token signed
 * with the local key that `npm start`'s gateway trusts (created under .wrangler/identity if missing).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LOCAL_IDENTITY_DIR, loadOrCreateIdentity, mintToken } from "./lib/identity.ts";
import { ROOT } from "./lib/stack.ts";

const { values } = parseArgs({
	options: {
		customer: { type: "string" },
		admin: { type: "boolean", default: false },
		ttl: { type: "string", default: String(12 * 3600) },
	},
});
if (!values.customer && !values.admin) {
	console.error("usage: npm run token -- --customer <id> | --admin [--customer <id>] [--ttl <seconds>]");
	process.exit(2);
}
const identity = await loadOrCreateIdentity(join(ROOT, LOCAL_IDENTITY_DIR));
console.log(
	await mintToken(identity, {
		customerId: values.customer ?? "admin",
		admin: values.admin,
		ttlSeconds: Number(values.ttl),
	}),
);
