/** What a saga is made of. The engine runs any definition; it knows nothing of the domain behind it. */
export interface CommandSpec {
	type: string;
	payload: unknown;
}

export interface SagaStep<D> {
	name: string;
	command: (data: D) => CommandSpec;
	/** Reply types that complete the step. */
	succeedsOn: readonly string[];
	/** Reply types that fail the step, each with the failure reason it gives the saga. */
	failsOn?: Readonly<Record<string, string>>;
	/** Present on compensable steps: the command that undoes the step and the reply that acknowledges it. */
	compensation?: { command: (data: D) => CommandSpec; acknowledgedBy: string };
}

export interface Deadlines {
	/** Deadline of a step's first attempt; each re-send doubles it, up to maxBackoffMs. */
	stepMs: number;
	/** Attempts of a step before the saga gives up on it (forward steps) or flags itself (retried steps, compensations). */
	maxAttempts: number;
	maxBackoffMs: number;
}

export interface SagaDefinition<D> {
	name: string;
	version: number;
	/** Steps before the pivot: compensated in reverse order if the saga fails. */
	compensable: readonly SagaStep<D>[];
	/** Steps after the pivot: retried until they succeed, never compensated. */
	retriable: readonly SagaStep<D>[];
	deadlines: Deadlines;
}

export type SagaPhase = "running" | "compensating" | "completed" | "compensated";

export interface SagaState<D> {
	id: string;
	name: string;
	version: number;
	phase: SagaPhase;
	/** Index into compensable ++ retriable of the step in flight (running) or last run. */
	step: number;
	attempt: number;
	/** Epoch ms at which the command in flight is given up on, or null when nothing is awaited. */
	deadline: number | null;
	/** Steps whose compensation is registered, in the order they were started. */
	registered: number[];
	/** Step whose compensation is in flight, while compensating. */
	compensating: number | null;
	failureReason: string | null;
	needsAttention: boolean;
	data: D;
}

export interface SagaReply {
	type: string;
	causationId: string | null;
}

export type SagaLogKind = "command" | "compensation" | "transition" | "reply" | "ignored" | "retry" | "attention";

export interface SagaLogEntry {
	kind: SagaLogKind;
	name: string;
	/** The message this entry sends, when it sends one. */
	messageId?: string;
	detail?: Record<string, unknown>;
}

export interface SagaMessage {
	id: string;
	type: string;
	payload: unknown;
}

export interface SagaDecision<D> {
	state: SagaState<D>;
	send: SagaMessage[];
	log: SagaLogEntry[];
}
