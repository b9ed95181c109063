import type {
	SagaDecision,
	SagaDefinition,
	SagaLogEntry,
	SagaMessage,
	SagaReply,
	SagaState,
	SagaStep,
} from "./definition";

/**
 * The saga engine: pure functions from (definition, state, input, now) to a decision (new state,
 * messages to send, log entries). Storage, queues and alarms belong to the caller.
 * Command ids are derived from the saga id and step, so a re-send carries the same id and a
 * consumer's inbox answers it with the reply it recorded.
 */

const steps = <D>(def: SagaDefinition<D>): readonly SagaStep<D>[] => [...def.compensable, ...def.retriable];

export const commandId = (sagaId: string, step: string) => `${sagaId}.${step}`;
export const compensationId = (sagaId: string, step: string) => `${sagaId}.${step}.undo`;

export const pastPivot = <D>(def: SagaDefinition<D>, state: SagaState<D>) =>
	state.phase === "completed" || (state.phase === "running" && state.step >= def.compensable.length);

function stepAt<D>(def: SagaDefinition<D>, index: number): SagaStep<D> {
	const step = steps(def)[index];
	if (!step) throw new Error(`saga ${def.name} v${def.version} has no step ${index}`);
	return step;
}

function backoff<D>(def: SagaDefinition<D>, attempt: number): number {
	return Math.min(def.deadlines.stepMs * 2 ** (attempt - 1), def.deadlines.maxBackoffMs);
}

class Draft<D> {
	readonly send: SagaMessage[] = [];
	readonly log: SagaLogEntry[] = [];
	constructor(
		readonly def: SagaDefinition<D>,
		public state: SagaState<D>,
		readonly now: number,
	) {}

	decision(): SagaDecision<D> {
		return { state: this.state, send: this.send, log: this.log };
	}

	set(patch: Partial<SagaState<D>>) {
		this.state = { ...this.state, ...patch };
	}

