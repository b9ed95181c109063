import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
	plugins: [
		cloudflareTest({
			wrangler: { configPath: "./wrangler.toml" },
			// An hour's retention instead of a week's: a test skips past it in a few prune intervals.
			miniflare: { bindings: { INBOX_RETENTION_MS: "3600000" } },
		}),
	],
	test: { name: "int:inventory", include: ["test/**/*.int.test.ts"] },
});
