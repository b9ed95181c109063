import type { CommandService } from "../commands";
import type { Envelope } from "../envelope";
import { copiesOf, type FaultPlan, faultPlan } from "../faults";
import { log } from "../observability/log";
import { usage } from "../observability/usage";
import { setting } from "../settings";

/** Outbox rows for a direct call rather than a queue are staged under `direct:<target>`. */
export const DIRECT = "direct:";
/** Outbox rows for a command sent by RPC are staged under `rpc:<service binding>`; the replies come back as the answer. */
export const RPC = "rpc:";
/** An outbox row holding every message one decision staged, each with where it goes. */
export const BATCH = "batch";

const SEND_BATCH_MAX = 100;

/**
 * How long a command's call may go unanswered before it counts as failed: it stays in the outbox
 * for the alarm's retry, and the relay goes on (a hung context would hold every later message).
 * The call may still take effect; its retry gets the reply the context recorded.
 */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

function answeredWithin<T>(answer: Promise<T>, ms: number): Promise<T> {
	let timer: ReturnType<typeof setTimeout> | null = null;
	const late = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
	});
	// An answer that comes after the timeout is dropped, its failure too.
	answer.catch(() => {});
	return Promise.race([answer, late]).finally(() => {
		if (timer !== null) clearTimeout(timer);
	});
}

/** One message of an outbox row and where it goes: a queue binding, `direct:<target>` or `rpc:<binding>`. */
export interface OutboxItem {
	to: string;
	message: Envelope;
	/**
	 * News that newer news replaces (its consumer keeps only the newest of a subject): of the items
	 * waiting under one key, only the last staged is sent.
	 */
	newest?: string;
}

/** What the relay needs of the object whose outbox it empties. */
export interface RelayHost {
	readonly service: string;
	readonly env: object;
	/** Where the object keeps what its decisions staged: the oldest store first. */
	readonly outboxes: readonly OutboxStore[];
	deliverDirect(target: string, messages: Envelope[]): Promise<void>;
	/** Applies the replies the commands of one relay pass answered with, in one transaction, without relaying. */
	acceptReplies(replies: Envelope[]): void;
}

/** One row of a store: the messages one decision staged, and which of them left in this relay. */
export interface OutboxRow {
	store: OutboxStore;
	seq: number;
	items: OutboxItem[];
	delivered: Set<number>;
}

/** Where an object keeps the messages its decisions staged until they have left. */
export interface OutboxStore {
	/** The rows still waiting, oldest first. */
	read(): OutboxRow[];
	/** Clears the rows whose messages all left; the others keep what is left and count the attempt. */
	settle(rows: OutboxRow[]): void;
	/** How many rows wait, and the fewest attempts among them (null when none wait). */
	waiting(): { rows: number; attempts: number | null };
}

/** The ids of rows whose messages all left, and the rows some of whose messages did not (with what is left, null for all). */
export function outcomes(rows: OutboxRow[]) {
	const gone = rows.filter((r) => r.delivered.size === r.items.length).map((r) => r.seq);
	const kept = rows
		.filter((r) => r.delivered.size < r.items.length)
		.map((r) => ({
			seq: r.seq,
			left: r.delivered.size === 0 ? null : r.items.filter((_, i) => !r.delivered.has(i)),
		}));
	return { gone, kept };
}

/**
 * An `outbox` table of its own: a row per decision that staged anything, deleted once all has left.
 * Rows written one per message by earlier versions hold one message.
 */
export function tableOutbox(sql: SqlStorage): OutboxStore {
	const store: OutboxStore = {
		read: () =>
			sql
				.exec<{ seq: number; queue: string; body: string }>(
					"SELECT seq, queue, body FROM outbox ORDER BY seq LIMIT 500",
				)
				.toArray()
				.map((r) => ({
					store,
					seq: r.seq,
					items:
						r.queue === BATCH
							? (JSON.parse(r.body) as OutboxItem[])
							: [{ to: r.queue, message: JSON.parse(r.body) as Envelope }],
					delivered: new Set<number>(),
				})),
		settle(rows) {
			const { gone, kept } = outcomes(rows);
			if (gone.length > 0) sql.exec(`DELETE FROM outbox WHERE seq IN (${gone.join(",")})`);
			for (const { seq, left } of kept) {
				if (left === null) sql.exec("UPDATE outbox SET attempts = attempts + 1 WHERE seq = ?", seq);
				else
					sql.exec(
						"UPDATE outbox SET queue = ?, body = ?, attempts = attempts + 1 WHERE seq = ?",
						BATCH,
						JSON.stringify(left),
						seq,
					);
			}
		},
		waiting: () => {
			const w = sql
				.exec<{ n: number; attempts: number | null }>("SELECT COUNT(*) AS n, MIN(attempts) AS attempts FROM outbox")
				.one();
			return { rows: w.n, attempts: w.attempts };
		},
	};
	return store;
}

/** Every row waiting in any of the stores, oldest store first. */
const readAll = (stores: readonly OutboxStore[]): OutboxRow[] => stores.flatMap((s) => s.read());

/** The messages waiting in the stores: their rows and attempts, as one store. */
export function waitingIn(stores: readonly OutboxStore[]): { rows: number; attempts: number | null } {
	const all = stores.map((s) => s.waiting());
	const tried = all.filter((w) => w.rows > 0).map((w) => w.attempts ?? 0);
	return { rows: all.reduce((n, w) => n + w.rows, 0), attempts: tried.length === 0 ? null : Math.min(...tried) };
}

