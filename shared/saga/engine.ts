import type {
	SagaDecision,
	SagaDefinition,
	SagaEvent,
	SagaLogEntry,
	SagaMessage,
	SagaReply,
	SagaState,
	SagaStep,
	StepRun,
	WaitingFor,
} from "./definition";
import { readSagaState, type StoredSagaState } from "./legacy";
import {
	allSteps,
	type ConcreteSaga,
	checkDefinition,
	concrete,
	deadlineOf,
	inFlight,
	pastPivot as pastPivotOf,
	ready,
	stepNamed,
	succeeded,
	undoable,
} from "./steps";
import { checkWaits, mayWaitFor, waitingFor, waitsOf } from "./waits";

export { isAwaitedEvent, resultOf } from "./waits";

/**
 * The saga engine: pure functions from (definition, state, input, now) to a decision (new state,
 * messages to send, log entries). Storage, queues and alarms belong to the caller.
 * Steps run as their dependencies allow, several at once; each has its own attempts and deadline.
 * Command ids are derived from the saga id and step, so a re-send carries the same id and a
 * consumer's inbox answers it with the reply it recorded.
 */

export type { StoredSagaState } from "./legacy";
export { readSagaState } from "./legacy";

export const commandId = (sagaId: string, step: string) => `${sagaId}.${step}`;
export const compensationId = (sagaId: string, step: string) => `${sagaId}.${step}.undo`;

/** The state in its current shape, and the definition's steps as they run for its data (map steps expanded). */
function load<D>(def: SagaDefinition<D>, stored: StoredSagaState<D>): [ConcreteSaga<D>, SagaState<D>] {
	const state = readSagaState(def, stored);
	return [concrete(def, state.data), state];
}

export const pastPivot = <D>(def: SagaDefinition<D>, stored: StoredSagaState<D>) => pastPivotOf(...load(def, stored));

/** What is in flight, for a host's view: the steps (or compensations) awaited and the highest attempt among them. */
export function sagaProgress<D>(def: SagaDefinition<D>, state: StoredSagaState<D>) {
	const awaited = inFlight(...load(def, state));
	return { steps: awaited.map((a) => a.step), attempt: Math.max(0, ...awaited.map((a) => a.attempt)) };
}

/** What the saga waits for, for a host's view: the first wait in progress, or null. */
export function sagaWaitingFor<D>(def: SagaDefinition<D>, state: StoredSagaState<D>): WaitingFor | null {
	const wait = waitsOf(...load(def, state))[0];
	return wait ? { event: wait.event, key: wait.key, until: wait.until } : null;
}

class Draft<D> {
	readonly send: SagaMessage[] = [];
	readonly log: SagaLogEntry[] = [];
	constructor(
		readonly def: ConcreteSaga<D>,
		public state: SagaState<D>,
		readonly now: number,
	) {}

	decision(): SagaDecision<D> {
		const deadlines = Object.values(this.state.steps).flatMap((r) => (r.deadline === null ? [] : [r.deadline]));
		this.set({ deadline: deadlines.length ? Math.min(...deadlines) : null });
		return { state: this.state, send: this.send, log: this.log };
	}

	set(patch: Partial<SagaState<D>>) {
		this.state = { ...this.state, ...patch };
	}

	setStep(name: string, run: StepRun) {
		this.set({ steps: { ...this.state.steps, [name]: run } });
	}

	sendStep(step: SagaStep<D>, attempt: number) {
		const spec = step.command(this.state.data, this.state.results);
		if (attempt === 1 && step.compensation && !this.state.registered.includes(step.name)) {
			// Registered before the command leaves, so a step that half-happened is still undone.
			this.set({ registered: [...this.state.registered, step.name] });
			this.log.push({
				kind: "compensation",
				name: "registered",
				detail: { step: step.name, undo: step.compensation.command(this.state.data, this.state.results).type },
			});
		}
		const id = commandId(this.state.id, step.name);
		this.send.push({ id, ...spec });
		this.log.push({
			kind: attempt === 1 ? "command" : "retry",
			name: spec.type,
			messageId: id,
			detail: { step: step.name, attempt },
		});
		this.setStep(step.name, { status: "sent", attempt, deadline: deadlineOf(this.def, step, attempt, this.now) });
	}

	sendCompensation(name: string, attempt: number) {
		const step = stepNamed(this.def, name);
		if (!step.compensation) throw new Error(`step ${name} has no compensation`);
		const spec = step.compensation.command(this.state.data, this.state.results);
		const id = compensationId(this.state.id, name);
		this.send.push({ id, ...spec });
		this.log.push({
			kind: attempt === 1 ? "compensation" : "retry",
			name: spec.type,
			messageId: id,
			detail: { step: name, attempt },
		});
		this.setStep(name, { status: "undoing", attempt, deadline: deadlineOf(this.def, step, attempt, this.now) });
	}

