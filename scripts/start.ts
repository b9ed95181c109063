/** `npm start`: the whole system locally, state kept under .wrangler/, the demo catalogue seeded, tokens printed. */
import { join } from "node:path";
import { seedCatalogue } from "./lib/catalogue.ts";
import { LOCAL_IDENTITY_DIR, loadOrCreateIdentity, mintToken } from "./lib/identity.ts";
import { ROOT, startStack } from "./lib/stack.ts";

const DEMO_CUSTOMER = "cust-42";

const identity = await loadOrCreateIdentity(join(ROOT, LOCAL_IDENTITY_DIR));
const port = Number(process.env.PORT ?? 8787);
// One readable line per hop; LOG_FORMAT=json shows the JSON lines the Workers write, as Workers Logs gets them.
const output = process.env.LOG_FORMAT === "json" ? "inherit" : "readable";
const stack = await startStack({ port, persistTo: join(ROOT, ".wrangler/state"), identity, output });
const admin = await mintToken(identity, { customerId: "admin", admin: true });
const customer = await mintToken(identity, { customerId: DEMO_CUSTOMER });
const seeded = await seedCatalogue(stack.url, admin);
const url = stack.url.replace("127.0.0.1", "localhost");
console.log(`
  edge-saga is running at ${url}
  ${seeded.length > 0 ? `seeded the demo catalogue: ${seeded.join(", ")}` : "catalogue already present (state in .wrangler/state)"}

  tokens, valid 12 hours (fresh ones: npm run token -- --customer <id> | --admin):
    export CUSTOMER_TOKEN=${customer}   # customer ${DEMO_CUSTOMER}
    export ADMIN_TOKEN=${admin}

  try: curl -H "authorization: Bearer $CUSTOMER_TOKEN" ${url}/inventory/MUG-CLASSIC
  dashboard: ${url}/dashboard#token=${admin}
`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.on(signal, () => void stack.stop().then(() => process.exit(0)));
}
stack.process.on("exit", (code) => process.exit(code ?? 0));
