/**
 * `npm run verify`: checks the invariants of a running system (by default `npm start`'s, on
 * PORT or 8787, with the admin token of .dev.vars) and prints a verdict table; exits 1 on a violation.
 */
import { Api, readDevVars } from "./lib/api.ts";
import { checkInvariants, printVerdicts } from "./lib/checker.ts";
import { ROOT } from "./lib/stack.ts";

const url = process.env.EDGE_SAGA_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8787}`;
const token = process.env.ADMIN_TOKEN ?? readDevVars(ROOT).ADMIN_TOKEN ?? "";
const result = await checkInvariants(new Api(url, token));
console.log(`checked ${result.states.length} orders at ${url}`);
printVerdicts(result.verdicts);
process.exit(result.verdicts.every((v) => v.ok) ? 0 : 1);
