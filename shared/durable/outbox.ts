import type { CommandService } from "../commands";
import type { Envelope } from "../envelope";
import { copiesOf, faultPlan } from "../faults";
import { log } from "../observability/log";
import { usage } from "../observability/usage";

/** Outbox rows for a direct call rather than a queue are staged under `direct:<target>`. */
export const DIRECT = "direct:";
/** Outbox rows for a command sent by RPC are staged under `rpc:<service binding>`; the replies come back as the answer. */
export const RPC = "rpc:";
/** An outbox row holding every message one decision staged, each with where it goes. */
export const BATCH = "batch";

const SEND_BATCH_MAX = 100;

/** One message of an outbox row and where it goes: a queue binding, `direct:<target>` or `rpc:<binding>`. */
export interface OutboxItem {
	to: string;
	message: Envelope;
}

/** What the relay needs of the object whose outbox it empties. */
export interface RelayHost {
	readonly service: string;
	readonly env: object;
	readonly sql: SqlStorage;
	deliverDirect(target: string, messages: Envelope[]): Promise<void>;
	/** Applies the replies the commands of one relay pass answered with, in one transaction, without relaying. */
	acceptReplies(replies: Envelope[]): void;
}

interface Row {
	seq: number;
	items: OutboxItem[];
	delivered: Set<number>;
}

/** Rows written one per message by earlier versions hold one message; rows written now hold a decision's. */
function readRows(sql: SqlStorage): Row[] {
	return sql
		.exec<{ seq: number; queue: string; body: string }>("SELECT seq, queue, body FROM outbox ORDER BY seq LIMIT 500")
		.toArray()
		.map((r) => ({
			seq: r.seq,
			items:
				r.queue === BATCH
					? (JSON.parse(r.body) as OutboxItem[])
					: [{ to: r.queue, message: JSON.parse(r.body) as Envelope }],
			delivered: new Set<number>(),
		}));
}

/**
 * Relays what the outbox holds: queue messages by sendBatch, direct targets by a call, commands
 * by RPC (their replies applied as they come back). A row goes once all its messages have left; a
 * row with some left keeps them and counts the attempt, for the alarm to retry with backoff.
 * Returns true when replies staged more to relay.
 */
export async function relayOutbox(host: RelayHost): Promise<boolean> {
	const rows = readRows(host.sql);
	const byTarget = new Map<string, { row: Row; index: number; message: Envelope }[]>();
	for (const row of rows)
		row.items.forEach((item, index) => {
			byTarget.set(item.to, [...(byTarget.get(item.to) ?? []), { row, index, message: item.message }]);
		});
	const faults = await faultPlan(host.env);
	// Commands sent together are answered together: their replies are applied as one decision.
	const answered: { item: { row: Row; index: number }; replies: Envelope[] }[] = [];
	await Promise.all(
		[...byTarget].map(async ([to, items]) => {
			const done = (chunk: typeof items) => {
				for (const i of chunk) i.row.delivered.add(i.index);
			};
			if (to.startsWith(RPC)) {
				await Promise.all(
					items.map(async (i) => {
						const replies = await call(
							host,
							to.slice(RPC.length),
							i.message,
							copiesOf(faults, i.message.type, i.message.id),
						);
						if (replies !== null) answered.push({ item: i, replies });
					}),
				);
				return;
			}
			for (let n = 0; n < items.length; n += SEND_BATCH_MAX) {
				const chunk = items.slice(n, n + SEND_BATCH_MAX);
				try {
					if (to.startsWith(DIRECT)) {
						await host.deliverDirect(
							to.slice(DIRECT.length),
							chunk.map((i) => i.message),
						);
					} else {
						const queue = (host.env as Record<string, Queue | undefined>)[to];
						if (!queue) throw new Error(`no queue binding ${to}`);
						// Fault injection may send a message more than once.
						const messages = chunk.flatMap((i) =>
							Array.from({ length: copiesOf(faults, i.message.type, i.message.id) }, () => ({
								body: i.message,
								contentType: "json" as const,
							})),
						);
						for (let j = 0; j < messages.length; j += SEND_BATCH_MAX) {
							const part = messages.slice(j, j + SEND_BATCH_MAX);
							await queue.sendBatch(part);
							usage.count("queueWrites", part.length, to);
						}
					}
					done(chunk);
				} catch (error) {
					log.error(host.service, "outbox.relay-failed", { error: String(error), queue: to });
				}
			}
		}),
	);
	const replies = answered.flatMap((a) => a.replies);
	try {
		if (replies.length > 0) host.acceptReplies(replies);
		for (const a of answered) a.item.row.delivered.add(a.item.index);
	} catch (error) {
		// Not applied: the commands stay and are sent again; the contexts answer with their recorded replies.
		log.error(host.service, "outbox.replies-not-applied", { error: String(error), replies: replies.length });
	}
	settle(host.sql, rows);
	return replies.length > 0;
}

/** Deletes the rows whose messages all left; the others keep what is left and count the attempt. */
function settle(sql: SqlStorage, rows: Row[]) {
	const gone = rows.filter((r) => r.delivered.size === r.items.length).map((r) => r.seq);
	if (gone.length > 0) sql.exec(`DELETE FROM outbox WHERE seq IN (${gone.join(",")})`);
	for (const row of rows) {
		if (row.delivered.size === row.items.length) continue;
		if (row.delivered.size === 0) {
			sql.exec("UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?", row.seq);
			continue;
		}
		const left = row.items.filter((_, i) => !row.delivered.has(i));
		sql.exec(
			"UPDATE outbox SET queue = ?, body = ?, attempts = attempts + 1 WHERE seq = ?",
			BATCH,
			JSON.stringify(left),
			row.seq,
		);
	}
}

/**
 * Sends one command by RPC and returns the replies it answers with. Null when the call failed: the
 * command stays for a retry, and the context's inbox answers the repeat with its recorded replies.
 */
async function call(host: RelayHost, binding: string, command: Envelope, copies: number): Promise<Envelope[] | null> {
	try {
		const service = (host.env as Record<string, CommandService | undefined>)[binding];
		if (!service) throw new Error(`no service binding ${binding}`);
		const result = await service.execute(command);
		const replies = [...result.replies];
		// Fault injection: the same command delivered again. A copy that fails is a duplicate lost on
		// the way, not a failure of the call that already answered.
		for (let copy = 1; copy < copies; copy++)
			replies.push(...((await service.execute(command).catch(() => null))?.replies ?? []));
		if (result.outcome === "poison")
			log.warn(host.service, "outbox.command-dead-lettered", { messageId: command.id, reason: result.reason });
		return replies;
	} catch (error) {
		log.error(host.service, "outbox.relay-failed", {
			error: String(error),
			queue: `${RPC}${binding}`,
			messageId: command.id,
		});
		return null;
	}
}
