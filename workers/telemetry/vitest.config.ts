import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
	plugins: [
		cloudflareTest({
			wrangler: { configPath: "./wrangler.toml" },
			// A small store, so a test can fill it past its bound; every trace kept, as npm start keeps them.
			miniflare: { bindings: { SPAN_RETENTION: "12", SPAN_STORE_SAMPLE_RATE: "1" } },
		}),
	],
	test: { name: "int:telemetry", include: ["test/**/*.int.test.ts"] },
});