	/** Sends every step that has nothing left to wait for; passes the pivot and completes when their turn comes. */
	advance(pivotLogged: boolean) {
		const past = pastPivotOf(this.def, this.state);
		if (past && !pivotLogged) this.log.push({ kind: "transition", name: "pivot" });
		for (const step of ready(past ? this.def.retriable : this.def.compensable, this.state)) this.sendStep(step, 1);
		if (past && this.def.retriable.every((s) => succeeded(this.state, s.name))) {
			this.set({ phase: "completed" });
			this.log.push({ kind: "transition", name: "completed" });
		}
	}

	/** The step succeeded with this payload: it keeps what it keeps of it. */
	succeed(step: SagaStep<D>, run: StepRun, payload: unknown) {
		this.setStep(step.name, { status: "succeeded", attempt: run.attempt, deadline: null });
		const kept = step.keeps?.(payload);
		if (kept !== undefined) this.set({ results: { ...this.state.results, [step.name]: kept } });
	}

	/** Its participant put the step on hold: it waits for its event, and takes it at once if it came early. */
	hold(step: SagaStep<D>, run: StepRun) {
		const wait = step.wait;
		if (!wait) throw new Error(`step ${step.name} cannot wait`);
		const until = this.now + (wait.ms ?? this.def.deadlines.waitMs ?? 0);
		const key = wait.key(this.state.data);
		this.setStep(step.name, { ...run, status: "waiting", deadline: until, wait: { event: wait.event, key, until } });
		this.log.push({ kind: "transition", name: "waiting", detail: { step: step.name, event: wait.event, key, until } });
		const early = this.state.early.find((e) => e.type === wait.event && e.key === key);
		if (!early) return;
		this.set({ early: this.state.early.filter((e) => e !== early) });
		this.log.push({ kind: "event", name: early.type, messageId: early.id, detail: { step: step.name, early: true } });
		this.settle(step, early.payload);
	}

	/** The awaited event decides the waiting step as a reply would: it succeeds, or the saga fails with its reason. */
	settle(step: SagaStep<D>, payload: unknown) {
		const run = this.state.steps[step.name] as StepRun;
		const reason = step.wait?.failure(payload) ?? null;
		const pivotLogged = pastPivotOf(this.def, this.state);
		if (reason === null) {
			this.succeed(step, run, payload);
			this.advance(pivotLogged);
		} else {
			// Authoritative, like a rejection: the participant decided, so the step's own compensation is dropped.
			this.setStep(step.name, { status: "rejected", attempt: run.attempt, deadline: null });
			this.set({ registered: this.state.registered.filter((n) => n !== step.name) });
			this.fail(reason);
		}
	}

	fail(reason: string) {
		// Steps still awaited are given up on: a late reply is ignored, and each is undone like the others.
		for (const [name, run] of Object.entries(this.state.steps)) {
			if (run.status === "sent") this.setStep(name, { ...run, deadline: null });
			if (run.status === "waiting") this.setStep(name, { status: "sent", attempt: run.attempt, deadline: null });
		}
		this.set({ phase: "compensating", failureReason: reason, early: [] });
		this.log.push({ kind: "transition", name: "compensating", detail: { reason } });
		this.compensateReady();
	}

	/** Sends each compensation whose dependents are undone; the saga is compensated when none is left. */
	compensateReady() {
		if (this.state.registered.length === 0) {
			this.set({ phase: "compensated" });
			this.log.push({ kind: "transition", name: "compensated", detail: { reason: this.state.failureReason } });
			return;
		}
		for (const name of undoable(this.def, this.state)) this.sendCompensation(name, 1);
	}

	/** Sends what is in flight again now, on the same attempt: its deadline starts again from now. */
	resendNow(step: SagaStep<D>, run: StepRun) {
		const undoing = run.status === "undoing";
		const spec = undoing
			? step.compensation?.command(this.state.data, this.state.results)
			: step.command(this.state.data, this.state.results);
		if (!spec) throw new Error(`step ${step.name} has no compensation`);
		const id = undoing ? compensationId(this.state.id, step.name) : commandId(this.state.id, step.name);
		this.send.push({ id, ...spec });
		this.log.push({
			kind: "retry",
			name: spec.type,
			messageId: id,
			detail: { step: step.name, attempt: run.attempt, now: true },
		});
		this.setStep(step.name, { ...run, deadline: deadlineOf(this.def, step, run.attempt, this.now) });
	}

	flagAttention(what: string, step: string, attempts: number) {
		if (this.state.needsAttention) return;
		this.set({ needsAttention: true });
		this.log.push({ kind: "attention", name: what, detail: { step, attempts } });
	}
}

