import type { SagaDefinition, SagaPhase, SagaState, StepRun } from "./definition";

/**
 * The state the engine stored while it ran one step at a time: `step` the index of the step in
 * flight (or last run), `registered` indices still to undo, `compensating` the index being undone.
 * Sagas stored in this shape are read into the current one, so they finish where they started.
 */
export interface LegacySagaState<D> {
	id: string;
	name: string;
	version: number;
	phase: SagaPhase;
	step: number;
	attempt: number;
	deadline: number | null;
	registered: number[];
	compensating: number | null;
	failureReason: string | null;
	needsAttention: boolean;
	data: D;
}

/** The state stored before steps kept their results and sagas waited for events: it has neither. */
export type UnkeptSagaState<D> = Omit<SagaState<D>, "results" | "early"> &
	Partial<Pick<SagaState<D>, "results" | "early">>;

export type StoredSagaState<D> = SagaState<D> | UnkeptSagaState<D> | LegacySagaState<D>;

const isLegacy = <D>(state: StoredSagaState<D>): state is LegacySagaState<D> => !("steps" in state);

/** The state in its current shape, whichever shape it was stored in. */
export function readSagaState<D>(def: SagaDefinition<D>, stored: StoredSagaState<D>): SagaState<D> {
	if (!isLegacy(stored)) return { ...stored, results: stored.results ?? {}, early: stored.early ?? [] };
	const names = [...def.compensable, ...def.retriable].map((s) => s.name);
	const nameAt = (i: number) => {
		const name = names[i];
		if (name === undefined) throw new Error(`saga ${def.name} v${def.version} has no step ${i}`);
		return name;
	};
	const { step, attempt, deadline, registered, compensating, ...rest } = stored;
	const steps: Record<string, StepRun> = {};
	const settled = (until: number) => {
		for (let i = 0; i < until; i++) steps[nameAt(i)] = { status: "succeeded", attempt: 1, deadline: null };
	};
	if (stored.phase === "running") {
		// One step at a time: every step before the one in flight has succeeded.
		settled(step);
		steps[nameAt(step)] = { status: "sent", attempt, deadline };
	} else if (stored.phase === "completed") {
		settled(names.length);
	} else if (stored.phase === "compensating") {
		// The old state no longer tells an undone step from a rejected one; those are simply left out.
		for (const i of registered) steps[nameAt(i)] = { status: "succeeded", attempt: 1, deadline: null };
		if (compensating !== null) steps[nameAt(compensating)] = { status: "undoing", attempt, deadline };
	}
	const toUndo = [...registered, ...(compensating === null ? [] : [compensating])];
	return { ...rest, steps, registered: toUndo.map(nameAt), deadline, results: {}, early: [] };
}
