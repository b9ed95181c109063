import { IGNORED, type Ignored, type Staged, type Timer } from "../../../shared/durable/messaging-object";
import { type Envelope, envelope } from "../../../shared/envelope";
import { isMessageType, type Payload, parsePayload } from "../../../shared/messages";
import { log } from "../../../shared/observability/log";
import { childSpan, formatTraceparent, parseTraceparent } from "../../../shared/observability/trace";
import { usage } from "../../../shared/observability/usage";
import type { SagaDecision, SagaDefinition, SagaPhase, SagaState } from "../../../shared/saga/definition";
import {
	isAwaitedEvent,
	type StoredSagaState,
	sagaProgress,
	sagaWaitingFor,
	startSaga,
} from "../../../shared/saga/engine";
import { type Cause, SAGA_TIMER, SagaHost } from "../../../shared/saga/host";
import { JOURNAL_CAUSE, JOURNAL_OUTBOX, JOURNAL_TABLE } from "../../../shared/saga/journal";
import { eventRoutes } from "../../../shared/topology";
import type { ShippingAddress } from "./domain/order";
import {
	CURRENT_RETURN_SAGA,
	type ReturnLine,
	type ReturnSagaData,
	type ReturnStatus,
	returnSaga,
	returnStatus,
} from "./domain/return-saga";

const MIGRATIONS = [
	JOURNAL_TABLE,
	JOURNAL_CAUSE,
	`CREATE TABLE return_request (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, customer_id TEXT NOT NULL,
		lines TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL, reason TEXT NOT NULL,
		request_hash TEXT NOT NULL, first_response TEXT NOT NULL, saga TEXT NOT NULL, traceparent TEXT NOT NULL,
		created_at TEXT NOT NULL, updated_at TEXT NOT NULL);`,
	JOURNAL_OUTBOX,
];

/** The tables the migrations end in, as a fresh return's object creates them. */
const CURRENT = `CREATE TABLE return_request (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, customer_id TEXT NOT NULL,
		lines TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL, reason TEXT NOT NULL,
		request_hash TEXT NOT NULL, first_response TEXT NOT NULL, saga TEXT NOT NULL, traceparent TEXT NOT NULL,
		created_at TEXT NOT NULL, updated_at TEXT NOT NULL) WITHOUT ROWID;`;

type ReturnRow = {
	id: string;
	order_id: string;
	customer_id: string;
	lines: string;
	amount: number;
	currency: string;
	reason: string;
	request_hash: string;
	first_response: string;
	saga: string;
	traceparent: string;
	created_at: string;
	updated_at: string;
};

/** What the order Worker hands a new return: the request, checked against its order and priced. */
export interface ReturnDraft {
	returnId: string;
	orderId: string;
	customerId: string;
	requestHash: string;
	lines: ReturnLine[];
	reason: string;
	amount: number;
	currency: string;
	address: ShippingAddress;
	traceparent: string;
}

export interface ReturnView {
	id: string;
	orderId: string;
	customerId: string;
	status: ReturnStatus;
	failureReason?: string;
	lines: ReturnLine[];
	reason: string;
	/** What the return refunds (once `refunded`). */
	amount: number;
	currency: string;
	saga: { name: string; version: number; phase: SagaPhase; steps: string[]; needsAttention: boolean };
	/** The carrier's delivery back the return waits for, and until when; null when it waits for none. */
	waitingFor: { event: string; key: string; until: string } | null;
	createdAt: string;
	updatedAt: string;
}

export interface RequestResult {
	result: "created" | "replayed" | "conflict";
	view?: ReturnView;
}

/**
 * One return of a delivered order, and the orchestrator of its saga (a second kind on the same
 * engine as the order's placement). Every change commits in one transaction with its history,
 * outgoing commands, inbox record and deadline, as in the order's object.
 */
export class ReturnSaga extends SagaHost<ReturnSagaData, OrderEnv> {
	protected readonly service = "order";

	constructor(ctx: DurableObjectState, env: OrderEnv) {
		super(ctx, env, MIGRATIONS, CURRENT);
	}

	protected definitionOf(version: number): SagaDefinition<ReturnSagaData> {
		return returnSaga(version, {
			stepMs: Number(this.env.SAGA_STEP_TIMEOUT_MS),
			maxAttempts: Number(this.env.SAGA_MAX_ATTEMPTS),
			maxBackoffMs: Number(this.env.SAGA_MAX_BACKOFF_MS),
			waitMs: Number(this.env.RETURN_DELIVERY_WAIT_MS),
		});
	}

