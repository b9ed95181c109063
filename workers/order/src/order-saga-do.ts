import type { OrderDraft } from "../../../shared/api";
import {
	type HandleResult,
	IGNORED,
	type Ignored,
	type Staged,
	type Timer,
	Unapplicable,
} from "../../../shared/durable/messaging-object";
import { type Envelope, envelope } from "../../../shared/envelope";
import { isMessageType, type Payload, parsePayload } from "../../../shared/messages";
import { log } from "../../../shared/observability/log";
import { childSpan, formatTraceparent, parseTraceparent } from "../../../shared/observability/trace";
import { usage } from "../../../shared/observability/usage";
import type { SagaDecision, SagaDefinition, SagaPhase, SagaState } from "../../../shared/saga/definition";
import {
	abortSaga,
	isAwaitedEvent,
	pastPivot,
	retryNow,
	type StoredSagaState,
	sagaProgress,
	sagaWaitingFor,
	startSaga,
} from "../../../shared/saga/engine";
import { type SagaGraph, sagaGraph } from "../../../shared/saga/graph";
import { type Cause, SAGA_TIMER, SagaHost } from "../../../shared/saga/host";
import { JOURNAL_CAUSE, JOURNAL_OUTBOX, JOURNAL_TABLE } from "../../../shared/saga/journal";
import { setting } from "../../../shared/settings";
import { commandRoute, eventRoutes, ownerOf } from "../../../shared/topology";
import {
	cancelVerdict,
	isCarrierEvent,
	linesBySku,
	type OrderStatus,
	orderStatus,
	orderTotal,
	progressAfter,
	type ShipmentProgress,
	type ShippingAddress,
} from "./domain/order";
import { newsOf } from "./domain/order-news";
import { creditReviewer, type OrderSagaData, placementSaga, placementVersionOf } from "./domain/order-saga";
import {
	type ReturnHoldState,
	type ReturnLine,
	type ReturnVerdict,
	refundedTotal,
	returnVerdict,
} from "./domain/returns";

const MIGRATIONS = [
	`CREATE TABLE orders (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, items TEXT NOT NULL, total INTEGER NOT NULL,
		currency TEXT NOT NULL, address TEXT NOT NULL, request_hash TEXT NOT NULL, first_response TEXT NOT NULL,
		saga TEXT NOT NULL, shipment TEXT, traceparent TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
	CREATE TABLE history (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
		message_id TEXT, causation_id TEXT, trace_id TEXT, detail TEXT);`,
	JOURNAL_TABLE,
	JOURNAL_CAUSE,
	// The SKUs inventory found short for this order: what an out_of_stock failure names.
	"ALTER TABLE orders ADD COLUMN short_skus TEXT;",
	// Returns: when the order was delivered (its return window opens), and the units each return holds or took back.
	`ALTER TABLE orders ADD COLUMN delivered_at TEXT;
	CREATE TABLE returns (id TEXT PRIMARY KEY, lines TEXT NOT NULL, amount INTEGER NOT NULL, state TEXT NOT NULL,
		refunded INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);`,
	JOURNAL_OUTBOX,
	// The carrier watch is a state timer: from when (ms) it counts, and how often the shipment was asked.
	`ALTER TABLE orders ADD COLUMN carrier_watch_from INTEGER;
	ALTER TABLE orders ADD COLUMN carrier_asks INTEGER NOT NULL DEFAULT 0;`,
];

/** The tables the migrations end in, as a fresh order's object creates them (without the retired history). */
const CURRENT = `CREATE TABLE orders (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, items TEXT NOT NULL, total INTEGER NOT NULL,
		currency TEXT NOT NULL, address TEXT NOT NULL, request_hash TEXT NOT NULL, first_response TEXT NOT NULL,
		saga TEXT NOT NULL, shipment TEXT, traceparent TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
		short_skus TEXT, delivered_at TEXT, carrier_watch_from INTEGER, carrier_asks INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
	CREATE TABLE returns (id TEXT PRIMARY KEY, lines TEXT NOT NULL, amount INTEGER NOT NULL, state TEXT NOT NULL,
		refunded INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL) WITHOUT ROWID;`;

type ReturnHoldRow = { id: string; lines: string; amount: number; state: ReturnHoldState; refunded: number };
/** A return as its order sees it: taking units back, refunded, or cancelled (the units are free again). */
const RETURN_VIEW_STATUS: Record<ReturnHoldState, string> = {
	held: "in_progress",
	recorded: "refunded",
	released: "cancelled",
};
const DAY_MS = 24 * 60 * 60 * 1000;