	sendStep(index: number, attempt: number) {
		const step = stepAt(this.def, index);
		const spec = step.command(this.state.data);
		const registerNow = attempt === 1 && step.compensation && !this.state.registered.includes(index);
		if (registerNow) {
			// Registered before the command leaves, so a step that half-happened is still undone.
			this.set({ registered: [...this.state.registered, index] });
			this.log.push({
				kind: "compensation",
				name: "registered",
				detail: { step: step.name, undo: step.compensation?.command(this.state.data).type },
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
		this.set({
			step: index,
			attempt,
			deadline: this.now + backoff(this.def, attempt),
		});
	}

	sendCompensation(index: number, attempt: number) {
		const step = stepAt(this.def, index);
		if (!step.compensation) throw new Error(`step ${step.name} has no compensation`);
		const spec = step.compensation.command(this.state.data);
		const id = compensationId(this.state.id, step.name);
		this.send.push({ id, ...spec });
		this.log.push({
			kind: attempt === 1 ? "compensation" : "retry",
			name: spec.type,
			messageId: id,
			detail: { step: step.name, attempt },
		});
		this.set({
			compensating: index,
			attempt,
			deadline: this.now + backoff(this.def, attempt),
		});
	}

	advance() {
		const next = this.state.step + 1;
		if (next === this.def.compensable.length) this.log.push({ kind: "transition", name: "pivot" });
		if (next >= steps(this.def).length) {
			this.set({ phase: "completed", deadline: null, attempt: 0 });
			this.log.push({ kind: "transition", name: "completed" });
			return;
		}
		this.sendStep(next, 1);
	}

	fail(reason: string) {
		this.set({ phase: "compensating", failureReason: reason });
		this.log.push({
			kind: "transition",
			name: "compensating",
			detail: { reason },
		});
		this.compensateNext();
	}

	compensateNext() {
		const remaining = [...this.state.registered];
		const index = remaining.pop();
		this.set({ registered: remaining });
		if (index === undefined) {
			this.set({
				phase: "compensated",
				compensating: null,
				deadline: null,
				attempt: 0,
			});
			this.log.push({
				kind: "transition",
				name: "compensated",
				detail: { reason: this.state.failureReason },
			});
			return;
		}
		this.sendCompensation(index, 1);
	}

	flagAttention(what: string) {
		if (this.state.needsAttention) return;
		this.set({ needsAttention: true });
		this.log.push({
			kind: "attention",
			name: what,
			detail: { attempts: this.state.attempt },
		});
	}
}

export function startSaga<D>(def: SagaDefinition<D>, id: string, data: D, now: number): SagaDecision<D> {
	const draft = new Draft(
		def,
		{
			id,
			name: def.name,
			version: def.version,
			phase: "running",
			step: 0,
			attempt: 0,
			deadline: null,
			registered: [],
			compensating: null,
			failureReason: null,
			needsAttention: false,
			data,
		},
		now,
	);
	draft.log.push({
		kind: "transition",
		name: "started",
		detail: { saga: def.name, version: def.version },
	});
	draft.sendStep(0, 1);
	return draft.decision();
}

/** Applies a reply. One that is late, repeated or for a step no longer awaited changes nothing but the log. */
export function applyReply<D>(
	def: SagaDefinition<D>,
	state: SagaState<D>,
	reply: SagaReply,
	now: number,
): SagaDecision<D> {
	const draft = new Draft(def, state, now);
	const ignore = (why: string) => {
		draft.log.push({
			kind: "ignored",
			name: reply.type,
			detail: { why, causationId: reply.causationId },
		});
		return draft.decision();
	};
	if (state.phase === "running") {
		const step = stepAt(def, state.step);
		if (reply.causationId !== commandId(state.id, step.name)) return ignore("not the step in flight");
		if (step.succeedsOn.includes(reply.type)) {
			draft.log.push({
				kind: "reply",
				name: reply.type,
				detail: { step: step.name },
			});
			draft.advance();
			return draft.decision();
		}
		const reason = step.failsOn?.[reply.type];
		if (reason === undefined) return ignore("not a reply of this step");
		draft.log.push({
			kind: "reply",
			name: reply.type,
			detail: { step: step.name },
		});
		// A rejection is authoritative: the step did nothing, so its own compensation is dropped.
		draft.set({ registered: state.registered.filter((i) => i !== state.step) });
		draft.fail(reason);
		return draft.decision();
	}
	if (state.phase === "compensating" && state.compensating !== null) {
		const step = stepAt(def, state.compensating);
		const expected = compensationId(state.id, step.name);
		if (reply.causationId !== expected || reply.type !== step.compensation?.acknowledgedBy) {
			return ignore("not the compensation in flight");
		}
		draft.log.push({
			kind: "reply",
			name: reply.type,
			detail: { step: step.name, compensation: true },
		});
		draft.compensateNext();
		return draft.decision();
	}
	return ignore(`saga is ${state.phase}`);
}

/** Called when the deadline has passed: re-send with backoff, give up, or flag for attention. */
export function applyDeadline<D>(def: SagaDefinition<D>, state: SagaState<D>, now: number): SagaDecision<D> {
	const draft = new Draft(def, state, now);
	if (state.deadline === null || now < state.deadline) return draft.decision();
	const exhausted = state.attempt >= def.deadlines.maxAttempts;
	if (state.phase === "compensating" && state.compensating !== null) {
		if (exhausted) draft.flagAttention("compensation-exhausted");
		draft.sendCompensation(state.compensating, state.attempt + 1);
	} else if (state.phase === "running") {
		if (exhausted && state.step < def.compensable.length) {
			draft.log.push({
				kind: "transition",
				name: "deadline-exceeded",
				detail: { step: stepAt(def, state.step).name },
			});
			draft.fail("timeout");
		} else {
			if (exhausted) draft.flagAttention("step-exhausted");
			draft.sendStep(state.step, state.attempt + 1);
		}
	}
	return draft.decision();
}

/** Stops a saga that has not reached its pivot and compensates it; null when it can no longer be compensated. */
export function abortSaga<D>(
	def: SagaDefinition<D>,
	state: SagaState<D>,
	reason: string,
	now: number,
): SagaDecision<D> | null {
	if (state.phase !== "running" || pastPivot(def, state)) return null;
	const draft = new Draft(def, state, now);
	draft.fail(reason);
	return draft.decision();
}
