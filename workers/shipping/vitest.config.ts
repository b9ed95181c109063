import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
	plugins: [
		cloudflareTest({
			wrangler: { configPath: "./wrangler.toml" },
			// Tests skip to each carrier leg (shared/testing/time.ts); the real alarms stay out of the way.
			miniflare: {
				bindings: { CARRIER_PICKUP_MS: "60000", CARRIER_TRANSIT_MS: "60000", CARRIER_DELIVERY_MS: "60000" },
			},
		}),
	],
	test: { name: "int:shipping", include: ["test/**/*.int.test.ts"] },
});
