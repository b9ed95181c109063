import { defineConfig } from "vitest/config";

/**
 * Three levels, each its own project: `unit` (pure domain and engine, in Node), `int:<context>`
 * (each Worker in workerd with its real Durable Objects, queues and alarms), and `e2e` (the whole
 * system started as `npm start` starts it, driven over HTTP).
 */
export default defineConfig({
	test: {
		projects: [
			{
				test: {
					name: "unit",
					include: [
						"shared/**/*.unit.test.ts",
						"workers/**/*.unit.test.ts",
						"scripts/**/*.unit.test.ts",
						"bench/**/*.unit.test.ts",
					],
					environment: "node",
				},
			},
			"workers/*/vitest.config.ts",
			"test/e2e/vitest.config.ts",
		],
	},
});