/** The messages waiting in the stores, oldest first. */
export const waitingMessages = (stores: readonly OutboxStore[]): OutboxItem[] =>
	readAll(stores).flatMap((r) => r.items);

interface Waiting {
	row: OutboxRow;
	index: number;
	item: OutboxItem;
}

const itemsOf = (rows: OutboxRow[]): Waiting[] =>
	rows.flatMap((row) => row.items.map((item, index) => ({ row, index, item })));

/**
 * Relays what the outbox holds: commands by RPC first (their replies applied as they come back),
 * then queue messages by sendBatch and direct targets by a call, so that news the replies made
 * newer replaces the news still waiting instead of following it. A row goes once all its messages
 * have left; a row with some left keeps them and counts the attempt, for the alarm to retry with
 * backoff. Returns true when replies staged more to relay.
 */
export async function relayOutbox(host: RelayHost): Promise<boolean> {
	const rows = readAll(host.outboxes);
	const waiting = itemsOf(rows);
	const faults = await faultPlan(host.env);
	const replied = await callCommands(
		host,
		waiting.filter((w) => w.item.to.startsWith(RPC)),
		faults,
	);
	const known = new Set(rows.map((r) => `${host.outboxes.indexOf(r.store)}:${r.seq}`));
	const staged = replied
		? readAll(host.outboxes).filter((r) => !known.has(`${host.outboxes.indexOf(r.store)}:${r.seq}`))
		: [];
	dropReplaced(waiting, itemsOf(staged));
	await sendMessages(
		host,
		waiting.filter((w) => !w.item.to.startsWith(RPC) && !w.row.delivered.has(w.index)),
		faults,
	);
	for (const store of host.outboxes) store.settle(rows.filter((r) => r.store === store));
	return replied;
}

/** News replaced by newer news under its key (waiting here, or just staged) is not sent: it counts as gone. */
function dropReplaced(waiting: Waiting[], staged: Waiting[]) {
	const last = new Map<string, Waiting>();
	for (const w of [...waiting, ...staged]) if (w.item.newest) last.set(w.item.newest, w);
	for (const w of waiting) if (w.item.newest && last.get(w.item.newest) !== w) w.row.delivered.add(w.index);
}

/**
 * Sends the commands by RPC, all at once, and applies the replies they answered with in one
 * transaction (commands sent together are answered together). True when replies were applied.
 */
async function callCommands(host: RelayHost, commands: Waiting[], faults: FaultPlan | null) {
	const answered: { command: Waiting; replies: Envelope[] }[] = [];
	await Promise.all(
		commands.map(async (command) => {
			const message = command.item.message;
			const replies = await call(
				host,
				command.item.to.slice(RPC.length),
				message,
				copiesOf(faults, message.type, message.id),
			);
			if (replies !== null) answered.push({ command, replies });
		}),
	);
	const replies = answered.flatMap((a) => a.replies);
	try {
		if (replies.length > 0) host.acceptReplies(replies);
		for (const a of answered) a.command.row.delivered.add(a.command.index);
	} catch (error) {
		// Not applied: the commands stay and are sent again; the contexts answer with their recorded replies.
		log.error(host.service, "outbox.replies-not-applied", { error: String(error), replies: replies.length });
		return false;
	}
	return replies.length > 0;
}

/** Sends queue messages by sendBatch and direct targets by a call, per target; a failed target keeps its messages. */
async function sendMessages(host: RelayHost, messages: Waiting[], faults: FaultPlan | null) {
	const byTarget = new Map<string, Waiting[]>();
	for (const m of messages) byTarget.set(m.item.to, [...(byTarget.get(m.item.to) ?? []), m]);
	await Promise.all(
		[...byTarget].map(async ([to, items]) => {
			for (let n = 0; n < items.length; n += SEND_BATCH_MAX) {
				const chunk = items.slice(n, n + SEND_BATCH_MAX);
				try {
					if (to.startsWith(DIRECT)) {
						await host.deliverDirect(
							to.slice(DIRECT.length),
							chunk.map((i) => i.item.message),
						);
					} else {
						const queue = (host.env as Record<string, Queue | undefined>)[to];
						if (!queue) throw new Error(`no queue binding ${to}`);
						// Fault injection may send a message more than once.
						const copies = chunk.flatMap((i) =>
							Array.from({ length: copiesOf(faults, i.item.message.type, i.item.message.id) }, () => ({
								body: i.item.message,
								contentType: "json" as const,
							})),
						);
						for (let j = 0; j < copies.length; j += SEND_BATCH_MAX) {
							const part = copies.slice(j, j + SEND_BATCH_MAX);
							await queue.sendBatch(part);
							usage.count("queueWrites", part.length, to);
						}
					}
					for (const i of chunk) i.row.delivered.add(i.index);
				} catch (error) {
					log.error(host.service, "outbox.relay-failed", { error: String(error), queue: to });
				}
			}
		}),
	);
}

/**
 * Sends one command by RPC and returns the replies it answers with. Null when the call failed: the
 * command stays for a retry, and the context's inbox answers the repeat with its recorded replies.
 */
async function call(host: RelayHost, binding: string, command: Envelope, copies: number): Promise<Envelope[] | null> {
	try {
		const service = (host.env as Record<string, CommandService | undefined>)[binding];
		if (!service) throw new Error(`no service binding ${binding}`);
		const result = await answeredWithin(
			service.execute(command),
			setting(host.env, "COMMAND_TIMEOUT_MS", DEFAULT_COMMAND_TIMEOUT_MS),
		);
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
