import type { SagaDefinition, SagaPhase, StepStatus, WaitingFor } from "./definition";
import { readSagaState, type StoredSagaState } from "./legacy";
import { type ConcreteSaga, concrete, pastPivot } from "./steps";

/**
 * A saga drawn as a graph of its steps, for an operator: every concrete step (a map step's
 * branches each on their own), the steps it waits for, where it stands, and what would undo it.
 * Pure: from a definition and a stored state; it knows nothing of what the steps do.
 */

export type NodeStatus = "not-sent" | StepStatus;

export interface SagaGraphNode {
	name: string;
	/** The declared step it comes from: a map step's name for its branches, otherwise its own. */
	declared: string;
	group: "compensable" | "retriable";
	/** Steps of its group that must succeed before it is sent (its incoming edges). */
	after: string[];
	/** Longest chain of dependencies before it within its group, from 0: its column. */
	depth: number;
	status: NodeStatus;
	attempt: number;
	/** Epoch ms at which what is awaited of it is given up on; null when nothing is. */
	deadline: number | null;
	/** The event it may be put on hold for; `wait` is set while it waits for it. */
	waitsFor?: string;
	wait?: WaitingFor;
	/** The command that undoes it (compensable steps only). */
	compensation?: string;
}

export interface SagaGraph {
	id: string;
	name: string;
	version: number;
	phase: SagaPhase;
	pastPivot: boolean;
	needsAttention: boolean;
	failureReason: string | null;
	/** Compensable steps first, then the retriable ones; the pivot lies between the two groups. */
	nodes: SagaGraphNode[];
}

export function sagaGraph<D>(declared: SagaDefinition<D>, stored: StoredSagaState<D>): SagaGraph {
	const state = readSagaState(declared, stored);
	const def: ConcreteSaga<D> = concrete(declared, state.data);
	const names = new Set([...declared.compensable, ...declared.retriable].map((s) => s.name));
	// A branch is named `step[key]` after its map step (branchName); any other step is declared as it is.
	const declaredOf = (name: string) => (names.has(name) ? name : name.replace(/\[[^[]*\]$/, ""));
	const nodes = (["compensable", "retriable"] as const).flatMap((group) => {
		const depth = new Map<string, number>();
		return def[group].map((step): SagaGraphNode => {
			const after = [...(step.after ?? [])];
			depth.set(step.name, Math.max(-1, ...after.map((a) => depth.get(a) ?? 0)) + 1);
			const run = state.steps[step.name];
			return {
				name: step.name,
				declared: declaredOf(step.name),
				group,
				after,
				depth: depth.get(step.name) ?? 0,
				status: run?.status ?? "not-sent",
				attempt: run?.attempt ?? 0,
				deadline: run?.deadline ?? null,
				...(step.wait ? { waitsFor: step.wait.event } : {}),
				...(run?.status === "waiting" && run.wait ? { wait: run.wait } : {}),
				...(step.compensation ? { compensation: step.compensation.command(state.data, state.results).type } : {}),
			};
		});
	});
	return {
		id: state.id,
		name: state.name,
		version: state.version,
		phase: state.phase,
		pastPivot: pastPivot(def, state),
		needsAttention: state.needsAttention,
		failureReason: state.failureReason,
		nodes,
	};
}