type OrderRow = {
	id: string;
	customer_id: string;
	items: string;
	total: number;
	currency: string;
	address: string;
	request_hash: string;
	first_response: string;
	saga: string;
	shipment: ShipmentProgress | null;
	traceparent: string;
	created_at: string;
	updated_at: string;
	short_skus: string | null;
	delivered_at: string | null;
	carrier_watch_from: number | null;
	carrier_asks: number;
};

export interface OrderView {
	id: string;
	status: OrderStatus;
	customerId: string;
	items: { sku: string; quantity: number; unitPrice: number }[];
	total: number;
	currency: string;
	shippingAddress: ShippingAddress;
	failureReason?: string;
	/** What the failure names: the SKUs found short, for `out_of_stock`. */
	failureDetail?: { skus: string[] };
	shipmentStatus: ShipmentProgress | null;
	saga: {
		name: string;
		version: number;
		phase: SagaPhase;
		/** The steps (or their compensations) in flight, joined by commas; absent when nothing is awaited. */
		step: string | undefined;
		steps: string[];
		/** The highest attempt among what is in flight. */
		attempt: number;
		needsAttention: boolean;
	};
	/** The event the saga waits for (a payment's review), its key and until when; null when it waits for none. */
	waitingFor: { event: string; key: string; until: string } | null;
	/** The order's returns (their own sagas), and what they have refunded in all. */
	returns: { id: string; status: string; lines: ReturnLine[]; refunded: number }[];
	refundedAmount: number;
	createdAt: string;
	updatedAt: string;
}

export type { HistoryEntry } from "../../../shared/saga/journal";

export interface PlaceResult {
	result: "created" | "replayed" | "conflict";
	order?: OrderView;
}
/** What an operator's action on the saga came to: done, or why not. */
export interface OperatorResult {
	result: "done" | "not_found" | "nothing_in_flight" | "past_pivot" | "not_running";
	order?: OrderView;
}
export type ReturnQuote =
	| { result: "not_found" }
	| { result: "refused"; verdict: Extract<ReturnVerdict, { ok: false }> }
	| { result: "ok"; amount: number; currency: string; customerId: string; address: ShippingAddress };

export interface CancelResult {
	result: "accepted" | "refused" | "not_found";
	order?: OrderView;
}

const CARRIER_WATCH = "carrier-watch";
const REVIEW_WATCH = "review-watch";
/** The event a payment held for review is waited for with. */
const REVIEWED = "billing.payment-reviewed";
/** The longest a watch waits between two asks. */
const MAX_WATCH_MS = 10 * 60_000;

const summaryKey = (v: OrderView) => `${v.status}|${v.saga.phase}|${v.saga.needsAttention}`;

/**
 * One order: the aggregate and the orchestrator of its placement saga. Every change (order row,
 * saga state, history, outgoing commands, inbox record, deadline) commits in one transaction.
 */
export class OrderSaga extends SagaHost<OrderSagaData, OrderEnv> {
	protected readonly service = "order";
	/** Created with the order it holds: a message naming an order never placed stores nothing. */
	static override readonly lazily = true;

	constructor(ctx: DurableObjectState, env: OrderEnv) {
		super(ctx, env, MIGRATIONS, CURRENT);
	}

	protected definitionOf(version: number): SagaDefinition<OrderSagaData> {
		return placementSaga(version, {
			stepMs: Number(this.env.SAGA_STEP_TIMEOUT_MS),
			maxAttempts: Number(this.env.SAGA_MAX_ATTEMPTS),
			maxBackoffMs: Number(this.env.SAGA_MAX_BACKOFF_MS),
			waitMs: Number(this.env.PAYMENT_REVIEW_WAIT_MS),
		});
	}

	private row(): OrderRow | undefined {
		if (!this.created) return undefined;
		return this.sql.exec<OrderRow>("SELECT * FROM orders").toArray()[0];
	}

	private viewOf(row: OrderRow): OrderView {
		const saga = JSON.parse(row.saga) as StoredSagaState<OrderSagaData>;
		const def = this.definitionOf(saga.version);
		const progress = sagaProgress(def, saga);
		const waiting = sagaWaitingFor(def, saga);
		return {
			id: row.id,
			status: orderStatus(def, saga, row.shipment),
			customerId: row.customer_id,
			items: JSON.parse(row.items),
			total: row.total,
			currency: row.currency,
			shippingAddress: JSON.parse(row.address),
			...(saga.failureReason ? { failureReason: saga.failureReason } : {}),
			...(saga.failureReason === "out_of_stock" && row.short_skus
				? { failureDetail: { skus: JSON.parse(row.short_skus) } }
				: {}),
			shipmentStatus: row.shipment,
			saga: {
				name: saga.name,
				version: saga.version,
				phase: saga.phase,
				step: progress.steps.join(",") || undefined,
				steps: progress.steps,
				attempt: progress.attempt,
				needsAttention: saga.needsAttention,
			},
			waitingFor: waiting && { ...waiting, until: new Date(waiting.until).toISOString() },
			...this.returnsView(),
			createdAt: row.created_at,
			updatedAt: row.updated_at,
		};
	}

