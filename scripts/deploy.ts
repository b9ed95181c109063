/**
 * `npm run deploy`: checks that no config could switch fault injection on, creates the queues that
 * are missing, then deploys every Worker on its own, in dependency order, so each context can also
 * ship alone (`npx wrangler deploy -c <its config>`). The local faults Worker is not among them.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { experimental_readRawConfig } from "wrangler";
import { deployRefusals } from "./lib/deploy-check.ts";
import { ROOT } from "./lib/stack.ts";
import { QUEUES, WORKERS } from "./lib/workers.ts";

const refusals = WORKERS.flatMap((w) =>
	deployRefusals(experimental_readRawConfig({ config: join(ROOT, w.config) }).rawConfig, w.config),
);
if (refusals.length) {
	console.error(`Refusing to deploy: fault injection must never reach production.\n  ${refusals.join("\n  ")}`);
	process.exit(1);
}

const wrangler = (args: string[], capture = false) =>
	execFileSync(join(ROOT, "node_modules/.bin/wrangler"), args, {
		cwd: ROOT,
		stdio: capture ? "pipe" : "inherit",
		encoding: "utf8",
	});

const existing = wrangler(["queues", "list"], true);
for (const queue of QUEUES) {
	if (new RegExp(`\\b${queue}\\b`).test(existing)) continue;
	console.log(`» creating queue ${queue}`);
	wrangler(["queues", "create", queue]);
}
for (const w of WORKERS) {
	console.log(`» deploying ${w.name}`);
	wrangler(["deploy", "-c", w.config]);
}
console.log(
	"Set the gateway's secrets once: npx wrangler secret put CUSTOMER_TOKEN && npx wrangler secret put ADMIN_TOKEN",
);