export function startSaga<D>(declared: SagaDefinition<D>, id: string, data: D, now: number): SagaDecision<D> {
	const def = concrete(declared, data);
	checkDefinition(def);
	checkWaits(def);
	const draft = new Draft(
		def,
		{
			id,
			name: def.name,
			version: def.version,
			phase: "running",
			steps: {},
			registered: [],
			deadline: null,
			failureReason: null,
			needsAttention: false,
			data,
			results: {},
			early: [],
		},
		now,
	);
	draft.log.push({ kind: "transition", name: "started", detail: { saga: def.name, version: def.version } });
	draft.advance(false);
	return draft.decision();
}

/** Applies a reply. One that is late, repeated or for a step no longer awaited changes nothing but the log. */
export function applyReply<D>(
	declared: SagaDefinition<D>,
	stored: StoredSagaState<D>,
	reply: SagaReply,
	now: number,
): SagaDecision<D> {
	const [def, state] = load(declared, stored);
	const draft = new Draft(def, state, now);
	const ignore = (why: string) => {
		draft.log.push({ kind: "ignored", name: reply.type, detail: { why, causationId: reply.causationId } });
		return { state, send: [], log: draft.log };
	};
	if (state.phase === "running") {
		const step = allSteps(def).find((s) => reply.causationId === commandId(state.id, s.name));
		const run = step && state.steps[step.name];
		if (!step || run?.status !== "sent") return ignore("not a step in flight");
		if (step.wait && reply.type === step.wait.on) {
			draft.log.push({ kind: "reply", name: reply.type, detail: { step: step.name } });
			draft.hold(step, run);
			return draft.decision();
		}
		const reason = step.failsOn?.[reply.type];
		if (!step.succeedsOn.includes(reply.type) && reason === undefined) return ignore("not a reply of this step");
		draft.log.push({ kind: "reply", name: reply.type, detail: { step: step.name } });
		if (reason === undefined) {
			const pivotLogged = pastPivotOf(def, state);
			draft.succeed(step, run, reply.payload);
			draft.advance(pivotLogged);
		} else if (pastPivotOf(def, state)) {
			// Past the pivot nothing is undone: the step is re-sent until it succeeds, and someone must look.
			draft.flagAttention("step-refused", step.name, run.attempt);
		} else {
			// A rejection is authoritative: the step did nothing, so its own compensation is dropped.
			draft.setStep(step.name, { ...run, status: "rejected", deadline: null });
			draft.set({ registered: state.registered.filter((n) => n !== step.name) });
			draft.fail(reason);
		}
		return draft.decision();
	}
	if (state.phase === "compensating") {
		const step = allSteps(def).find((s) => reply.causationId === compensationId(state.id, s.name));
		const run = step && state.steps[step.name];
		if (!step || run?.status !== "undoing" || reply.type !== step.compensation?.acknowledgedBy) {
			return ignore("not a compensation in flight");
		}
		draft.log.push({ kind: "reply", name: reply.type, detail: { step: step.name, compensation: true } });
		draft.setStep(step.name, { ...run, status: "undone", deadline: null });
		draft.set({ registered: state.registered.filter((n) => n !== step.name) });
		draft.compensateReady();
		return draft.decision();
	}
	return ignore(`saga is ${state.phase}`);
}

/**
 * Called when the earliest deadline has passed: each step (or compensation) whose own deadline has
 * passed is re-sent with backoff; a forward step out of attempts fails the saga with `timeout`;
 * retried steps and compensations out of attempts flag the saga and go on.
 */