	async view() {
		const row = this.row();
		return row ? this.viewOf(row) : null;
	}

	/**
	 * The first relay pass a placement waits on before it answers; null once it has answered. Until
	 * then saveSaga keeps the stored answer up to date, and a repeat of the request waits for it.
	 */
	private answering: Promise<void> | null = null;

	/** Places the order once: a repeat of the same request replays the first response, another request under its key conflicts. */
	async place(draft: OrderDraft): Promise<PlaceResult> {
		usage.objectRequest(this);
		const existing = this.row();
		if (existing) {
			if (existing.request_hash !== draft.requestHash) return { result: "conflict" };
			// A repeat that comes while the placement still waits replays the answer the placement gives.
			await this.answering?.catch(() => {});
			return { result: "replayed", order: JSON.parse((this.row() as OrderRow).first_response) };
		}
		const now = new Date();
		const total = orderTotal(draft.items);
		const data: OrderSagaData = {
			orderId: draft.orderId,
			lines: linesBySku(draft.items),
			amount: total,
			currency: draft.currency,
			address: draft.shippingAddress,
			paymentToken: draft.paymentToken,
		};
		// The operator's setting: orders placed from now on start on it; orders running keep theirs.
		const def = this.definitionOf(placementVersionOf(this.env.PLACEMENT_SAGA_VERSION));
		const decision = startSaga(def, draft.orderId, data, now.getTime());
		const row: OrderRow = {
			id: draft.orderId,
			customer_id: draft.customerId,
			items: JSON.stringify(draft.items),
			total,
			currency: draft.currency,
			address: JSON.stringify(draft.shippingAddress),
			request_hash: draft.requestHash,
			first_response: "",
			saga: JSON.stringify(decision.state),
			shipment: null,
			traceparent: draft.traceparent,
			created_at: now.toISOString(),
			updated_at: now.toISOString(),
			short_skus: null,
			delivered_at: null,
			carrier_watch_from: null,
			carrier_asks: 0,
		};
		// The order as placed, its first answer: saveSaga rewrites it while the first pass runs.
		const order = this.viewOf(row);
		this.commit(() => {
			this.sql.exec(
				`INSERT INTO orders (id, customer_id, items, total, currency, address, request_hash, first_response, saga, traceparent, created_at, updated_at)
				 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				row.id,
				row.customer_id,
				row.items,
				row.total,
				row.currency,
				row.address,
				row.request_hash,
				JSON.stringify(order),
				row.saga,
				row.traceparent,
				row.created_at,
				row.updated_at,
			);
			this.record({ kind: "transition", name: "status:pending" }, { traceparent: draft.traceparent });
			this.apply(decision, { id: null, traceparent: draft.traceparent });
			this.publishSummary(order, draft.traceparent);
		});
		// The placement answers once the saga's first steps have, with the order as that pass left it
		// (most often confirmed; still pending while a refused step is compensated or a context has
		// not answered); the steps their replies start go on without holding it.
		this.answering = this.flushFirstPass();
		try {
			await this.answering;
		} finally {
			this.answering = null;
		}
		return { result: "created", order: JSON.parse((this.row() as OrderRow).first_response) };
	}

	async cancel(traceparent: string): Promise<CancelResult> {
		usage.objectRequest(this);
		const row = this.row();
		if (!row) return { result: "not_found" };
		const saga = JSON.parse(row.saga) as SagaState<OrderSagaData>;
		const def = this.definitionOf(saga.version);
		const verdict = cancelVerdict(def, saga);
		if (verdict === "refused") return { result: "refused", order: this.viewOf(row) };
		if (verdict === "abort") {
			const decision = abortSaga(def, saga, "customer_cancelled", Date.now());
			this.commit(() => {
				this.record({ kind: "transition", name: "cancel-requested" }, { traceparent });
				if (decision) this.apply(decision, { id: null, traceparent });
			});
			await this.flush();
		}
		return { result: "accepted", order: this.viewOf(this.row() as OrderRow) };
	}

	/** The saga as a graph of its steps, for an operator; null for an unknown order. */
	async graph(): Promise<SagaGraph | null> {
		usage.objectRequest(this);
		const row = this.row();
		if (!row) return null;
		const saga = JSON.parse(row.saga) as StoredSagaState<OrderSagaData>;
		return sagaGraph(this.definitionOf(saga.version), saga);
	}

	/** An operator re-sends what the saga waits for now instead of at its deadlines (retryNow): recorded with who asked. */
	async retryNow(actor: string, traceparent: string): Promise<OperatorResult> {
		usage.objectRequest(this);
		const row = this.row();
		if (!row) return { result: "not_found" };
		const saga = JSON.parse(row.saga) as StoredSagaState<OrderSagaData>;
		const decision = retryNow(this.definitionOf(saga.version), saga, Date.now());
		if (!decision) return { result: "nothing_in_flight", order: this.viewOf(row) };
		this.operatorAction("retry-now", actor, traceparent || row.traceparent, decision);
		await this.flush();
		return { result: "done", order: this.viewOf(this.row() as OrderRow) };
	}

	/**
	 * An operator stops the saga and compensates it (one that needs attention, or any still before
	 * its pivot), failing it with `operator_cancelled`: recorded with who did it. Past the pivot
	 * nothing can be undone, so it is refused.
	 */
	async compensate(actor: string, traceparent: string): Promise<OperatorResult> {
		usage.objectRequest(this);
		const row = this.row();
		if (!row) return { result: "not_found" };
		const saga = JSON.parse(row.saga) as StoredSagaState<OrderSagaData>;
		const def = this.definitionOf(saga.version);
		const decision = abortSaga(def, saga, "operator_cancelled", Date.now());
		if (!decision) {
			const result = pastPivot(def, saga) ? "past_pivot" : "not_running";
			return { result, order: this.viewOf(row) };
		}
		this.operatorAction("compensate", actor, traceparent || row.traceparent, decision);
		await this.flush();
		return { result: "done", order: this.viewOf(this.row() as OrderRow) };
	}

	/** The operator's entry first, then what the engine decided, in one decision of the history. */
	private operatorAction(action: string, by: string, traceparent: string, decision: SagaDecision<OrderSagaData>) {
		this.commit(() => {
			this.record({ kind: "operator", name: action, detail: { by } }, { traceparent });
			this.apply(decision, { id: null, traceparent });
		});
	}

	/** A reply or carrier event from a queue (or one of the order's own commands an operator replays). */
	async handle(msg: Envelope): Promise<HandleResult> {
		return this.unlessNeverPlaced() ?? this.handleOnce(msg.id, () => this.decide(msg));
	}

	/** One of the order context's commands (from a return's saga), its replies answered to the caller. */
	async execute(msg: Envelope): Promise<HandleResult> {
		return this.unlessNeverPlaced() ?? this.handleOnce(msg.id, () => this.decide(msg), "return");
	}

	/** No order was ever placed here: a message has nothing to apply to, and no tables are made for it. */
	private unlessNeverPlaced(): HandleResult | null {
		if (this.created) return null;
		usage.objectRequest(this);
		return { outcome: IGNORED, replies: [] };
	}

	private returnHolds(): ReturnHoldRow[] {
		// An order being placed has none yet (nor, before its first write, the table).
		if (!this.created) return [];
		return this.sql
			.exec<ReturnHoldRow>("SELECT id, lines, amount, state, refunded FROM returns ORDER BY created_at, id")
			.toArray();
	}

	private returnsView() {
		const holds = this.returnHolds();
		return {
			returns: holds.map((r) => ({
				id: r.id,
				status: RETURN_VIEW_STATUS[r.state],
				lines: JSON.parse(r.lines) as ReturnLine[],
				refunded: r.refunded,
			})),
			refundedAmount: refundedTotal(holds),
		};
	}

	/** Whether these lines may be returned now, and what they refund; checked again, atomically, when the return's saga asks. */
	private returnVerdictOf(row: OrderRow, lines: ReturnLine[]): ReturnVerdict {
		const order = {
			status: this.viewOf(row).status,
			// Orders delivered before the column was added: their last change was the delivery.
			deliveredAt: row.delivered_at ?? (row.shipment === "delivered" ? row.updated_at : null),
			items: JSON.parse(row.items),
			returns: this.returnHolds().map((r) => ({ lines: JSON.parse(r.lines), state: r.state })),
		};
		return returnVerdict(order, lines, Number(this.env.RETURN_WINDOW_DAYS) * DAY_MS, Date.now());
	}

	/** A return asked for at the API: refused with the verdict's problem, or priced, before anything is stored. */
	async quoteReturn(lines: ReturnLine[]): Promise<ReturnQuote> {
		usage.objectRequest(this);
		const row = this.row();
		if (!row) return { result: "not_found" };
		const verdict = this.returnVerdictOf(row, lines);
		if (!verdict.ok) return { result: "refused", verdict };
		return {
			result: "ok",
			amount: verdict.amount,
			currency: row.currency,
			customerId: row.customer_id,
			address: JSON.parse(row.address),
		};
	}

	/**
	 * The order's commands from a return's saga: hold the units (each unit is held by one return at
	 * most), release them when the return fails, record them with the refund when it is done.
	 */
	private decideReturn(msg: Envelope, row: OrderRow): Staged[] {
		const reply = (type: string, payload: unknown): Staged[] => [this.answer(msg, type, payload)];
		const { orderId, returnId } = msg.payload as Payload<"order.release-return">;
		const ref = { orderId, returnId };
		const hold = this.returnHolds().find((r) => r.id === returnId);
		const now = new Date().toISOString();
		const refs = { messageId: msg.id, causationId: msg.causationId, traceparent: msg.traceparent };
		switch (msg.type) {
			case "order.authorize-return": {
				if (hold)
					return hold.state === "released"
						? reply("order.return-refused", { ...ref, reason: "return_released" })
						: reply("order.return-authorized", { ...ref, amount: hold.amount });
				const { lines } = msg.payload as Payload<"order.authorize-return">;
				const verdict = this.returnVerdictOf(row, lines);
				if (!verdict.ok) {
					this.record({ kind: "return", name: "return-refused", detail: { returnId, reason: verdict.code } }, refs);
					return reply("order.return-refused", { ...ref, reason: verdict.code, skus: verdict.skus });
				}
				this.sql.exec(
					"INSERT INTO returns (id, lines, amount, state, created_at, updated_at) VALUES (?, ?, ?, 'held', ?, ?)",
					returnId,
					JSON.stringify(lines),
					verdict.amount,
					now,
					now,
				);
				this.record({ kind: "return", name: "return-held", detail: { returnId, amount: verdict.amount } }, refs);
				return reply("order.return-authorized", { ...ref, amount: verdict.amount });
			}
			case "order.release-return": {
				if (hold?.state === "recorded")
					throw new Unapplicable(`return ${returnId}: refunded, its units cannot be released`);
				if (!hold)
					// A tombstone: an authorization arriving after its release must not hold anything.
					this.sql.exec(
						"INSERT INTO returns (id, lines, amount, state, created_at, updated_at) VALUES (?, '[]', 0, 'released', ?, ?)",
						returnId,
						now,
						now,
					);
				else if (hold.state === "held")
					this.sql.exec("UPDATE returns SET state = 'released', updated_at = ? WHERE id = ?", now, returnId);
				this.record({ kind: "return", name: "return-released", detail: { returnId } }, refs);
				return reply("order.return-released", ref);
			}
			case "order.record-return": {
				if (!hold || hold.state === "released")
					throw new Unapplicable(`return ${returnId}: no units held to record (${hold?.state ?? "none"})`);
				const { refunded } = msg.payload as Payload<"order.record-return">;
				if (hold.state === "held") {
					this.sql.exec(
						"UPDATE returns SET state = 'recorded', refunded = ?, updated_at = ? WHERE id = ?",
						refunded,
						now,
						returnId,
					);
					this.record({ kind: "return", name: "return-recorded", detail: { returnId, refunded } }, refs);
				}
				return reply("order.return-recorded", ref);
			}
			default:
				throw new Unapplicable(`the order does not handle ${msg.type}`);
		}
	}

	/** A reply that came back as the answer to a command this order sent by RPC. */
	protected override acceptReplies(replies: Envelope[]): void {
		const fresh = [...new Map(replies.map((r) => [r.id, r])).values()].flatMap((reply) => {
			if (isMessageType(reply.type)) return [{ ...reply, payload: parsePayload(reply.type, reply.payload) }];
			log.error(this.service, "message.unparsable-reply", { messageId: reply.id, type: reply.type });
			return [];
		});
		// Events (carrier events answering report-shipment, a decision answering report-review) apply
		// one at a time, as they would from the queue.
		const isEvent = (type: string) => isCarrierEvent(type) || type === REVIEWED;
		for (const event of fresh.filter((r) => isEvent(r.type))) this.decideOnce(event.id, () => this.decide(event));
		const sagaReplies = fresh.filter((r) => !isEvent(r.type));
		if (sagaReplies.length > 0) this.decideReplies(sagaReplies);
	}

	/** Replies answered together decide together: one journal row, one order row update, one outbox row, one timer. */
	private decideReplies(replies: Envelope[]): void {
		this.commit(() => {
			const row = this.row();
			if (!row) {
				for (const r of replies)
					this.record({ kind: "ignored", name: r.type, detail: { why: "unknown order" } }, { messageId: r.id });
				return;
			}
			let saga = JSON.parse(row.saga) as StoredSagaState<OrderSagaData>;
			const parts: [SagaDecision<OrderSagaData>, Cause][] = [];
			for (const reply of replies) {
				if (this.handledBefore(reply.id)) continue;
				if (this.addressedElsewhere(saga, reply.replyTo)) {
					const detail = { why: "addressed to another saga", replyTo: `${reply.replyTo?.kind}/${reply.replyTo?.id}` };
					this.record({ kind: "ignored", name: reply.type, detail }, { messageId: reply.id });
					continue;
				}
				const decision = this.decideOrderReply(saga, reply);
				parts.push([decision, { id: reply.id, traceparent: reply.traceparent }]);
				if (decision.log.every((l) => l.kind === "ignored")) continue;
				saga = decision.state;
				this.remember(reply.id, []);
			}
			this.applyAll(parts);
		});
	}

	private decide(msg: Envelope): Staged[] | Ignored {
		const refs = { messageId: msg.id, causationId: msg.causationId, traceparent: msg.traceparent };
		const row = this.row();
		if (!row) {
			this.record({ kind: "ignored", name: msg.type, detail: { why: "unknown order" } }, refs);
			return IGNORED;
		}
		if (ownerOf(msg.type) === this.service) return this.decideReturn(msg, row);
		if (isCarrierEvent(msg.type)) {
			const next = progressAfter(row.shipment, msg.type);
			if (next === row.shipment) {
				this.record({ kind: "ignored", name: msg.type, detail: { why: "the shipment is past this already" } }, refs);
				return IGNORED;
			}
			this.record({ kind: "event", name: msg.type }, refs);
			this.transition(() => {
				const now = new Date().toISOString();
				this.sql.exec(
					"UPDATE orders SET shipment = ?1, updated_at = ?2, delivered_at = iif(?1 = 'delivered', ?2, delivered_at)",
					next,
					now,
				);
			}, msg.traceparent);
			if (next === "delivered") this.clearTimer(CARRIER_WATCH);
			return [];
		}
		const saga = JSON.parse(row.saga) as StoredSagaState<OrderSagaData>;
		if (this.addressedElsewhere(saga, msg.replyTo)) {
			const detail = { why: "addressed to another saga", replyTo: `${msg.replyTo?.kind}/${msg.replyTo?.id}` };
			this.record({ kind: "ignored", name: msg.type, detail }, refs);
			return IGNORED;
		}
		// An event a step may wait for is correlated by the order's id; anything else answers a command.
		const decision = isAwaitedEvent(this.definitionOf(saga.version), msg.type)
			? creditReviewer(
					this.decideEvent(saga, { id: msg.id, type: msg.type, key: msg.correlationId, payload: msg.payload }),
					msg.payload,
				)
			: this.decideOrderReply(saga, msg);
		this.apply(decision, { id: msg.id, traceparent: msg.traceparent });
		return decision.log.every((l) => l.kind === "ignored") ? IGNORED : [];
	}

	/**
	 * The engine's decision on a reply, and what the order keeps of a stock refusal: the SKUs it
	 * names, in the history entry and in the order (every line's refusal counts, also those that
	 * arrive after the first has failed the saga). Inside the reply's transaction.
	 */
	private decideOrderReply(saga: StoredSagaState<OrderSagaData>, reply: Envelope): SagaDecision<OrderSagaData> {
		// A review decision that came before the payment was held is applied now: its entry names who decided.
		const early = "early" in saga ? saga.early?.find((e) => e.type === "billing.payment-reviewed") : undefined;
		const decision = creditReviewer(
			this.decideReply(saga, { type: reply.type, causationId: reply.causationId, payload: reply.payload }),
			early?.payload,
		);
		if (reply.type !== "inventory.stock-rejected") return decision;
		const { skus } = reply.payload as Payload<"inventory.stock-rejected">;
		if (skus.length === 0) return decision;
		const known = JSON.parse(this.row()?.short_skus ?? "[]") as string[];
		this.sql.exec("UPDATE orders SET short_skus = ?", JSON.stringify([...new Set([...known, ...skus])].sort()));
		const log = decision.log.map((l) => (l.name === reply.type ? { ...l, detail: { ...l.detail, skus } } : l));
		return { ...decision, log };
	}

	protected onTimer(timer: Timer, now: number): void {
		const row = this.row();
		if (!row) return;
		if (timer.key === CARRIER_WATCH) {
			this.askForCarrierEvents(row, (timer.payload as { attempt: number }).attempt, now);
			return;
		}
		if (timer.key === REVIEW_WATCH) {
			this.askForReview(row, (timer.payload as { attempt: number }).attempt, now);
			return;
		}
		const repeat = this.newsToRepeat(timer);
		if (repeat !== null) {
			// Everything the order has told, again (status events under their own ids): consumers keep what they already had.
			this.publishSummary(this.viewOf(row), row.traceparent, null, repeat);
			return;
		}
		if (timer.key !== SAGA_TIMER) return;
		const saga = JSON.parse(row.saga) as StoredSagaState<OrderSagaData>;
		this.apply(this.decideDeadline(saga, now), { id: null, traceparent: row.traceparent });
	}

	/**
	 * Carrier events are fire-and-forget on at-least-once queues and can be lost (a local runtime
	 * restart loses what is in flight). Until the order is delivered, it asks the shipment to send
	 * them again, with growing intervals; the events keep their ids, so only what was missed applies.
	 */
	private askForCarrierEvents(row: OrderRow, attempt: number, now: number) {
		if (row.shipment === "delivered") return;
		const id = `${row.id}.report-shipment.${attempt}`;
		const command = envelope(
			{ id, type: "shipping.report-shipment", payload: { orderId: row.id } },
			{
				source: this.service,
				correlationId: row.id,
				causationId: null,
				traceparent: row.traceparent,
				now: new Date(now),
			},
		);
		this.stage(commandRoute("shipping.report-shipment"), command);
		this.record(
			{ kind: "command", name: "shipping.report-shipment", detail: { attempt } },
			{ messageId: id, traceparent: row.traceparent },
		);
		// The next watch counts from now, twice as long (stateTimers).
		this.sql.exec("UPDATE orders SET carrier_asks = ?, carrier_watch_from = ?", attempt, now);
	}

	/**
	 * The saga's deadline, and the carrier watch: once the saga has completed and until the order is
	 * delivered, CARRIER_WATCH_MS after completion, then twice that after each ask (up to
	 * MAX_WATCH_MS). Both are kept in the order's row, which the decisions that move them write anyway.
	 */
	protected override stateTimers(): Timer[] {
		const row = this.row();
		if (!row) return [];
		const timers = this.deadlineOf(JSON.parse(row.saga) as SagaState<OrderSagaData>);
		if (row.carrier_watch_from !== null && row.shipment !== "delivered") {
			const attempt = row.carrier_asks + 1;
			const wait = Math.min(Number(this.env.CARRIER_WATCH_MS) * 2 ** (attempt - 1), MAX_WATCH_MS);
			timers.push({ key: CARRIER_WATCH, dueAt: row.carrier_watch_from + wait, payload: { attempt } });
		}
		return timers;
	}

	/**
	 * A reviewer's decision travels as an event on a queue and can be lost like a carrier event. While
	 * the saga waits for it, the order asks billing now and then to tell it again (under its first id,
	 * so it applies once); without this a lost decision would be waited for until the wait ends.
	 */
	private askForReview(row: OrderRow, attempt: number, now: number) {
		const saga = JSON.parse(row.saga) as StoredSagaState<OrderSagaData>;
		if (sagaWaitingFor(this.definitionOf(saga.version), saga)?.event !== REVIEWED) return;
		const id = `${row.id}.report-review.${attempt}`;
		const command = envelope(
			{ id, type: "billing.report-review", payload: { orderId: row.id } },
			{
				source: this.service,
				correlationId: row.id,
				causationId: null,
				traceparent: row.traceparent,
				now: new Date(now),
			},
		);
		this.stage(commandRoute("billing.report-review"), command);
		this.record(
			{ kind: "command", name: "billing.report-review", detail: { attempt } },
			{ messageId: id, traceparent: row.traceparent },
		);
		this.watchReview(attempt + 1, now);
	}

	private watchReview(attempt: number, now: number) {
		const wait = Math.min(setting(this.env, "REVIEW_WATCH_MS", 15_000) * 2 ** (attempt - 1), MAX_WATCH_MS);
		this.setTimer(REVIEW_WATCH, now + wait, { attempt });
	}

	/** Saves a saga decision: state, history, outgoing commands, deadline, and the status transition it causes. */
	private apply(decision: SagaDecision<OrderSagaData>, cause: Cause) {
		this.applyAll([[decision, cause]]);
	}

	/** Saves decisions made one after another, and the status transition they cause together. */
	private applyAll(parts: [SagaDecision<OrderSagaData>, Cause][]) {
		const last = parts.filter(([d]) => !d.log.every((l) => l.kind === "ignored")).at(-1);
		if (!last) {
			this.persistDecisions(parts);
			return;
		}
		const [, cause] = last;
		this.transition(() => {
			this.persistDecisions(parts);
			const waitBegun = parts.some(([d]) =>
				d.log.some((l) => l.kind === "transition" && l.name === "waiting" && l.detail?.event === REVIEWED),
			);
			if (waitBegun) this.watchReview(1, Date.now());
		}, cause.traceparent);
	}

	protected savedSaga(): SagaState<OrderSagaData> | null {
		const row = this.row();
		return row ? (JSON.parse(row.saga) as SagaState<OrderSagaData>) : null;
	}

	protected saveSaga(state: SagaState<OrderSagaData>): void {
		// The state the order was created with is not written twice.
		const saga = JSON.stringify(state);
		const now = Date.now();
		const updatedAt = new Date(now).toISOString();
		// While the placement waits on its first pass, each save also rewrites the answer it will give
		// (and a repeat of it replays), in the same write: the order as it stands when the pass ends.
		const answer = this.answering ? this.answerWith(saga, updatedAt) : null;
		// A completed saga starts the carrier watch (stateTimers) in the same write.
		this.sql.exec(
			`UPDATE orders SET saga = ?1, updated_at = ?2,
			 carrier_watch_from = iif(?3 AND carrier_watch_from IS NULL, ?4, carrier_watch_from),
			 first_response = coalesce(?5, first_response) WHERE saga IS NOT ?1`,
			saga,
			updatedAt,
			state.phase === "completed" ? 1 : 0,
			now,
			answer,
		);
	}

	/** The placement's answer as it will read once the saga state `saga` is saved; null if that changes nothing. */
	private answerWith(saga: string, updatedAt: string): string | null {
		const row = this.row() as OrderRow;
		return row.saga === saga ? null : JSON.stringify(this.viewOf({ ...row, saga, updated_at: updatedAt }));
	}

	/** Runs a change (which sets updated_at with it) and records the order's status transition if it moved. */
	private transition(change: () => void, traceparent: string) {
		const before = this.viewOf(this.row() as OrderRow);
		change();
		const after = this.viewOf(this.row() as OrderRow);
		if (after.status !== before.status) {
			this.record(
				{
					kind: "transition",
					name: `status:${after.status}`,
					detail: after.failureReason ? { reason: after.failureReason } : undefined,
				},
				{ traceparent },
			);
		}
		if (summaryKey(after) !== summaryKey(before)) this.publishSummary(after, traceparent, before.status);
	}

	/**
	 * Publishes what a change of the order means (a domain event per status reached; otherwise a
	 * summary change for the read model) through the outbox, onto one queue per consumer. Each
	 * carries the summary and the decision's revision, so a consumer drops older news that arrives late.
	 * `repeat` is the revision of news told again by the news watch.
	 */
	private publishSummary(view: OrderView, traceparent: string, before: OrderStatus | null = null, repeat?: number) {
		const revision = repeat ?? this.decisionNumber();
		const payload: Payload<"order.summary-changed"> = {
			orderId: view.id,
			revision,
			status: view.status,
			phase: view.saga.phase,
			needsAttention: view.saga.needsAttention,
			customerId: view.customerId,
			total: view.total,
			currency: view.currency,
			failureReason: view.failureReason ?? null,
			createdAt: view.createdAt,
			updatedAt: view.updatedAt,
			sagaVersion: view.saga.version,
		};
		// A cancel may come without a trace of its own: its news stays in the order's trace.
		const parent = parseTraceparent(traceparent) ?? parseTraceparent(this.row()?.traceparent);
		for (const type of newsOf(before, view.status)) {
			// A status is reached once: its event's id is the order's and the type's, so a repeat is recognisable.
			const id = type === "order.summary-changed" ? `${view.id}.summary.${revision}` : `${view.id}.${type}`;
			const event = envelope(
				{ id, type, payload },
				{
					source: this.service,
					correlationId: view.id,
					causationId: null,
					traceparent: formatTraceparent(childSpan(parent)),
					now: new Date(),
				},
			);
			for (const route of eventRoutes(type, view.id)) this.stage(route.producer, event, route.newest);
		}
		if (repeat === undefined) this.watchNews(Number(this.env.NEWS_REPUBLISH_MS));
	}

	protected decidedFields() {
		return { orderId: this.row()?.id };
	}
}
