import { causedBy, type Envelope } from "../envelope";
import { log } from "../observability/log";
import { usage } from "../observability/usage";
import { shardFor } from "../topology";
import { inboxRetentionMs, PRUNE_TIMER, pruneInbox, schedulePrune } from "./inbox-retention";
import { MESSAGING_TABLES, MESSAGING_TABLES_CURRENT } from "./migrations";
import {
	BATCH,
	type OutboxItem,
	type OutboxStore,
	type RelayHost,
	relayOutbox,
	tableOutbox,
	waitingIn,
	waitingMessages,
} from "./outbox";
import { SqlObject } from "./sql-object";

export { DIRECT, RPC } from "./outbox";

/** How soon the alarm retries a relay that failed (or that a crash cut short); doubled per failed attempt. */
const RELAY_RETRY_MS = 1_000;
const RELAY_MAX_BACKOFF_MS = 30_000;

export interface Timer {
	key: string;
	dueAt: number;
	payload: unknown;
}

/** A message staged for a queue binding. */
export interface Staged {
	queue: string;
	message: Envelope;
}

/** What a Durable Object did with a message; `poison` means it can never be applied and belongs in the dead letters. */
export interface HandleOutcome {
	outcome: "handled" | "duplicate" | "ignored" | "poison";
	/** Why a poison message can never apply. */
	reason?: string;
}

/** What a synchronous caller gets back: the outcome, and the replies as JSON text (it owns their delivery). */
export interface HandleResult extends HandleOutcome {
	replies: string[];
}

export const IGNORED = "ignored" as const;
export type Ignored = typeof IGNORED;

/** Thrown inside a decision when a message can never be applied; the transaction rolls back. */
export class Unapplicable extends Error {}

/**
 * A Durable Object that keeps the messaging guarantees: state changes, outgoing messages and the
 * inbox record are written in one transactionSync; the outbox is relayed right after the commit
 * and again by the alarm, which also fires the object's timers (one alarm, many timers).
 */
export abstract class MessagingObject<E> extends SqlObject<E> {
	protected abstract readonly service: string;
	/**
	 * A long-lived object (one for many orders) sets this: its inbox records are pruned by the alarm
	 * after INBOX_RETENTION_MS. An object of one order keeps them with its state, which ends with the
	 * order, rather than being woken once more only to delete them.
	 */
	protected readonly prunesInbox: boolean = false;

	/** `current`: the object's own tables as a fresh object creates them (see migrate); the messaging tables are added. */
	constructor(ctx: DurableObjectState, env: E, migrations: readonly string[], current?: string) {
		super(ctx, env, [MESSAGING_TABLES, ...migrations], current && MESSAGING_TABLES_CURRENT + current);
	}

	/**
	 * Delivers outbox rows staged for `direct:<target>` by a call instead of a queue (a read model
	 * in the same context); the rows stay until the call returns, so the alarm retries a failure.
	 */
	protected async deliverDirect(target: string, _messages: Envelope[]): Promise<void> {
		throw new Error(`${this.service} has no direct target ${target}`);
	}

	/**
	 * Applies the replies that came back as the answers to the commands of one relay pass, in one
	 * transaction and without relaying (the relay that called it goes on with what they staged).
	 * An object that sends commands by RPC overrides it.
	 */
	protected acceptReplies(replies: Envelope[]): void {
		throw new Error(`${this.service} cannot accept the replies ${replies.map((r) => r.type).join(", ")}`);
	}

	/** Fires a timer that is due; runs inside the transaction that removes it, so it fires once. */
	protected abstract onTimer(timer: Timer, now: number): void;

	/**
	 * Timers the object keeps in its own state instead of the timers table (a saga's deadline is in
	 * its saved state already), so moving one is part of a row the decision writes anyway. Fired
	 * like the others, through onTimer; its decision moves or clears it.
	 */
	protected stateTimers(): Timer[] {
		return [];
	}

	/** State timers this instance fired, by key and time: one its decision left in place does not fire again. */
	private readonly firedState = new Set<string>();

	private dueStateTimers(): Timer[] {
		return this.stateTimers().filter((t) => !this.firedState.has(`${t.key}@${t.dueAt}`));
	}

	/** Messages staged by the decision being committed: written as one outbox row when it commits. */
	private staging: OutboxItem[] | null = null;