	private row(): ReturnRow | undefined {
		return this.sql.exec<ReturnRow>("SELECT * FROM return_request").toArray()[0];
	}

	private viewOf(row: ReturnRow): ReturnView {
		const saga = JSON.parse(row.saga) as StoredSagaState<ReturnSagaData>;
		const def = this.definitionOf(saga.version);
		const waiting = sagaWaitingFor(def, saga);
		return {
			id: row.id,
			orderId: row.order_id,
			customerId: row.customer_id,
			status: returnStatus(def, saga),
			...(saga.failureReason ? { failureReason: saga.failureReason } : {}),
			lines: JSON.parse(row.lines),
			reason: row.reason,
			amount: row.amount,
			currency: row.currency,
			saga: {
				name: saga.name,
				version: saga.version,
				phase: saga.phase,
				steps: sagaProgress(def, saga).steps,
				needsAttention: saga.needsAttention,
			},
			waitingFor: waiting && { ...waiting, until: new Date(waiting.until).toISOString() },
			createdAt: row.created_at,
			updatedAt: row.updated_at,
		};
	}

	async view(): Promise<ReturnView | null> {
		usage.objectRequest(this);
		const row = this.row();
		return row ? this.viewOf(row) : null;
	}

	/** A request made before under this return's key: its first answer again, or a conflict for another body; null when none was. */
	async replay(requestHash: string): Promise<RequestResult | null> {
		usage.objectRequest(this);
		return this.replayOf(requestHash);
	}

	private replayOf(requestHash: string): RequestResult | null {
		const existing = this.row();
		if (!existing) return null;
		if (existing.request_hash !== requestHash) return { result: "conflict" };
		return { result: "replayed", view: JSON.parse(existing.first_response) };
	}

	/** Starts the return once: the same request again replays the first answer, another under its key conflicts. */
	async request(draft: ReturnDraft): Promise<RequestResult> {
		usage.objectRequest(this);
		const replayed = this.replayOf(draft.requestHash);
		if (replayed) return replayed;
		const now = new Date();
		const data: ReturnSagaData = {
			returnId: draft.returnId,
			orderId: draft.orderId,
			lines: draft.lines,
			amount: draft.amount,
			currency: draft.currency,
			address: draft.address,
		};
		const decision = startSaga(this.definitionOf(CURRENT_RETURN_SAGA), draft.returnId, data, now.getTime());
		const view = this.commit(() => {
			this.sql.exec(
				`INSERT INTO return_request (id, order_id, customer_id, lines, amount, currency, reason, request_hash,
					first_response, saga, traceparent, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, ?)`,
				draft.returnId,
				draft.orderId,
				draft.customerId,
				JSON.stringify(draft.lines),
				draft.amount,
				draft.currency,
				draft.reason,
				draft.requestHash,
				JSON.stringify(decision.state),
				draft.traceparent,
				now.toISOString(),
				now.toISOString(),
			);
			this.record({ kind: "transition", name: "status:requested" }, { traceparent: draft.traceparent });
			this.apply([[decision, { id: null, traceparent: draft.traceparent }]]);
			const first = this.viewOf(this.row() as ReturnRow);
			this.publishSummary(first, draft.traceparent);
			this.sql.exec("UPDATE return_request SET first_response = ?", JSON.stringify(first));
			return first;
		});
		await this.flush();
		return { result: "created", view };
	}

	/** A reply or the carrier's event from a queue. */
	async handle(msg: Envelope) {
		return this.handleOnce(msg.id, () => this.decide(msg));
	}

	/** Replies that came back as the answers to commands this return sent by RPC, each applied once. */
	protected override acceptReplies(replies: Envelope[]): void {
		for (const reply of new Map(replies.map((r) => [r.id, r])).values()) {
			if (!isMessageType(reply.type)) {
				log.error(this.service, "message.unparsable-reply", { messageId: reply.id, type: reply.type });
				continue;
			}
			const parsed = { ...reply, payload: parsePayload(reply.type, reply.payload) };
			this.decideOnce(reply.id, () => this.decide(parsed));
		}
	}

