/** `npm start`: the whole system locally, state kept under .wrangler/, the demo catalogue seeded. */
import { join } from "node:path";
import { readDevVars } from "./lib/api.ts";
import { seedCatalogue } from "./lib/catalogue.ts";
import { ensureDevVars, ROOT, startStack } from "./lib/stack.ts";

ensureDevVars();
const devVars = readDevVars(ROOT);
const port = Number(process.env.PORT ?? 8787);
const stack = await startStack({ port, persistTo: join(ROOT, ".wrangler/state"), output: "inherit" });
const seeded = await seedCatalogue(stack.url, devVars.ADMIN_TOKEN ?? "");
console.log(`
  edge-saga is running at ${stack.url.replace("127.0.0.1", "localhost")}
  ${seeded.length > 0 ? `seeded the demo catalogue: ${seeded.join(", ")}` : "catalogue already present (state in .wrangler/state)"}
  try: curl -H "authorization: Bearer ${devVars.CUSTOMER_TOKEN}" ${stack.url.replace("127.0.0.1", "localhost")}/inventory/MUG-CLASSIC
`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.on(signal, () => void stack.stop().then(() => process.exit(0)));
}
stack.process.on("exit", (code) => process.exit(code ?? 0));
