import {
	type HandleOutcome,
	type HandleResult,
	MessagingObject,
	type Staged,
	type Timer,
	Unapplicable,
} from "../../../shared/durable/messaging-object";
import { causedBy, type Envelope } from "../../../shared/envelope";
import type { Payload } from "../../../shared/messages";
import {
	authorizationOutcome,
	authorizationReply,
	invoiceable,
	invoiceIdFor,
	type PaymentStatus,
} from "./domain/payment";

const MIGRATIONS = [
	`CREATE TABLE payment (order_id TEXT PRIMARY KEY, status TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL,
		invoice_id TEXT, authorizations INTEGER NOT NULL DEFAULT 0, captures INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL);`,
	// Invoices issued, counted like authorizations and captures, so a second one would show.
	"ALTER TABLE payment ADD COLUMN invoices INTEGER NOT NULL DEFAULT 0;",
];

type PaymentRow = {
	order_id: string;
	status: PaymentStatus;
	amount: number;
	currency: string;
	invoice_id: string | null;
	authorizations: number;
	captures: number;
	invoices: number;
};

/** One order's payment: authorized at most once, captured at most once, voided only while not captured. */
export class Payments extends MessagingObject<BillingEnv> {
	protected readonly service = "billing";

	constructor(ctx: DurableObjectState, env: BillingEnv) {
		super(ctx, env, MIGRATIONS);
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
			authorizations: row.authorizations,
			captures: row.captures,
			invoices: row.invoices,
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
		const reply = (type: string, payload: unknown): Staged[] => [
			{ queue: "ORDER_EVENTS", message: causedBy(msg, this.service, type, payload) },
		];
		const row = this.row();
		switch (msg.type) {
			case "billing.authorize-payment": {
				const { orderId, amount, currency, paymentToken } = msg.payload as Payload<"billing.authorize-payment">;
				if (row) {
					const again = authorizationReply(row.status);
					return again ? reply(again.type, { orderId, amount: row.amount, reason: again.reason }) : [];
				}
				const outcome = authorizationOutcome(paymentToken);
				if (outcome === "declined") {
					this.save(orderId, "declined", { amount, currency });
					return reply("billing.payment-declined", { orderId, reason: "payment_declined" });
				}
				if (outcome === "review") {
					this.save(orderId, "reviewing", { amount, currency });
					this.setTimer("review", Date.now() + Number(this.env.PAYMENT_REVIEW_MS), msg);
					return [];
				}
				this.save(orderId, "authorized", { amount, currency });
				this.sql.exec("UPDATE payment SET authorizations = authorizations + 1");
				return reply("billing.payment-authorized", { orderId, amount });
			}
			case "billing.void-payment": {
				const { orderId } = msg.payload as Payload<"billing.void-payment">;
				if (row?.status === "captured") throw new Unapplicable(`order ${orderId}: a captured payment cannot be voided`);
				if (!row || row.status === "authorized" || row.status === "reviewing") {
					this.clearTimer("review");
					this.save(orderId, "voided");
				}
				return reply("billing.payment-voided", { orderId });
			}
			case "billing.capture-payment": {
				const { orderId } = msg.payload as Payload<"billing.capture-payment">;
				if (row?.status === "authorized") {
					this.sql.exec("UPDATE payment SET status = 'captured', captures = captures + 1, updated_at = ?", Date.now());
				} else if (row?.status !== "captured") {
					throw new Unapplicable(`order ${orderId}: no authorization to capture (${row?.status ?? "none"})`);
				}
				const amount = row.amount;
				return reply("billing.payment-captured", { orderId, amount });
			}
			default:
				throw new Unapplicable(`billing does not handle ${msg.type}`);
		}
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

	/** The manual review is over: authorize, unless the payment was voided meanwhile (then the timer is gone). */
	protected onTimer(timer: Timer): void {
		const cause = timer.payload as Envelope;
		const row = this.row();
		if (timer.key !== "review" || row?.status !== "reviewing") return;
		this.sql.exec(
			"UPDATE payment SET status = 'authorized', authorizations = authorizations + 1, updated_at = ?",
			Date.now(),
		);
		this.recordLateReplies(cause.id, [
			{
				queue: "ORDER_EVENTS",
				message: causedBy(cause, this.service, "billing.payment-authorized", {
					orderId: row.order_id,
					amount: row.amount,
				}),
			},
		]);
	}
}
