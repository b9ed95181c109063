import {
	type HandleOutcome,
	type HandleResult,
	MessagingObject,
	type Staged,
	Unapplicable,
} from "../../../shared/durable/messaging-object";
import { type Envelope, envelope } from "../../../shared/envelope";
import type { Payload } from "../../../shared/messages";
import { childSpan, formatTraceparent, parseTraceparent } from "../../../shared/observability/trace";
import { usage } from "../../../shared/observability/usage";
import { shardFor } from "../../../shared/topology";
import {
	authorizationIdFor,
	authorizationOutcome,
	authorizationReply,
	invoiceable,
	invoiceIdFor,
	type PaymentStatus,
	type ReviewDecision,
	refundVerdict,
	reviewVerdict,
} from "./domain/payment";

/** A decision is published under one id however often it is told, so the order applies it once. */
const reviewedEventId = (orderId: string) => `${orderId}.payment-reviewed`;

const MIGRATIONS = [
	`CREATE TABLE payment (order_id TEXT PRIMARY KEY, status TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL,
		invoice_id TEXT, authorizations INTEGER NOT NULL DEFAULT 0, captures INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL);`,
	// Invoices issued, counted like authorizations and captures, so a second one would show.
	"ALTER TABLE payment ADD COLUMN invoices INTEGER NOT NULL DEFAULT 0;",
	// The authorization's id (named by capture and void), and a reviewer's decision on a held payment.
	`ALTER TABLE payment ADD COLUMN authorization_id TEXT;
	ALTER TABLE payment ADD COLUMN review_decision TEXT;`,
	// Who made the review decision, published with it again when it is asked again.
	"ALTER TABLE payment ADD COLUMN reviewed_by TEXT;",
	// Refunds of the order's returns, one per return: their sum never exceeds what was captured.
	"CREATE TABLE refunds (return_id TEXT PRIMARY KEY, amount INTEGER NOT NULL, created_at INTEGER NOT NULL);",
];

/** The tables the migrations end in, as a fresh order's payment creates them. */
const CURRENT = `CREATE TABLE payment (order_id TEXT PRIMARY KEY, status TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL,
		invoice_id TEXT, authorizations INTEGER NOT NULL DEFAULT 0, captures INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL,
		invoices INTEGER NOT NULL DEFAULT 0, authorization_id TEXT, review_decision TEXT, reviewed_by TEXT) WITHOUT ROWID;
	CREATE TABLE refunds (return_id TEXT PRIMARY KEY, amount INTEGER NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;`;

type PaymentRow = {
	order_id: string;
	status: PaymentStatus;
	amount: number;
	currency: string;
	invoice_id: string | null;
	authorizations: number;
	captures: number;
	invoices: number;
	authorization_id: string | null;
	review_decision: ReviewDecision | null;
	reviewed_by: string | null;
};

export interface ReviewResult {
	result: "decided" | "same" | "conflict" | "not_found" | "not_under_review";
	review?: Payload<"billing.payment-reviewed">;
}

/** One order's payment: authorized at most once, captured at most once, voided only while not captured. */
export class Payments extends MessagingObject<BillingEnv> {
	protected readonly service = "billing";

	constructor(ctx: DurableObjectState, env: BillingEnv) {
		super(ctx, env, MIGRATIONS, CURRENT);
	}

	private row(): PaymentRow | undefined {
		return this.sql.exec<PaymentRow>("SELECT * FROM payment").toArray()[0];
	}

	async view() {
		const row = this.row();
		if (!row) return null;
		return {
			orderId: row.order_id,
			status: row.status,
			amount: row.amount,
			currency: row.currency,
			...(row.invoice_id ? { invoiceId: row.invoice_id } : {}),
			...(row.authorization_id ? { authorizationId: row.authorization_id } : {}),
			...(row.review_decision ? { review: row.review_decision } : {}),
			authorizations: row.authorizations,
			captures: row.captures,
			invoices: row.invoices,
			refunded: this.refunded(),
			refunds: this.sql
				.exec<{ return_id: string; amount: number }>(
					"SELECT return_id, amount FROM refunds ORDER BY created_at, return_id",
				)
				.toArray()
				.map((r) => ({ returnId: r.return_id, amount: r.amount })),
		};
	}