	private decide(msg: Envelope): Staged[] | Ignored {
		const refs = { messageId: msg.id, causationId: msg.causationId, traceparent: msg.traceparent };
		const row = this.row();
		if (!row) {
			this.record({ kind: "ignored", name: msg.type, detail: { why: "unknown return" } }, refs);
			return IGNORED;
		}
		const saga = JSON.parse(row.saga) as StoredSagaState<ReturnSagaData>;
		if (this.addressedElsewhere(saga, msg.replyTo)) {
			const detail = { why: "addressed to another saga", replyTo: `${msg.replyTo?.kind}/${msg.replyTo?.id}` };
			this.record({ kind: "ignored", name: msg.type, detail }, refs);
			return IGNORED;
		}
		// The carrier's delivery back is an event correlated by the return's id; anything else answers a command.
		const decision = isAwaitedEvent(this.definitionOf(saga.version), msg.type)
			? this.decideEvent(saga, { id: msg.id, type: msg.type, key: msg.correlationId, payload: msg.payload })
			: this.decideReply(saga, { type: msg.type, causationId: msg.causationId, payload: msg.payload });
		this.apply([[decision, { id: msg.id, traceparent: msg.traceparent }]]);
		return decision.log.every((l) => l.kind === "ignored") ? IGNORED : [];
	}

	protected onTimer(timer: Timer, now: number): void {
		const row = this.row();
		if (!row) return;
		const repeat = this.newsToRepeat(timer);
		if (repeat !== null) {
			// The return's summary again, under its last decision's revision: the read model keeps the newest.
			this.publishSummary(this.viewOf(row), row.traceparent, repeat);
			return;
		}
		if (timer.key !== SAGA_TIMER) return;
		const saga = JSON.parse(row.saga) as StoredSagaState<ReturnSagaData>;
		this.apply([[this.decideDeadline(saga, now), { id: null, traceparent: row.traceparent }]]);
	}

	/** Saves decisions, records the status transition they cause and tells the read model of a change. */
	private apply(parts: [SagaDecision<ReturnSagaData>, Cause][]) {
		const before = this.viewOf(this.row() as ReturnRow);
		this.persistDecisions(parts);
		const after = this.viewOf(this.row() as ReturnRow);
		const traceparent = parts[0]?.[1].traceparent ?? (this.row() as ReturnRow).traceparent;
		if (after.status !== before.status) {
			const detail = after.failureReason ? { reason: after.failureReason } : undefined;
			this.record({ kind: "transition", name: `status:${after.status}`, detail }, { traceparent });
		}
		const key = (v: ReturnView) => `${v.status}|${v.saga.phase}|${v.saga.needsAttention}`;
		if (key(after) !== key(before)) this.publishSummary(after, traceparent);
	}

	/**
	 * The return's summary for the read model, through the outbox, with the decision's revision (a
	 * consumer keeps the newest); its id names the revision, so a repeat is recognisable. `repeat`
	 * is the revision of a summary told again by the news watch.
	 */
	private publishSummary(view: ReturnView, traceparent: string, repeat?: number) {
		const revision = repeat ?? this.decisionNumber();
		const payload: Payload<"order.return-changed"> = {
			returnId: view.id,
			orderId: view.orderId,
			revision,
			status: view.status,
			phase: view.saga.phase,
			needsAttention: view.saga.needsAttention,
			customerId: view.customerId,
			amount: view.amount,
			currency: view.currency,
			failureReason: view.failureReason ?? null,
			createdAt: view.createdAt,
			updatedAt: view.updatedAt,
		};
		const event = envelope(
			{ id: `${view.id}.summary.${revision}`, type: "order.return-changed", payload },
			{
				source: this.service,
				correlationId: view.id,
				causationId: null,
				traceparent: formatTraceparent(
					childSpan(parseTraceparent(traceparent) ?? parseTraceparent(this.row()?.traceparent)),
				),
				now: new Date(),
			},
		);
		for (const route of eventRoutes("order.return-changed", view.id)) this.stage(route.producer, event, route.newest);
		if (repeat === undefined) this.watchNews(Number(this.env.NEWS_REPUBLISH_MS));
	}

	protected decidedFields() {
		const row = this.row();
		return { returnId: row?.id, orderId: row?.order_id };
	}

	protected savedSaga(): SagaState<ReturnSagaData> | null {
		const row = this.row();
		return row ? (JSON.parse(row.saga) as SagaState<ReturnSagaData>) : null;
	}

	protected saveSaga(state: SagaState<ReturnSagaData>): void {
		this.sql.exec(
			"UPDATE return_request SET saga = ?, updated_at = ?",
			JSON.stringify(state),
			new Date().toISOString(),
		);
	}
}
