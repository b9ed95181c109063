import { join } from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { shardsOf } from "../../shared/topology.ts";

// The read model's schema, applied to each test file's database by test/setup.ts.
const migrations = await readD1Migrations(join(import.meta.dirname, "migrations"));

export default defineConfig({
	plugins: [
		cloudflareTest({
			wrangler: { configPath: "./wrangler.toml" },
			miniflare: {
				// Tests skip to deadlines (shared/testing/time.ts); the real alarms stay out of the way.
				bindings: {
					SAGA_STEP_TIMEOUT_MS: "60000",
					SAGA_MAX_BACKOFF_MS: "600000",
					NEWS_REPUBLISH_MS: "3600000",
					TEST_MIGRATIONS: migrations,
				},
				// A real database the migrations never reached: every statement on it fails, as when D1 is unavailable.
				d1Databases: { UNMIGRATED_DB: "unmigrated" },
				// A test waits for the platform to give up on a message: two retries on every shard of
				// order-events (wrangler.toml has five, each waited out for up to 5 s) keep that short.
				// Everything else is as configured.
				// The contexts take commands and answer later: each test delivers their replies on
				// order-events itself, so it decides what a context says and when.
				workers: ["inventory", "billing", "shipping"].map((name) => ({
					name,
					modules: true,
					compatibilityDate: "2026-11-01",
					script: `import { WorkerEntrypoint } from "cloudflare:workers";
						export class Commands extends WorkerEntrypoint { execute() { return { outcome: "handled", replies: [] }; } }
						export default { fetch: () => new Response(null, { status: 404 }) };`,
				})),
				queueConsumers: Object.fromEntries(
					shardsOf("order-events").map((shard) => [
						shard.queue,
						{ maxBatchSize: 25, maxBatchTimeout: 0, maxRetries: 2, retryDelay: 1, deadLetterQueue: "order-events-dlq" },
					]),
				),
			},
		}),
	],
	test: { name: "int:order", include: ["test/**/*.int.test.ts"], setupFiles: ["test/setup.ts"] },
});
