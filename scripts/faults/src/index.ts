/**
 * Answers the FAULTS binding with this Worker's own FAULT_* variables, which only the soak sets
 * (in its copy of this config). The other Workers parse them (shared/faults.ts), so this Worker
 * stays a few lines with nothing to get wrong.
 */
import { WorkerEntrypoint } from "cloudflare:workers";

type FaultsEnv = Record<string, unknown>;

export default class Faults extends WorkerEntrypoint<FaultsEnv> {
	settings(): Record<string, string> {
		return Object.fromEntries(
			Object.entries(this.env).filter(
				(e): e is [string, string] => e[0].startsWith("FAULT_") && typeof e[1] === "string",
			),
		);
	}

	override fetch(): Response {
		return new Response("the faults Worker answers RPC only", { status: 404 });
	}
}