	async handle(msg: Envelope): Promise<HandleOutcome> {
		return this.handleOnce(msg.id, () => this.decide(msg));
	}

	/** An order's domain event (the invoice is issued from `order.confirmed`): it answers nothing. */
	async handleEvent(msg: Envelope): Promise<HandleOutcome> {
		const { outcome, reason } = await this.handleOnce(msg.id, () => this.issueInvoice(msg));
		return reason ? { outcome, reason } : { outcome };
	}

	/** The same command, answered to the caller instead of the order-events queue (for callers that orchestrate over RPC). */
	async execute(msg: Envelope): Promise<HandleResult> {
		return this.handleOnce(msg.id, () => this.decide(msg), "return");
	}

	private save(orderId: string, status: PaymentStatus, patch: { amount?: number; currency?: string } = {}) {
		this.sql.exec(
			`INSERT INTO payment (order_id, status, amount, currency, updated_at) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT(order_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
			orderId,
			status,
			patch.amount ?? 0,
			patch.currency ?? "EUR",
			Date.now(),
		);
	}

	private decide(msg: Envelope): Staged[] {
		const reply = (type: string, payload: unknown): Staged[] => [this.answer(msg, type, payload)];
		const row = this.row();
		switch (msg.type) {
			case "billing.authorize-payment": {
				const { orderId, amount, currency, paymentToken } = msg.payload as Payload<"billing.authorize-payment">;
				if (row) {
					const again = authorizationReply(row.status);
					const authorizationId = row.authorization_id ?? undefined;
					return reply(again.type, { orderId, amount: row.amount, reason: again.reason, authorizationId });
				}
				const outcome = authorizationOutcome(paymentToken);
				if (outcome === "declined") {
					this.save(orderId, "declined", { amount, currency });
					return reply("billing.payment-declined", { orderId, reason: "payment_declined" });
				}
				if (outcome === "review") {
					// Held until a reviewer decides (review()); the saga waits for that decision, not this reply.
					this.save(orderId, "reviewing", { amount, currency });
					return reply("billing.payment-held", { orderId, reason: "review" });
				}
				this.save(orderId, "authorized", { amount, currency });
				const authorizationId = this.authorize(orderId);
				return reply("billing.payment-authorized", { orderId, amount, authorizationId });
			}
			case "billing.void-payment": {
				const { orderId, authorizationId } = msg.payload as Payload<"billing.void-payment">;
				if (row?.status === "captured") throw new Unapplicable(`order ${orderId}: a captured payment cannot be voided`);
				this.requireAuthorization(row, authorizationId);
				if (!row || row.status === "authorized" || row.status === "reviewing") this.save(orderId, "voided");
				return reply("billing.payment-voided", { orderId });
			}
			case "billing.capture-payment": {
				const { orderId, authorizationId } = msg.payload as Payload<"billing.capture-payment">;
				this.requireAuthorization(row, authorizationId);
				if (row?.status === "authorized") {
					this.sql.exec("UPDATE payment SET status = 'captured', captures = captures + 1, updated_at = ?", Date.now());
				} else if (row?.status !== "captured") {
					throw new Unapplicable(`order ${orderId}: no authorization to capture (${row?.status ?? "none"})`);
				}
				const amount = row.amount;
				return reply("billing.payment-captured", { orderId, amount });
			}
			case "billing.report-review": {
				// The decision again under its first id, so an order applies it only if it missed it; nothing before one is made.
				const { orderId } = msg.payload as Payload<"billing.report-review">;
				if (!row?.review_decision) return [];
				return [this.answer(msg, "billing.payment-reviewed", this.reviewed(orderId, row), reviewedEventId(orderId))];
			}
			case "billing.refund-payment": {
				const { orderId, returnId, amount } = msg.payload as Payload<"billing.refund-payment">;
				const ref = { orderId, returnId };
				const done = this.sql
					.exec<{ amount: number }>("SELECT amount FROM refunds WHERE return_id = ?", returnId)
					.toArray()[0];
				if (done)
					return reply("billing.payment-refunded", { ...ref, amount: done.amount, refundedTotal: this.refunded() });
				const verdict = refundVerdict(row?.status, row?.amount ?? 0, this.refunded(), amount);
				if (verdict !== "refund") return reply("billing.refund-refused", { ...ref, reason: verdict });
				this.sql.exec(
					"INSERT INTO refunds (return_id, amount, created_at) VALUES (?, ?, ?)",
					returnId,
					amount,
					Date.now(),
				);
				return reply("billing.payment-refunded", { ...ref, amount, refundedTotal: this.refunded() });
			}
			default:
				throw new Unapplicable(`billing does not handle ${msg.type}`);
		}
	}

	private reviewed(orderId: string, row: PaymentRow): Payload<"billing.payment-reviewed"> {
		return {
			orderId,
			decision: row.review_decision as ReviewDecision,
			...(row.authorization_id ? { authorizationId: row.authorization_id } : {}),
			...(row.reviewed_by ? { by: row.reviewed_by } : {}),
		};
	}

	/** Issues the invoice of a confirmed order once, whether its payment is captured yet or not. */
	private issueInvoice(msg: Envelope): Staged[] {
		const { orderId } = msg.payload as Payload<"order.confirmed">;
		const row = this.row();
		if (msg.type !== "order.confirmed") throw new Unapplicable(`billing does not take ${msg.type}`);
		if (!row || !invoiceable(row.status))
			throw new Unapplicable(`order ${orderId}: confirmed, but its payment is ${row?.status ?? "unknown"}`);
		if (row.invoice_id === null)
			this.sql.exec(
				"UPDATE payment SET invoice_id = ?, invoices = invoices + 1, updated_at = ?",
				invoiceIdFor(orderId),
				Date.now(),
			);
		return [];
	}

	private refunded(): number {
		return this.sql.exec<{ total: number | null }>("SELECT SUM(amount) AS total FROM refunds").one().total ?? 0;
	}

	/** Counts the authorization and gives it its id; call with the payment saved as authorized. */
	private authorize(orderId: string): string {
		const authorizationId = authorizationIdFor(orderId);
		this.sql.exec(
			"UPDATE payment SET authorizations = authorizations + 1, authorization_id = ?, updated_at = ?",
			authorizationId,
			Date.now(),
		);
		return authorizationId;
	}

	/** A command naming an authorization must name this payment's: another one is a mistake that must not move money. */
	private requireAuthorization(row: PaymentRow | undefined, authorizationId: string | undefined) {
		if (authorizationId !== undefined && row?.authorization_id !== authorizationId)
			throw new Unapplicable(
				`authorization ${authorizationId} is not this payment's (${row?.authorization_id ?? "none"})`,
			);
	}

