/**
 * `npm run verify`: checks the invariants of a running system (by default `npm start`'s, on PORT
 * or 8787, with an admin token signed by the local key; EDGE_SAGA_URL and ADMIN_TOKEN point it
 * elsewhere) and prints a verdict table; exits 1 on a violation.
 */
import { join } from "node:path";
import { Api } from "./lib/api.ts";
import { checkInvariants, printVerdicts } from "./lib/checker.ts";
import { LOCAL_IDENTITY_DIR, loadOrCreateIdentity, mintToken } from "./lib/identity.ts";
import { ROOT } from "./lib/stack.ts";

const url = process.env.EDGE_SAGA_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`;
const token =
	process.env.ADMIN_TOKEN ??
	(await mintToken(await loadOrCreateIdentity(join(ROOT, LOCAL_IDENTITY_DIR)), {
		customerId: "verify",
		admin: true,
		ttlSeconds: 3600,
	}));
const result = await checkInvariants(new Api(url, token));
console.log(`checked ${result.states.length} orders at ${url}`);
printVerdicts(result.verdicts);
process.exit(result.verdicts.every((v) => v.ok) ? 0 : 1);
