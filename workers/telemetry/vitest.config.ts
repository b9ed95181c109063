import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
	plugins: [
		cloudflareTest({
			wrangler: { configPath: "./wrangler.toml" },
			// A small store, so a test can fill it past its bound.
			miniflare: { bindings: { SPAN_RETENTION: "12" } },
		}),
	],
	test: { name: "int:telemetry", include: ["test/**/*.int.test.ts"] },
});
