/** What a saga is made of. The engine runs any definition; it knows nothing of the domain behind it. */
export interface CommandSpec {
	type: string;
	payload: unknown;
}

export interface SagaStep<D> {
	name: string;
	/**
	 * Steps of the same group (compensable or retriable) that must succeed before this one is sent,
	 * each declared before it. Steps with nothing left to wait for are sent together.
	 */
	after?: readonly string[];
	command: (data: D) => CommandSpec;
	/** Reply types that complete the step. */
	succeedsOn: readonly string[];
	/** Reply types that fail the step, each with the failure reason it gives the saga. */
	failsOn?: Readonly<Record<string, string>>;
	/** Present on compensable steps: the command that undoes the step and the reply that acknowledges it. */
	compensation?: { command: (data: D) => CommandSpec; acknowledgedBy: string };
	/** Deadline of this step's first attempt when the definition's default does not fit its participant. */
	deadlineMs?: number;
}

/**
 * A step that fans out (like a Map state): one concrete step per item of the saga's data, named
 * `name[key]`, each with its own command id, attempts, deadline and compensation. Steps that wait
 * for it wait for all its branches. Built with `forEach` (steps.ts).
 */
export interface SagaMapStep<D> {
	name: string;
	after?: readonly string[];
	branches: (data: D) => readonly { key: string; step: Omit<SagaStep<D>, "name" | "after"> }[];
}

export type SagaStepDecl<D> = SagaStep<D> | SagaMapStep<D>;

export interface Deadlines {
	/** Default deadline of a step's first attempt; each re-send doubles it, up to maxBackoffMs. */
	stepMs: number;
	/** Attempts of a step before the saga gives up on it (forward steps) or flags itself (retried steps, compensations). */
	maxAttempts: number;
	maxBackoffMs: number;
}

export interface SagaDefinition<D> {
	name: string;
	version: number;
	/** Steps before the pivot: on a failure every one that was sent is compensated, dependents first. */
	compensable: readonly SagaStepDecl<D>[];
	/** Steps after the pivot (every compensable step succeeded): retried until they succeed, never compensated. */
	retriable: readonly SagaStepDecl<D>[];
	deadlines: Deadlines;
}

export type SagaPhase = "running" | "compensating" | "completed" | "compensated";

/**
 * Where one step stands. `sent`: its command is out (awaited while it has a deadline; once the saga
 * gives up on it, it keeps no deadline and waits to be undone). `undoing`: its compensation is out.
 */
export type StepStatus = "sent" | "succeeded" | "rejected" | "undoing" | "undone";

export interface StepRun {
	status: StepStatus;
	/** Attempts of the command (or of the compensation, once undoing). */
	attempt: number;
	/** Epoch ms at which this attempt is given up on; null when nothing of this step is awaited. */
	deadline: number | null;
}

export interface SagaState<D> {
	id: string;
	name: string;
	version: number;
	phase: SagaPhase;
	/** Every step sent so far, by name; a step not here has not been sent. */
	steps: Record<string, StepRun>;
	/** Steps whose compensation is registered and not yet acknowledged, in the order they were sent. */
	registered: string[];
	/** The earliest deadline of anything in flight, so the host keeps a single timer; null when nothing is awaited. */
	deadline: number | null;
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
