import type { RedriveFilter } from "../../../shared/api";
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
	"ALTER TABLE letters ADD COLUMN replayed_by TEXT;",
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
	replayed_by: string | null;
};

/** What arrives on a dead-letter queue: a letter our consumers forwarded with its reason, or a message the platform gave up on. */
export interface Arrival {
	deadLetterQueue: string;
	originQueue: string;
	deliveryId: string;
	body: unknown;
}

function describe(arrival: Arrival): Omit<Row, "received_at" | "deliveries" | "replayed_at" | "replayed_by"> {
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
			replayedBy: r.replayed_by,
			payloadSummary: r.body.length > 200 ? `${r.body.slice(0, 200)}…` : r.body,
		};
	}

	async list(limit = 100) {
		return this.sql
			.exec<Row>("SELECT * FROM letters ORDER BY received_at DESC LIMIT ?", limit)
			.toArray()
			.map((r) => this.view(r));
	}

	/** Marks a letter replayed by `actor` and returns its message; a letter already replayed is not sent again. */
	async takeForReplay(
		id: string,
		actor: string,
	): Promise<{
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
		this.markReplayed([id], actor);
		const updated = this.sql.exec<Row>("SELECT * FROM letters WHERE id = ?", id).one();
		return { found: true, alreadyReplayed: false, queue: row.queue, message: row.body, letter: this.view(updated) };
	}

	/**
	 * Marks the oldest letters not yet replayed that match `filter` (and sit on one of `queues`, those
	 * the caller can send to) as replayed by `actor`, and returns them to be sent: a redrive in bulk.
	 */
	async takeForRedrive(filter: RedriveFilter, queues: string[], actor: string) {
		usage.objectRequest(this);
		const where = ["replayed_at IS NULL", `queue IN (${queues.map(() => "?").join(",")})`];
		const args: (string | number)[] = [...queues];
		const match = (column: string, op: string, value: string | undefined) => {
			if (value === undefined) return;
			where.push(`${column} ${op} ?`);
			args.push(value);
		};
		match("queue", "=", filter.queue);
		match("type", "=", filter.type);
		match("reason", "=", filter.reason);
		match("order_id", "=", filter.orderId);
		match("received_at", "<", filter.receivedBefore && new Date(filter.receivedBefore).toISOString());
		const rows = this.sql
			.exec<Row>(
				`SELECT * FROM letters WHERE ${where.join(" AND ")} ORDER BY received_at, id LIMIT ?`,
				...args,
				filter.limit,
			)
			.toArray();
		this.markReplayed(
			rows.map((r) => r.id),
			actor,
		);
		return rows.map((r) => ({ id: r.id, queue: r.queue, message: r.body }));
	}

	private markReplayed(ids: string[], actor: string) {
		const at = new Date().toISOString();
		this.ctx.storage.transactionSync(() => {
			for (const id of ids)
				this.sql.exec("UPDATE letters SET replayed_at = ?, replayed_by = ? WHERE id = ?", at, actor, id);
		});
	}

	/** Undoes takeForReplay / takeForRedrive for the letters that could not be sent. */
	async replayFailed(ids: string[]): Promise<void> {
		this.ctx.storage.transactionSync(() => {
			for (const id of ids) this.sql.exec("UPDATE letters SET replayed_at = NULL, replayed_by = NULL WHERE id = ?", id);
		});
	}
}
