import { defineConfig } from "vitest/config";

/** Runs in Node: it starts the system with `wrangler dev` (as `npm start` does) and talks HTTP only. */
export default defineConfig({
	test: {
		name: "e2e",
		include: ["test/e2e/**/*.e2e.test.ts"],
		root: "../..",
		environment: "node",
		globalSetup: ["test/e2e/global-setup.ts"],
		testTimeout: 60_000,
		hookTimeout: 120_000,
		// One system for the whole suite; files share it, so they run one after another.
		fileParallelism: false,
	},
});