	/** Where the object keeps what its decisions staged until it has left, the oldest store first. */
	protected outboxes(): readonly OutboxStore[] {
		return [tableOutbox(this.sql)];
	}

	/**
	 * Hands the messages staged so far by the decision being committed to a row that decision writes
	 * anyway (its journal row), which then keeps them in place of an outbox row of their own.
	 */
	protected takeStaged(): OutboxItem[] {
		const staged = this.staging ?? [];
		if (this.staging) this.staging = [];
		return staged;
	}

	/** Runs `change` in one transaction; messages it stages leave only if it commits, in one outbox row. */
	protected commit<T>(change: () => T): T {
		const created = this.created;
		let result: T;
		try {
			result = this.ctx.storage.transactionSync(() => {
				this.create();
				this.staging = [];
				try {
					const decided = change();
					if (this.staging.length > 0)
						this.sql.exec("INSERT INTO outbox (queue, body) VALUES (?, ?)", BATCH, JSON.stringify(this.staging));
					return decided;
				} finally {
					this.staging = null;
				}
			});
		} catch (error) {
			// Rolled back, the tables a first write made included.
			this.created = created;
			throw error;
		}
		// Armed before anything is awaited, so the alarm is written with the change: an object that
		// stops between this commit and its relay still wakes to relay and to fire its timers.
		this.rearm().catch((error) => log.error(this.service, "alarm.arm-failed", { error: String(error) }));
		return result;
	}

	/**
	 * Stages a message for `to` (a queue binding, `direct:<target>` or `rpc:<binding>`); call inside
	 * commit(). `newest`: the key of news that newer news under the same key replaces (OutboxItem).
	 */
	protected stage(to: string, message: Envelope, newest?: string): void {
		if (!this.staging) throw new Error("stage() outside commit(): the message would not leave with its decision");
		this.staging.push(newest ? { to, message, newest } : { to, message });
	}

	/** Read at each relay: tests may swap a binding of a running object. */
	private get relayHost(): RelayHost {
		return {
			service: this.service,
			env: this.env as object,
			outboxes: this.outboxes(),
			deliverDirect: (target, messages) => this.deliverDirect(target, messages),
			acceptReplies: (replies) => this.acceptReplies(replies),
		};
	}

	/**
	 * Handles a message once. `decide` runs inside the transaction and returns what to send; its
	 * state changes, the outbox rows and the inbox record commit together. A repeat changes
	 * nothing and sends the recorded replies again, so a lost reply is recovered by a re-sent command.
	 */
	protected async handleOnce(
		messageId: string,
		decide: () => Staged[] | Ignored,
		replies: "outbox" | "return" = "outbox",
	): Promise<HandleResult> {
		usage.objectRequest(this);
		const result = this.decideOnce(messageId, decide, replies);
		await this.flush();
		return result;
	}

	/** handleOnce without the relay after it: the decision and its records commit, the outbox waits. */
	protected decideOnce(
		messageId: string,
		decide: () => Staged[] | Ignored,
		replies: "outbox" | "return" = "outbox",
	): HandleResult {
		let outcome: HandleOutcome;
		let answered: Staged[] = [];
		// Replies go to the outbox (queues), or back to a synchronous caller (RPC) which then owns their delivery.
		const send = (staged: Staged[]) => {
			answered = staged;
			if (replies === "outbox") for (const r of staged) this.stage(r.queue, r.message);
		};
		try {
			outcome = this.commit((): HandleOutcome => {
				const recorded = this.handledBefore(messageId);
				if (recorded) {
					send(recorded);
					return { outcome: "duplicate" };
				}
				const staged = decide();
				// Not recorded: a message that changed nothing may still apply if it comes again later.
				if (staged === IGNORED) return { outcome: "ignored" };
				send(staged);
				this.remember(messageId, staged);
				return { outcome: "handled" };
			});
		} catch (error) {
			if (!(error instanceof Unapplicable)) throw error;
			outcome = { outcome: "poison", reason: error.message };
		}
		return { ...outcome, replies: answered.map((r) => JSON.stringify(r.message)) };
	}

	/** The replies recorded for a message handled before; null when it was not. */
	protected handledBefore(messageId: string): Staged[] | null {
		const row = this.sql.exec<{ replies: string }>("SELECT replies FROM inbox WHERE id = ?", messageId).toArray()[0];
		return row ? (JSON.parse(row.replies) as Staged[]) : null;
	}