	/**
	 * A reviewer decides a payment held for review, once: approve authorizes it, decline declines it.
	 * The decision is published to the order (`billing.payment-reviewed` on order-events, with an id
	 * of its own) in the transaction that makes it; asking again with the same decision publishes it
	 * again under the same id (the order's inbox drops a repeat) and answers the same.
	 */
	async review(orderId: string, decision: ReviewDecision, by: string, traceparent: string): Promise<ReviewResult> {
		usage.count("doRequests");
		const row = this.row();
		if (!row) return { result: "not_found" };
		const verdict = reviewVerdict(row.status, row.review_decision, decision);
		if (verdict === "conflict" || verdict === "not_under_review") return { result: verdict };
		const review = this.commit(() => {
			if (verdict === "decide") {
				this.sql.exec(
					"UPDATE payment SET review_decision = ?, reviewed_by = ?, updated_at = ?",
					decision,
					by,
					Date.now(),
				);
				if (decision === "approve") {
					this.save(orderId, "authorized");
					this.authorize(orderId);
				} else this.save(orderId, "declined");
			}
			const payload = this.reviewed(orderId, this.row() as PaymentRow);
			const event = envelope(
				{ id: reviewedEventId(orderId), type: "billing.payment-reviewed", payload },
				{
					source: this.service,
					correlationId: orderId,
					causationId: null,
					traceparent: formatTraceparent(childSpan(parseTraceparent(traceparent))),
					now: new Date(),
				},
			);
			this.stage(shardFor("order-events", orderId).producer, event);
			return payload;
		});
		await this.flush();
		return { result: verdict === "decide" ? "decided" : "same", review };
	}

	protected onTimer(): void {}
}
