import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { type LocalIdentity, loadOrCreateIdentity } from "../../scripts/lib/identity.ts";
import { freePort, type Stack, startStack } from "../../scripts/lib/stack.ts";

declare module "vitest" {
	export interface ProvidedContext {
		baseUrl: string;
		/** The signing key the suite's gateway trusts: tests sign their own tokens with it. */
		identity: LocalIdentity;
	}
}

let stack: Stack | undefined;
let state: string | undefined;
const output: string[] = [];

/** Starts the system as `npm start` does, on a free port and a fresh state directory (and signing key), once for the suite. */
export async function setup(project: TestProject) {
	state = mkdtempSync(join(tmpdir(), "edge-saga-e2e-"));
	const identity = await loadOrCreateIdentity(join(state, "identity"));
	stack = await startStack({
		port: await freePort(),
		persistTo: state,
		identity,
		output: (chunk) => output.push(chunk),
	}).catch((error) => {
		console.error(output.join(""));
		throw error;
	});
	project.provide("baseUrl", stack.url);
	project.provide("identity", identity);
}

export async function teardown() {
	await stack?.stop();
	if (state) rmSync(state, { recursive: true, force: true });
	if (process.env.E2E_LOG) console.log(output.join(""));
}
