import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
	plugins: [
		cloudflareTest({
			wrangler: { configPath: "./wrangler.toml" },
			// Tests pass deadlines with runDurableObjectAlarm; the real alarms stay out of the way.
			miniflare: { bindings: { SAGA_STEP_TIMEOUT_MS: "60000", SAGA_MAX_BACKOFF_MS: "600000" } },
		}),
	],
	test: { name: "int:order", include: ["test/**/*.int.test.ts"] },
});
