/**
 * `npm run deploy`: checks that no config could switch fault injection on, that the gateway has
 * its identity settings and that the configs bind every shard of the event queues as
 * shared/topology.ts declares them, creates the queues (every shard) and D1 databases that are
 * missing, then deploys every Worker on its own, in dependency order, each after the D1 migrations of the databases it binds,
 * so each context can also ship alone (`npx wrangler deploy -c <its config>`, after
 * `npx wrangler d1 migrations apply <database> --remote -c <its config>` where it binds one).
 * The local faults Worker is not among them.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { experimental_readRawConfig } from "wrangler";
import { AUTH_SETTINGS, authSettings, deployRefusals, gatewayRefusals } from "./lib/deploy-check.ts";
import { shardProblems } from "./lib/queue-shards.ts";
import { GATEWAY_CONFIG, ROOT } from "./lib/stack.ts";
import { d1DatabasesIn, listsQueue, queuesIn, WORKERS } from "./lib/workers.ts";

const raw = (config: string) => experimental_readRawConfig({ config: join(ROOT, config) }).rawConfig;
const settings = authSettings(raw(GATEWAY_CONFIG), process.env);
const refusals = [
	...WORKERS.flatMap((w) => deployRefusals(raw(w.config), w.config)),
	...gatewayRefusals(raw(GATEWAY_CONFIG), GATEWAY_CONFIG, settings),
	...shardProblems(Object.fromEntries(WORKERS.map((w) => [w.name, raw(w.config)]))),
];
if (refusals.length) {
	console.error(
		`Refusing to deploy:\n  ${refusals.join("\n  ")}\nSet ${AUTH_SETTINGS.join(", ")} in ${GATEWAY_CONFIG} [vars] or as environment variables of this command.`,
	);
	process.exit(1);
}

const wrangler = (args: string[], capture = false) =>
	execFileSync(join(ROOT, "node_modules/.bin/wrangler"), args, {
		cwd: ROOT,
		stdio: capture ? "pipe" : "inherit",
		encoding: "utf8",
	});

const existing = wrangler(["queues", "list"], true);
for (const queue of queuesIn(WORKERS.map((w) => raw(w.config)))) {
	if (listsQueue(existing, queue)) continue;
	console.log(`» creating queue ${queue}`);
	wrangler(["queues", "create", queue]);
}
const databases = (JSON.parse(wrangler(["d1", "list", "--json"], true)) as { name: string }[]).map((d) => d.name);
for (const w of WORKERS) {
	// The schema first: the new code may read what only the new schema has (keep migrations additive,
	// so the Worker still running reads the migrated database too).
	for (const database of d1DatabasesIn(raw(w.config))) {
		if (!databases.includes(database)) {
			console.log(`» creating D1 database ${database}`);
			wrangler(["d1", "create", database]);
		}
		console.log(`» migrating D1 database ${database}`);
		wrangler(["d1", "migrations", "apply", database, "--remote", "-c", w.config]);
	}
	console.log(`» deploying ${w.name}`);
	// The identity settings as checked above, whether they came from the config or the environment.
	const vars = w.config === GATEWAY_CONFIG ? Object.entries(settings).flatMap(([k, v]) => ["--var", `${k}:${v}`]) : [];
	wrangler(["deploy", "-c", w.config, ...vars]);
}
console.log(
	"The gateway no longer reads the CUSTOMER_TOKEN and ADMIN_TOKEN secrets of earlier versions: remove them with npx wrangler secret delete.",
);
