/** What a saga is made of. The engine runs any definition; it knows nothing of the domain behind it. */
export interface CommandSpec {
	type: string;
	payload: unknown;
}

/**
 * What steps kept of the replies that completed them, by step name: later steps' commands and the
 * compensations read them (an authorization id, a pickup id). A step keeps nothing unless it says what.
 */
export type StepResults = Readonly<Record<string, unknown>>;

/**
 * A step may be put on hold by its participant (a payment held for review): the reply `on` then
 * makes the step wait for an event correlated with the saga (its type and key) until a deadline,
 * instead of timing out. The event decides the step as a reply would.
 */
export interface StepWait<D> {
	/** The reply type that puts the step on hold. */
	on: string;
	/** The event type awaited, and the key that correlates it with this saga. */
	event: string;
	key: (data: D) => string;
	/** The event's verdict: null when the step succeeds, otherwise the reason the saga fails with. */
	failure: (payload: unknown) => string | null;
	/** How long the step waits; the definition's `deadlines.waitMs` when absent. */
	ms?: number;
	/** When nobody answers in time: fail the saga with a reason (it is compensated), or carry on as if it succeeded. */
	onDeadline: { fail: string } | "continue";
}

export interface SagaStep<D, R = unknown> {
	name: string;
	/**
	 * Steps of the same group (compensable or retriable) that must succeed before this one is sent,
	 * each declared before it. Steps with nothing left to wait for are sent together.
	 */
	after?: readonly string[];
	command: (data: D, results: StepResults) => CommandSpec;
	/** Reply types that complete the step. */
	succeedsOn: readonly string[];
	/** Reply types that fail the step, each with the failure reason it gives the saga. */
	failsOn?: Readonly<Record<string, string>>;
	/** Present on compensable steps: the command that undoes the step and the reply that acknowledges it. */
	compensation?: { command: (data: D, results: StepResults) => CommandSpec; acknowledgedBy: string };
	/** Deadline of this step's first attempt when the definition's default does not fit its participant. */
	deadlineMs?: number;
	/** What the step keeps of the payload that completed it (read back with `resultOf`); undefined keeps nothing. */
	keeps?: (payload: unknown) => R | undefined;
	/** A hold its participant may put it on, and what the saga then waits for. */
	wait?: StepWait<D>;
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
	/** Default time a step on hold waits for its event (StepWait.ms overrides it). */
	waitMs?: number;
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
 * gives up on it, it keeps no deadline and waits to be undone). `waiting`: its participant put it on
 * hold and it waits for an event until its deadline. `undoing`: its compensation is out.
 */
export type StepStatus = "sent" | "waiting" | "succeeded" | "rejected" | "undoing" | "undone";

export interface StepRun {
	status: StepStatus;
	/** Attempts of the command (or of the compensation, once undoing). */
	attempt: number;
	/** Epoch ms at which this attempt is given up on; null when nothing of this step is awaited. */
	deadline: number | null;
	/** While `waiting`: the event awaited, its key, and until when (the deadline). */
	wait?: WaitingFor;
}

export interface WaitingFor {
	event: string;
	key: string;
	until: number;
}

/** An event correlated with a saga by its type and key (not a reply: it answers no command). */
export interface SagaEvent {
	id: string;
	type: string;
	key: string;
	payload: unknown;
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
	/** What steps kept of their replies (StepResults). */
	results: Record<string, unknown>;
	/** Events that came before the wait for them began: applied when it begins. */
	early: SagaEvent[];
}

export interface SagaReply {
	type: string;
	causationId: string | null;
	/** The reply's payload, for what its step keeps. */
	payload?: unknown;
}

export type SagaLogKind =
	| "command"
	| "compensation"
	| "transition"
	| "reply"
	| "event"
	| "ignored"
	| "retry"
	| "attention";

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
