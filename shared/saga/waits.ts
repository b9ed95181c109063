import type { SagaDefinition, SagaEvent, SagaState, SagaStep, StepResults, WaitingFor } from "./definition";
import { allSteps, type ConcreteSaga } from "./steps";

/**
 * Steps on hold: a participant answered that the step waits (a payment held for review), and the
 * saga waits for an event correlated with it, by type and key, until a deadline.
 */

/** What a step kept of the reply that completed it, typed by the step's own `keeps`. */
export const resultOf = <R>(
	step: { name: string; keeps?: (payload: unknown) => R | undefined },
	results: StepResults,
) => results[step.name] as R | undefined;

/** The waits in progress, in declaration order, with the step each holds. */
export function waitsOf<D>(def: ConcreteSaga<D>, state: SagaState<D>): (WaitingFor & { step: string })[] {
	return allSteps(def).flatMap((s) => {
		const wait = state.steps[s.name]?.wait;
		return state.steps[s.name]?.status === "waiting" && wait ? [{ step: s.name, ...wait }] : [];
	});
}

/** The step waiting for this event now, if any. */
export function waitingFor<D>(def: ConcreteSaga<D>, state: SagaState<D>, event: SagaEvent): SagaStep<D> | undefined {
	const wait = waitsOf(def, state).find((w) => w.event === event.type && w.key === event.key);
	return wait && allSteps(def).find((s) => s.name === wait.step);
}

/** A step that may still wait for this event (not sent yet, or sent and not answered): the event is kept for it. */
export function mayWaitFor<D>(def: ConcreteSaga<D>, state: SagaState<D>, event: SagaEvent): SagaStep<D> | undefined {
	return allSteps(def).find((s) => {
		const status = state.steps[s.name]?.status;
		return (
			s.wait?.event === event.type &&
			s.wait.key(state.data) === event.key &&
			(status === undefined || status === "sent")
		);
	});
}

/** Whether a message type is an event some step of the definition may wait for (a map step's branches never wait). */
export const isAwaitedEvent = <D>(def: SagaDefinition<D>, type: string) =>
	[...def.compensable, ...def.retriable].some((s) => "wait" in s && s.wait?.event === type);

/** Refuses a wait that could not be honoured: one with no duration, or one after the pivot (nothing could be undone). */
export function checkWaits<D>(def: ConcreteSaga<D>): void {
	for (const step of def.retriable)
		if (step.wait) throw new Error(`saga ${def.name} v${def.version}: ${step.name} waits after the pivot`);
	for (const step of def.compensable)
		if (step.wait && step.wait.ms === undefined && def.deadlines.waitMs === undefined)
			throw new Error(`saga ${def.name} v${def.version}: ${step.name} waits with no duration`);
}