	/** Records a handled message with its replies, inside the transaction of its effect. */
	protected remember(messageId: string, replies: Staged[]): void {
		this.sql.exec(
			"INSERT INTO inbox (id, handled_at, replies) VALUES (?, ?, ?)",
			messageId,
			Date.now(),
			JSON.stringify(replies),
		);
		this.retain();
	}

	/** After an inbox record is written: the alarm will come back to prune it once it expires. */
	private retain(): void {
		if (this.prunesInbox) schedulePrune(this.sql, Date.now(), inboxRetentionMs(this.env as object));
	}

	/**
	 * A message answering `cause` (a reply, or an event it asked for), for the saga that sent it: on
	 * order-events, the shard of the cause's correlation id. `id` when it must keep an id of its own.
	 */
	protected answer(cause: Envelope, type: string, payload: unknown, id?: string): Staged {
		return {
			queue: shardFor("order-events", cause.correlationId).producer,
			message: causedBy(cause, this.service, type, payload, id),
		};
	}

	/** The timer whose onTimer runs, and whether it set or cleared that timer itself. */
	private firing: { key: string; setAgain: boolean } | null = null;

	/** Sets (or moves) a timer; setting it again as it is writes nothing. */
	protected setTimer(key: string, dueAt: number, payload: unknown = null): void {
		if (this.firing?.key === key) this.firing.setAgain = true;
		this.sql.exec(
			`INSERT INTO timers (key, due_at, payload) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET due_at = excluded.due_at, payload = excluded.payload
			 WHERE due_at IS NOT excluded.due_at OR payload IS NOT excluded.payload`,
			key,
			dueAt,
			JSON.stringify(payload),
		);
	}

	protected clearTimer(key: string): void {
		if (this.firing?.key === key) this.firing.setAgain = true;
		this.sql.exec("DELETE FROM timers WHERE key = ?", key);
	}

	/** Ids of the messages still waiting in the outbox (or being relayed): they have not reached anyone yet. */
	protected undeliveredIds(): Set<string> {
		return new Set(waitingMessages(this.outboxes()).map((i) => i.message.id));
	}

	protected pendingOutbox(): number {
		return waitingIn(this.outboxes()).rows;
	}

	/** After a commit: relay the outbox and point the alarm at the next thing due. `afterFirstPass`: called once the first pass is done. */
	protected async flush(afterFirstPass?: () => void): Promise<void> {
		try {
			await this.relayOnce(afterFirstPass);
		} finally {
			await this.rearm();
		}
	}

	/**
	 * flush() for a caller that needs only the first relay pass: what its commit staged has left
	 * (its commands answered, their replies applied) when this resolves. The passes those replies
	 * asked for go on without the caller, and the alarm armed at each commit relays whatever an
	 * object that stops leaves. A relay already running would take the caller's rows in a later
	 * pass: then the whole flush is waited for.
	 */
	protected async flushFirstPass(): Promise<void> {
		if (this.relaying) return this.flush();
		let firstPass = () => {};
		const passed = new Promise<void>((resolve) => {
			firstPass = resolve;
		});
		const whole = this.flush(firstPass);
		whole.catch((error) => log.error(this.service, "outbox.relay-failed", { error: String(error) }));
		await Promise.race([passed, whole]);
	}

	private relaying: Promise<void> | null = null;
	private relayAgain = false;

	/**
	 * One relay at a time per object: while sendBatch is awaited, other requests run, and two
	 * relays reading the same rows would send them twice. A flush during a relay asks for one more pass.
	 */
	private async relayOnce(afterFirstPass?: () => void): Promise<void> {
		if (this.relaying) {
			this.relayAgain = true;
			return this.relaying;
		}
		this.relaying = (async () => {
			let passed = afterFirstPass;
			do {
				this.relayAgain = false;
				// Replies to commands sent by RPC stage the next commands: relayed in the next pass.
				if (await relayOutbox(this.relayHost)) this.relayAgain = true;
				passed?.();
				passed = undefined;
			} while (this.relayAgain);
		})().finally(() => {
			this.relaying = null;
		});
		return this.relaying;
	}

	/** The alarm time last written by this instance; undefined until it has written one. */
	private armedAt: number | null | undefined;

