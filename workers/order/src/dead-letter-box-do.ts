import { SqlObject } from "../../../shared/durable/sql-object";
import { log } from "../../../shared/observability/log";
import { usage } from "../../../shared/observability/usage";
import type { DeadLetter } from "../../../shared/queue/consume";
import { setting } from "../../../shared/settings";

/** How many letters are kept when DEAD_LETTER_LIMIT is not set. */
export const DEFAULT_DEAD_LETTER_LIMIT = 10_000;
/** The most letters one batch trims, so a lowered limit is reached over a few batches, never in one long transaction. */
const TRIM_CHUNK = 500;

const MIGRATIONS = [
	`CREATE TABLE letters (id TEXT PRIMARY KEY, queue TEXT NOT NULL, reason TEXT NOT NULL, attempts INTEGER NOT NULL,
		type TEXT, message_id TEXT, order_id TEXT, service TEXT, body TEXT NOT NULL, received_at TEXT NOT NULL,
		deliveries INTEGER NOT NULL DEFAULT 1, replayed_at TEXT);`,
];

type Row = {
	id: string;
	queue: string;
	reason: string;
	attempts: number;
	type: string | null;
	message_id: string | null;
	order_id: string | null;
	service: string | null;
	body: string;
	received_at: string;
	deliveries: number;
	replayed_at: string | null;
};

/** What arrives on a dead-letter queue: a letter our consumers forwarded with its reason, or a message the platform gave up on. */
export interface Arrival {
	deadLetterQueue: string;
	originQueue: string;
	deliveryId: string;
	body: unknown;
}

function describe(arrival: Arrival): Omit<Row, "received_at" | "deliveries" | "replayed_at"> {
	const letter = arrival.body as Partial<DeadLetter>;
	const forwarded = typeof letter?.reason === "string" && "body" in (letter as object);
	const message = (forwarded ? letter.body : arrival.body) as Record<string, unknown> | null;
	const messageId = typeof message?.id === "string" ? message.id : null;
	return {
		// One entry per message and queue, however often it is dead-lettered.
		id: `${arrival.originQueue}:${messageId ?? arrival.deliveryId}`,
		queue: arrival.originQueue,
		reason: forwarded ? (letter.reason as string) : "retries exhausted",
		attempts: forwarded ? (letter.attempts ?? 0) : 0,
		type: typeof message?.type === "string" ? message.type : null,
		message_id: messageId,
		order_id: typeof message?.correlationId === "string" ? message.correlationId : null,
		service: forwarded ? (letter.service ?? null) : null,
		body: JSON.stringify(message),
	};
}

/**
 * Dead letters, kept visible and replayable, at most DEAD_LETTER_LIMIT of them. Over the limit the
 * oldest replayed letters go first; only when none is left does the oldest letter not yet replayed
 * go, and each of those is logged as an error naming the message, so a flood of poison messages
 * cannot grow the box without bound and no letter leaves unseen.
 */
export class DeadLetterBox extends SqlObject<OrderEnv> {
	constructor(ctx: DurableObjectState, env: OrderEnv) {
		super(ctx, env, MIGRATIONS);
	}

	async keep(arrivals: Arrival[]): Promise<void> {
		usage.objectRequest(this);
		this.ctx.storage.transactionSync(() => {
			for (const a of arrivals) {
				const d = describe(a);
				this.sql.exec(
					`INSERT INTO letters (id, queue, reason, attempts, type, message_id, order_id, service, body, received_at)
					 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET deliveries = deliveries + 1`,
					d.id,
					d.queue,
					d.reason,
					d.attempts,
					d.type,
					d.message_id,
					d.order_id,
					d.service,
					d.body,
					new Date().toISOString(),
				);
			}
			this.trim();
		});
	}

	private trim() {
		const limit = setting(this.env, "DEAD_LETTER_LIMIT", DEFAULT_DEAD_LETTER_LIMIT);
		const over = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM letters").one().n - limit;
		if (over <= 0) return;
		const leaving = this.sql
			.exec<Row>(
				"SELECT * FROM letters ORDER BY replayed_at IS NULL, received_at, id LIMIT ?",
				Math.min(over, TRIM_CHUNK),
			)
			.toArray();
		for (const r of leaving) {
			this.sql.exec("DELETE FROM letters WHERE id = ?", r.id);
			// Its identity, not its body: a payload may carry a payment token.
			if (!r.replayed_at)
				log.error("order", "dead-letter.dropped-unreplayed", {
					letterId: r.id,
					queue: r.queue,
					reason: r.reason,
					type: r.type,
					messageId: r.message_id ?? undefined,
					orderId: r.order_id ?? undefined,
					receivedAt: r.received_at,
					limit,
				});
		}
	}

	private view(r: Row) {
		return {
			id: r.id,
			queue: r.queue,
			reason: r.reason,
			attempts: r.attempts,
			type: r.type,
			messageId: r.message_id,
			orderId: r.order_id,
			service: r.service,
			receivedAt: r.received_at,
			deliveries: r.deliveries,
			replayedAt: r.replayed_at,
			payloadSummary: r.body.length > 200 ? `${r.body.slice(0, 200)}…` : r.body,
		};
	}

	async list(limit = 100) {
		return this.sql
			.exec<Row>("SELECT * FROM letters ORDER BY received_at DESC LIMIT ?", limit)
			.toArray()
			.map((r) => this.view(r));
	}

	/** Marks a letter replayed and returns its message; a letter already replayed is not sent again. */
	async takeForReplay(id: string): Promise<{
		found: boolean;
		alreadyReplayed: boolean;
		queue?: string;
		message?: string;
		letter?: ReturnType<DeadLetterBox["view"]>;
	}> {
		usage.objectRequest(this);
		const row = this.sql.exec<Row>("SELECT * FROM letters WHERE id = ?", id).toArray()[0];
		if (!row) return { found: false, alreadyReplayed: false };
		if (row.replayed_at) return { found: true, alreadyReplayed: true, letter: this.view(row) };
		this.sql.exec("UPDATE letters SET replayed_at = ? WHERE id = ?", new Date().toISOString(), id);
		const updated = this.sql.exec<Row>("SELECT * FROM letters WHERE id = ?", id).one();
		return { found: true, alreadyReplayed: false, queue: row.queue, message: row.body, letter: this.view(updated) };
	}

	/** Undoes takeForReplay when the message could not be sent. */
	async replayFailed(id: string): Promise<void> {
		this.sql.exec("UPDATE letters SET replayed_at = NULL WHERE id = ?", id);
	}
}
