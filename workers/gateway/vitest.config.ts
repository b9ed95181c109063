import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { WORKERS } from "../../scripts/lib/workers.ts";

const ROOT = join(import.meta.dirname, "../..");
const BUILD = join(ROOT, ".wrangler/test-gateway");

/**
 * The gateway's bindings reach the real contexts: each is built the way `wrangler deploy` bundles
 * it and runs beside the gateway as an auxiliary Worker, configured from its own wrangler.toml.
 */
function contextWorker(name: string, config: string) {
	const outdir = join(BUILD, name);
	execFileSync(
		process.execPath,
		[join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "-c", config, "--outdir", outdir],
		{ cwd: ROOT, stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
	);
	// The bundle is plain JavaScript already: its module rules and source root no longer apply.
	const {
		modulesRules: _,
		rootPath: __,
		...options
	} = unstable_getMiniflareWorkerOptions(join(ROOT, config)).workerOptions;
	return { ...options, name, modules: true, modulesRoot: outdir, scriptPath: join(outdir, "index.js") };
}

export default defineConfig({
	plugins: [
		cloudflareTest(() => ({
			wrangler: { configPath: "../../wrangler.toml" },
			miniflare: {
				bindings: { CUSTOMER_TOKEN: "test-customer-token", ADMIN_TOKEN: "test-admin-token" },
				workers: WORKERS.filter((w) => w.name !== "gateway").map((w) => contextWorker(w.name, w.config)),
			},
		})),
	],
	test: { name: "int:gateway", include: ["test/**/*.int.test.ts"] },
});
