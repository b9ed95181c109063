import type { Timer } from "../durable/messaging-object";
import { envelope, type ReplyTo } from "../envelope";
import { childSpanAt, SpanBatch } from "../observability/span";
import { childSpan, formatTraceparent, parseTraceparent } from "../observability/trace";
import { commandRoute } from "../topology";
import type { SagaDecision, SagaDefinition, SagaEvent, SagaReply, SagaState } from "./definition";
import { applyDeadline, applyEvent, applyReply, type StoredSagaState } from "./engine";
import { JournalingObject } from "./journal";

/** The timer behind a saga's earliest deadline. */
export const SAGA_TIMER = "saga";

/** The timer that tells a saga object's news once more after it has been quiet. */
export const NEWS_WATCH = "news-watch";

/** What caused a decision: the message applied (null for a request or a timer) and its trace. */
export interface Cause {
	id: string | null;
	traceparent: string;
}

/**
 * A Durable Object that runs sagas on the engine and persists each decision in the transaction
 * that makes it: the saga's state (in the object's own row, by `saveSaga`) with its earliest
 * deadline (a state timer, read back by `savedSaga`), the history entries and the commands (one
 * journal row; each command routed to its context by the topology). The object adds only what its
 * domain needs.
 */
export abstract class SagaHost<D, E> extends JournalingObject<E> {
	protected abstract definitionOf(version: number): SagaDefinition<D>;

	/** Writes the saga's new state with the object's own data; called inside the decision's commit. */
	protected abstract saveSaga(state: SagaState<D>): void;

	/** The ids that name this saga's object in its `saga.decided` log line (its own id, the order's…). */
	protected abstract decidedFields(): Record<string, unknown>;

	/** The spans of this call's decisions: one log line per call (request, message or alarm), not one per transition. */
	private readonly decided = new SpanBatch();

	protected override record(
		entry: { kind: string; name: string; detail?: Record<string, unknown> },
		refs: { messageId?: string | null; causationId?: string | null; traceparent?: string },
	) {
		super.record(entry, refs);
		// Transitions and compensations are spans of the saga's trace too, written with the call's other decisions.
		if (entry.kind === "transition" || (entry.kind === "compensation" && refs.messageId)) {
			const attributes = { ...entry.detail, ...(refs.messageId ? { messageId: refs.messageId } : {}) };
			this.decided.add(childSpanAt(`${entry.kind} ${entry.name}`, refs.traceparent, Date.now(), attributes));
		}
	}

	protected override async flush(afterFirstPass?: () => void): Promise<void> {
		try {
			await super.flush(afterFirstPass);
		} finally {
			this.decided.write(this.service, "saga.decided", () => this.decidedFields());
		}
	}

	/** The engine's decision on a reply to one of the saga's commands. */
	protected decideReply(saga: StoredSagaState<D>, reply: SagaReply) {
		return applyReply(this.definitionOf(saga.version), saga, reply, Date.now());
	}

	/** The engine's decision on an event correlated with the saga (one a step may wait for). */
	protected decideEvent(saga: StoredSagaState<D>, event: SagaEvent) {
		return applyEvent(this.definitionOf(saga.version), saga, event, Date.now());
	}

	/** A reply addressed to another saga (its `replyTo` names another kind or id): never this saga's to apply. */
	protected addressedElsewhere(saga: StoredSagaState<D>, replyTo: ReplyTo | undefined): boolean {
		return replyTo !== undefined && (replyTo.kind !== saga.name || replyTo.id !== saga.id);
	}

	/** The engine's decision when the saga's timer fires: commands still in our outbox are not counted as unanswered. */
	protected decideDeadline(saga: StoredSagaState<D>, now: number) {
		return applyDeadline(this.definitionOf(saga.version), saga, now, this.undeliveredIds());
	}

	/**
	 * Queues can lose what they were handed (a local runtime's are in memory): once the object has
	 * been quiet for `quietMs`, it tells its news once more. Call inside the commit that publishes
	 * news. The watch's time is rounded up to a third of `quietMs`, so the news of a busy spell moves
	 * it once or twice rather than at every decision (each move is a row written). 0: no watch.
	 */
	protected watchNews(quietMs: number): void {
		if (!(quietMs > 0)) return;
		const step = Math.max(1, Math.ceil(quietMs / 3));
		this.setTimer(NEWS_WATCH, Math.ceil((Date.now() + quietMs) / step) * step);
	}

	/**
	 * The revision to tell again when `timer` is the news watch, else null: the last decision's, so
	 * the state told again is never newer than its revision says and the next change is newer still.
	 * Status events keep their ids (one per status); a summary told again may come under a newer revision.
	 */
	protected newsToRepeat(timer: Timer): number | null {
		if (timer.key !== NEWS_WATCH) return null;
		return this.decisionNumber() - 1;
	}

	/** Persists a decision; false when it changed nothing but the history (every entry `ignored`). */
	protected persistDecision(decision: SagaDecision<D>, cause: Cause): boolean {
		return this.persistDecisions([[decision, cause]]);
	}

	/**
	 * Persists decisions made one after another in one transaction (replies answered together):
	 * the saga's state and deadline are written once, for the last; each decision's entries and
	 * commands are recorded with their own cause. False when they changed nothing but the history.
	 */
	protected persistDecisions(parts: readonly (readonly [SagaDecision<D>, Cause])[]): boolean {
		const changes = (d: SagaDecision<D>) => !d.log.every((l) => l.kind === "ignored");
		const last = parts.filter(([d]) => changes(d)).at(-1)?.[0];
		if (last) this.saveSaga(last.state);
		for (const [decision, cause] of parts) {
			for (const entry of decision.log) {
				const incoming = entry.kind === "reply" || entry.kind === "event" || entry.kind === "ignored";
				this.record(
					entry,
					incoming
						? { messageId: entry.messageId ?? cause.id, traceparent: cause.traceparent }
						: { messageId: entry.messageId, causationId: cause.id, traceparent: cause.traceparent },
				);
			}
			if (!changes(decision)) continue;
			for (const out of decision.send) {
				const message = envelope(out, {
					source: this.service,
					correlationId: decision.state.id,
					causationId: cause.id,
					// Every command names its saga, so the replies find it whoever sends them and whatever the order.
					replyTo: { kind: decision.state.name, id: decision.state.id },
					traceparent: formatTraceparent(childSpan(parseTraceparent(cause.traceparent))),
					now: new Date(),
				});
				this.stage(commandRoute(out.type), message);
			}
		}
		if (!last) return false;
		// The deadline is a state timer now (stateTimers); a timers row an earlier version wrote goes (no row written when none is).
		this.clearTimer(SAGA_TIMER);
		return true;
	}

	/** The saga's state as saved with the object's own data; null before there is one. */
	protected abstract savedSaga(): SagaState<D> | null;

	/** The saga's earliest deadline, kept in its saved state: moving it writes no row of its own. */
	protected override stateTimers(): Timer[] {
		return this.deadlineOf(this.savedSaga());
	}

	/** The timer of a saga's earliest deadline, for an object that has already read its saved state. */
	protected deadlineOf(saga: SagaState<D> | null): Timer[] {
		const deadline = saga?.deadline ?? null;
		return deadline === null ? [] : [{ key: SAGA_TIMER, dueAt: deadline, payload: null }];
	}
}
