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
/** How much of the output came before the stack was ready: a reload after that happened mid-run. */
let readyAt = 0;
/**
 * What wrangler dev prints when it rebuilds a Worker because one of its sources changed. The
 * stack runs the working tree's sources, so an edit made while the suite runs (someone else's,
 * in a shared checkout) is loaded into the system under test mid-run: that is how a fuzz run once
 * saw a gateway whose ownership check was being edited answer 200 for another customer's shipment.
 */
const RELOAD = "Reloading local server";

/** Starts the system as `npm start` does, on a free port and a fresh state directory (and signing key), once for the suite. */
export async function setup(project: TestProject) {
	state = mkdtempSync(join(tmpdir(), "edge-saga-e2e-"));
	const identity = await loadOrCreateIdentity(join(state, "identity"));
	stack = await startStack({
		port: await freePort(),
		persistTo: state,
		identity,
		// A payment held for review is waited for a day by default; the suite watches a wait pass, so 25 s here (as long as the tests that cancel a held order need).
		workerVars: { PAYMENT_REVIEW_WAIT_MS: "25000" },
		output: (chunk) => output.push(chunk),
	}).catch((error) => {
		console.error(output.join(""));
		throw error;
	});
	readyAt = output.length;
	project.provide("baseUrl", stack.url);
	project.provide("identity", identity);
}

export async function teardown() {
	await stack?.stop();
	if (state) rmSync(state, { recursive: true, force: true });
	if (process.env.E2E_LOG) console.log(output.join(""));
	// A run whose system changed under it proves nothing either way, passed or failed: say so.
	const reloads = output.slice(readyAt).join("").split(RELOAD).length - 1;
	if (reloads > 0)
		throw new Error(
			`The system under test was hot-reloaded ${reloads} time(s) during this run: sources changed while it ran ` +
				"(an edit in this working tree), so its results mix code versions. Run the suite in a checkout nobody edits " +
				"(e.g. a git worktree at HEAD).",
		);
}
