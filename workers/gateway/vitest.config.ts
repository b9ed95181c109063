import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { createIdentity } from "../../scripts/lib/identity.ts";
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from "../../scripts/lib/tokens.ts";
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

/**
 * The identity provider, as far as the gateway can tell: a Worker serving the public half of this
 * run's signing key as a JWKS. Every fetch the gateway makes to the internet reaches it (the
 * gateway's outboundService), so the JWKS URL can be any https URL.
 */
function identityProvider(jwks: string) {
	return {
		name: "identity-provider",
		modules: true,
		bindings: { JWKS: jwks },
		script: `export default {
			fetch(request, env) {
				if (new URL(request.url).pathname !== "/.well-known/jwks.json") return new Response("not found", { status: 404 });
				return new Response(env.JWKS, { headers: { "content-type": "application/jwk-set+json" } });
			},
		};`,
	};
}

const identity = await createIdentity();
const contexts = WORKERS.filter((w) => w.name !== "gateway").map((w) => contextWorker(w.name, w.config));
const order = contexts.find((w) => w.name === "order");
/** The order Worker's read model: test/setup.ts applies its migrations through the same database, as npm start does. */
const migrations = await readD1Migrations(join(ROOT, "workers/order/migrations"));

export default defineConfig({
	plugins: [
		cloudflareTest(() => ({
			wrangler: { configPath: "../../wrangler.toml" },
			miniflare: {
				bindings: {
					AUTH_JWKS_URL: "https://identity.test/.well-known/jwks.json",
					AUTH_ISSUER: LOCAL_ISSUER,
					AUTH_AUDIENCE: LOCAL_AUDIENCE,
					// What the tests sign their tokens with; the gateway never reads it.
					TEST_SIGNING_KEY: JSON.stringify(identity.privateJwk),
					TEST_MIGRATIONS: migrations,
				},
				d1Databases: order?.d1Databases,
				outboundService: "identity-provider",
				workers: [...contexts, identityProvider(JSON.stringify({ keys: [identity.publicJwk] }))],
			},
		})),
	],
	test: { name: "int:gateway", include: ["test/**/*.int.test.ts"], setupFiles: ["test/setup.ts"] },
});
