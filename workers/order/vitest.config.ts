import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
	plugins: [
		cloudflareTest({
			wrangler: { configPath: "./wrangler.toml" },
			miniflare: {
				// Tests skip to deadlines (shared/testing/time.ts); the real alarms stay out of the way.
				bindings: { SAGA_STEP_TIMEOUT_MS: "60000", SAGA_MAX_BACKOFF_MS: "600000" },
				// A test waits for the platform to give up on a message: two retries (wrangler.toml has five,
				// each waited out for up to 5 s) keep that short. Everything else is as configured.
				queueConsumers: {
					"order-events": {
						maxBatchSize: 25,
						maxBatchTimeout: 0,
						maxRetries: 2,
						retryDelay: 1,
						deadLetterQueue: "order-events-dlq",
					},
				},
			},
		}),
	],
	test: { name: "int:order", include: ["test/**/*.int.test.ts"] },
});
