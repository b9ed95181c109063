/** `npm start`: the whole system locally, state kept under .wrangler/, the demo catalogue seeded. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { seedCatalogue } from "./catalogue.ts";
import { ensureDevVars, ROOT, startStack } from "./stack.ts";

ensureDevVars();
const devVars = Object.fromEntries(
	readFileSync(join(ROOT, ".dev.vars"), "utf8")
		.split("\n")
		.filter((l) => /^\w+=/.test(l))
		.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]),
);
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