	/** Points the alarm at the next timer, or sooner while outbox rows wait; writes only when that moves it. */
	private rearm(): Promise<void> {
		const table = this.sql.exec<{ due: number | null }>("SELECT MIN(due_at) AS due FROM timers").one().due;
		const inState = this.dueStateTimers().map((t) => t.dueAt);
		const next = table === null && inState.length === 0 ? null : Math.min(...inState, table ?? Infinity);
		const tried = waitingIn(this.outboxes());
		const relayAt =
			tried.rows > 0
				? Date.now() + Math.min(RELAY_RETRY_MS * 2 ** Math.min(tried.attempts ?? 0, 10), RELAY_MAX_BACKOFF_MS)
				: null;
		const due = [next, relayAt].filter((t): t is number => t !== null);
		const at = due.length === 0 ? null : Math.min(...due);
		if (at === this.armedAt) return Promise.resolve();
		this.armedAt = at;
		return at === null ? this.ctx.storage.deleteAlarm() : this.ctx.storage.setAlarm(at);
	}

	override async alarm(): Promise<void> {
		usage.objectRequest(this);
		// The runtime removed the alarm to run it.
		this.armedAt = null;
		// Only what is due by the clock fires: the alarm also wakes early to retry the outbox, and
		// that must not bring a deadline, a review or a carrier leg forward.
		const now = Date.now();
		const due = [
			...this.sql
				.exec<{ key: string; due_at: number; payload: string }>(
					"SELECT key, due_at, payload FROM timers WHERE due_at <= ?",
					now,
				)
				.toArray()
				.map((t) => ({ key: t.key, dueAt: t.due_at, payload: JSON.parse(t.payload), inState: false })),
			...this.dueStateTimers()
				.filter((t) => t.dueAt <= now)
				.map((t) => ({ ...t, inState: true })),
		].sort((a, b) => a.dueAt - b.dueAt);
		for (const t of due) {
			if (!t.inState) {
				this.commit(() => this.fireTimer(t, now));
				continue;
			}
			// Marked once its decision has committed: one that failed stays due for the alarm's retry.
			if (this.commit(() => this.fireStateTimer(t, now))) this.firedState.add(`${t.key}@${t.dueAt}`);
		}
		await this.flush();
	}

	/** Fires a timer of the table, inside its commit; an earlier timer's decision may have moved or cleared it. */
	private fireTimer(t: Timer, now: number) {
		const still = this.sql.exec("SELECT 1 FROM timers WHERE key = ? AND due_at = ?", t.key, t.dueAt).toArray().length;
		if (!still) return;
		if (t.key === PRUNE_TIMER) {
			this.sql.exec("DELETE FROM timers WHERE key = ?", t.key);
			pruneInbox(this.sql, now, inboxRetentionMs(this.env as object));
			return;
		}
		this.firing = { key: t.key, setAgain: false };
		try {
			this.onTimer(t, now);
		} finally {
			// Fired once: removed, unless onTimer set it again (moved: one write, not a removal and an insert).
			if (!this.firing.setAgain) this.sql.exec("DELETE FROM timers WHERE key = ? AND due_at = ?", t.key, t.dueAt);
			this.firing = null;
		}
	}

	/** Fires a state timer, inside its commit, unless an earlier timer's decision moved or cleared it; true when it fired. */
	private fireStateTimer(t: Timer, now: number): boolean {
		const still = this.dueStateTimers().find((s) => s.key === t.key && s.dueAt === t.dueAt);
		if (!still) return false;
		this.onTimer(still, now);
		return true;
	}

	/** Admin view: what is waiting to leave and what is scheduled. */
	async pending(): Promise<{
		outbox: number;
		timers: { key: string; dueAt: number }[];
	}> {
		usage.objectRequest(this);
		if (!this.created) return { outbox: 0, timers: [] };
		const timers = [
			...this.sql
				.exec<{ key: string; due_at: number }>("SELECT key, due_at FROM timers")
				.toArray()
				.map((t) => ({ key: t.key, dueAt: t.due_at })),
			...this.stateTimers().map((t) => ({ key: t.key, dueAt: t.dueAt })),
		].sort((a, b) => a.dueAt - b.dueAt);
		return { outbox: this.pendingOutbox(), timers };
	}
}
