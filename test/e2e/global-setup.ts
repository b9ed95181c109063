import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { ensureDevVars, freePort, type Stack, startStack } from "../../scripts/lib/stack.ts";

export const TOKENS = { customer: "e2e-customer-token", admin: "e2e-admin-token" };

declare module "vitest" {
	export interface ProvidedContext {
		baseUrl: string;
		tokens: typeof TOKENS;
	}
}

let stack: Stack | undefined;
let state: string | undefined;
const output: string[] = [];

/** Starts the system as `npm start` does, on a free port and a fresh state directory, once for the suite. */
export async function setup(project: TestProject) {
	ensureDevVars();
	state = mkdtempSync(join(tmpdir(), "edge-saga-e2e-"));
	stack = await startStack({
		port: await freePort(),
		persistTo: state,
		vars: { CUSTOMER_TOKEN: TOKENS.customer, ADMIN_TOKEN: TOKENS.admin },
		output: (chunk) => output.push(chunk),
	}).catch((error) => {
		console.error(output.join(""));
		throw error;
	});
	project.provide("baseUrl", stack.url);
	project.provide("tokens", TOKENS);
}

export async function teardown() {
	await stack?.stop();
	if (state) rmSync(state, { recursive: true, force: true });
	if (process.env.E2E_LOG) console.log(output.join(""));
}
