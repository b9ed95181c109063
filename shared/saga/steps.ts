import type { SagaDefinition, SagaState, SagaStep } from "./definition";

/** What the engine asks of a definition's steps: where they stand, what they wait for, what waits for them. */

export const allSteps = <D>(def: SagaDefinition<D>): readonly SagaStep<D>[] => [...def.compensable, ...def.retriable];

export function stepNamed<D>(def: SagaDefinition<D>, name: string): SagaStep<D> {
	const step = allSteps(def).find((s) => s.name === name);
	if (!step) throw new Error(`saga ${def.name} v${def.version} has no step ${name}`);
	return step;
}

export const succeeded = <D>(state: SagaState<D>, name: string) => state.steps[name]?.status === "succeeded";

/** Past the pivot: every compensable step has succeeded, so the saga can no longer be compensated. */
export const pastPivot = <D>(def: SagaDefinition<D>, state: SagaState<D>) =>
	state.phase === "completed" || (state.phase === "running" && def.compensable.every((s) => succeeded(state, s.name)));

/** Steps of the current group not yet sent whose dependencies have all succeeded. */
export function ready<D>(group: readonly SagaStep<D>[], state: SagaState<D>): SagaStep<D>[] {
	return group.filter((s) => !state.steps[s.name] && (s.after ?? []).every((dep) => succeeded(state, dep)));
}

/** Registered steps whose compensation may leave now: no registered step that depends on them is left to undo. */
export function undoable<D>(def: SagaDefinition<D>, state: SagaState<D>): string[] {
	return [...state.registered]
		.reverse()
		.filter(
			(name) =>
				state.steps[name]?.status !== "undoing" &&
				!state.registered.some((other) => stepNamed(def, other).after?.includes(name)),
		);
}

/** The deadline of a step's attempt: its own first deadline (or the default), doubled per attempt, capped. */
export function deadlineOf<D>(def: SagaDefinition<D>, step: SagaStep<D>, attempt: number, now: number): number {
	const first = step.deadlineMs ?? def.deadlines.stepMs;
	return now + Math.min(first * 2 ** (attempt - 1), Math.max(def.deadlines.maxBackoffMs, first));
}

/** Refuses a definition whose dependencies name a step that is not declared before it in its group. */
export function checkDefinition<D>(def: SagaDefinition<D>): void {
	for (const group of [def.compensable, def.retriable]) {
		group.forEach((step, i) => {
			for (const dep of step.after ?? []) {
				if (!group.slice(0, i).some((s) => s.name === dep))
					throw new Error(`saga ${def.name} v${def.version}: ${step.name} waits for ${dep}, not declared before it`);
			}
		});
	}
}

/** The steps (or compensations) in flight, in declaration order, with the attempt each is on. */
export function inFlight<D>(def: SagaDefinition<D>, state: SagaState<D>) {
	return allSteps(def)
		.map((s) => ({ step: s.name, run: state.steps[s.name] }))
		.filter(({ run }) => run && run.deadline !== null && (run.status === "sent" || run.status === "undoing"))
		.map(({ step, run }) => ({ step, attempt: run?.attempt ?? 0, compensation: run?.status === "undoing" }));
}