export function applyDeadline<D>(
	declared: SagaDefinition<D>,
	stored: StoredSagaState<D>,
	now: number,
	/** Ids of messages still waiting in the host's outbox: they never reached their participant. */
	undelivered: ReadonlySet<string> = new Set(),
): SagaDecision<D> {
	const [def, state] = load(declared, stored);
	const draft = new Draft(def, state, now);
	if (state.deadline === null || now < state.deadline) return draft.decision();
	const due = allSteps(def).flatMap((step) => {
		const run = state.steps[step.name];
		if (!run || run.deadline === null || run.deadline > now) return [];
		if (run.status === "waiting") return [{ step, run }];
		// A busy system, not a silent participant: the message has not left yet. Its attempt is not
		// counted and nothing is re-sent behind it; the step waits another deadline.
		const id = run.status === "undoing" ? compensationId(state.id, step.name) : commandId(state.id, step.name);
		if (undelivered.has(id)) {
			draft.setStep(step.name, { ...run, deadline: deadlineOf(def, step, run.attempt, now) });
			// Logged, so the host persists the later deadline and keeps its timer.
			draft.log.push({
				kind: "transition",
				name: "deadline-deferred",
				detail: { step: step.name, why: "not sent yet" },
			});
			return [];
		}
		return [{ step, run }];
	});
	const exhausted = (run: StepRun) => run.attempt >= def.deadlines.maxAttempts;
	if (state.phase === "running") {
		// A wait that passed: nobody decided in time, so the step does what its definition says.
		for (const { step, run } of due.filter(({ run }) => run.status === "waiting")) {
			const onDeadline = step.wait?.onDeadline ?? "continue";
			draft.log.push({ kind: "transition", name: "wait-expired", detail: { step: step.name, event: run.wait?.event } });
			if (onDeadline !== "continue") {
				draft.fail(onDeadline.fail);
				return draft.decision();
			}
			const pivotLogged = pastPivotOf(def, draft.state);
			draft.succeed(step, run, undefined);
			draft.advance(pivotLogged);
		}
		const timedOut = pastPivotOf(def, state)
			? undefined
			: due.find(({ run }) => run.status !== "waiting" && exhausted(run));
		if (timedOut) {
			draft.log.push({ kind: "transition", name: "deadline-exceeded", detail: { step: timedOut.step.name } });
			draft.fail("timeout");
			return draft.decision();
		}
		for (const { step, run } of due.filter(({ run }) => run.status !== "waiting")) {
			if (exhausted(run)) draft.flagAttention("step-exhausted", step.name, run.attempt);
			draft.sendStep(step, run.attempt + 1);
		}
	} else if (state.phase === "compensating") {
		for (const { step, run } of due) {
			if (exhausted(run)) draft.flagAttention("compensation-exhausted", step.name, run.attempt);
			draft.sendCompensation(step.name, run.attempt + 1);
		}
	}
	return draft.decision();
}

/**
 * Applies an event correlated with the saga (by type and key). A step waiting for it is decided by
 * it; one that may still wait for it (its command not answered yet) has it kept, to be applied when
 * its wait begins; a repeat, or an event nothing waits for, changes nothing but the log.
 */
export function applyEvent<D>(
	declared: SagaDefinition<D>,
	stored: StoredSagaState<D>,
	event: SagaEvent,
	now: number,
): SagaDecision<D> {
	const [def, state] = load(declared, stored);
	const draft = new Draft(def, state, now);
	const ignore = (why: string) => {
		draft.log.push({ kind: "ignored", name: event.type, detail: { why, key: event.key } });
		return { state, send: [], log: draft.log };
	};
	if (state.phase !== "running") return ignore(`saga is ${state.phase}`);
	const waiting = waitingFor(def, state, event);
	if (waiting) {
		draft.log.push({ kind: "event", name: event.type, detail: { step: waiting.name } });
		draft.settle(waiting, event.payload);
		return draft.decision();
	}
	const later = mayWaitFor(def, state, event);
	if (!later) return ignore("no step waits for it");
	if (state.early.some((e) => e.type === event.type && e.key === event.key)) return ignore("kept already");
	draft.set({ early: [...state.early, event] });
	draft.log.push({ kind: "event", name: event.type, detail: { step: later.name, kept: true } });
	return draft.decision();
}

/** Stops a saga that has not reached its pivot and compensates it; null when it can no longer be compensated. */
export function abortSaga<D>(
	declared: SagaDefinition<D>,
	stored: StoredSagaState<D>,
	reason: string,
	now: number,
): SagaDecision<D> | null {
	const [def, state] = load(declared, stored);
	if (state.phase !== "running" || pastPivotOf(def, state)) return null;
	const draft = new Draft(def, state, now);
	draft.fail(reason);
	return draft.decision();
}

/**
 * An operator's "retry now": every step (or compensation) in flight is sent again at once instead
 * of at its deadline, under the same id, so a participant that already did it answers what it
 * recorded. It is not counted as an attempt: attempts bound how long the saga waits for a silent
 * participant on its own, and someone asking now must not spend them (nor push a step into
 * `timeout` or the saga into needing attention); the attempt's deadline starts again from now.
 * Steps on hold are not re-sent (they wait for an event, not a reply). Null when nothing is in flight.
 */
export function retryNow<D>(
	declared: SagaDefinition<D>,
	stored: StoredSagaState<D>,
	now: number,
): SagaDecision<D> | null {
	const [def, state] = load(declared, stored);
	if (state.phase !== "running" && state.phase !== "compensating") return null;
	const awaited = inFlight(def, state);
	if (awaited.length === 0) return null;
	const draft = new Draft(def, state, now);
	for (const { step } of awaited) draft.resendNow(stepNamed(def, step), state.steps[step] as StepRun);
	return draft.decision();
}
