import { MessagingObject, type Staged } from "../durable/messaging-object";
import { type OutboxItem, type OutboxStore, outcomes, tableOutbox } from "../durable/outbox";
import { traceIdOf } from "../observability/trace";

/** A saga object's history: one row per decision, holding every entry that decision made. */
export const JOURNAL_TABLE =
	"CREATE TABLE journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, entries TEXT NOT NULL);";
/** The message a decision applied, so the journal row is also the inbox record of a message that answers nothing. */
export const JOURNAL_CAUSE = `ALTER TABLE journal ADD COLUMN cause TEXT;
	CREATE INDEX journal_by_cause ON journal (cause) WHERE cause IS NOT NULL;`;
/**
 * The journal as a fresh saga object creates it: numbered without AUTOINCREMENT's counter row (no
 * row is ever deleted, so numbers only grow) and without the index on the cause, a second row
 * written per decision to speed a lookup among one saga's few dozen rows.
 */
export const JOURNAL_TABLE_CURRENT = `CREATE TABLE journal (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, entries TEXT NOT NULL, cause TEXT,
	outbox TEXT, outbox_attempts INTEGER NOT NULL DEFAULT 0);`;
/**
 * The messages a decision staged, kept in its journal row until they have left (then NULL): the
 * row the decision writes anyway is its outbox row too, instead of a row inserted and deleted.
 */
export const JOURNAL_OUTBOX = `ALTER TABLE journal ADD COLUMN outbox TEXT;
	ALTER TABLE journal ADD COLUMN outbox_attempts INTEGER NOT NULL DEFAULT 0;`;

/** The journal as an outbox: the rows whose messages have not all left. */
function journalOutbox(sql: SqlStorage): OutboxStore {
	const store: OutboxStore = {
		read: () =>
			sql
				.exec<{ seq: number; outbox: string }>(
					"SELECT seq, outbox FROM journal WHERE outbox IS NOT NULL ORDER BY seq LIMIT 500",
				)
				.toArray()
				.map((r) => ({
					store,
					seq: r.seq,
					items: JSON.parse(r.outbox) as OutboxItem[],
					delivered: new Set<number>(),
				})),
		settle(rows) {
			const { gone, kept } = outcomes(rows);
			if (gone.length > 0) sql.exec(`UPDATE journal SET outbox = NULL WHERE seq IN (${gone.join(",")})`);
			for (const { seq, left } of kept) {
				if (left === null) sql.exec("UPDATE journal SET outbox_attempts = outbox_attempts + 1 WHERE seq = ?", seq);
				else
					sql.exec(
						"UPDATE journal SET outbox = ?, outbox_attempts = outbox_attempts + 1 WHERE seq = ?",
						JSON.stringify(left),
						seq,
					);
			}
		},
		waiting: () => {
			const w = sql
				.exec<{ n: number; attempts: number | null }>(
					"SELECT COUNT(*) AS n, MIN(outbox_attempts) AS attempts FROM journal WHERE outbox IS NOT NULL",
				)
				.one();
			return { rows: w.n, attempts: w.attempts };
		},
	};
	return store;
}

/** One line of a saga's history: a command, reply, event, transition or compensation. */
export interface HistoryEntry {
	/** Position in the history, from 1. */
	seq: number;
	/** The decision that wrote it; entries of one decision committed together. */
	decision: number;
	at: string;
	kind: string;
	name: string;
	messageId: string | null;
	causationId: string | null;
	traceId: string | null;
	detail?: Record<string, string | number | boolean | null>;
}

export interface JournalRefs {
	messageId?: string | null;
	causationId?: string | null;
	traceparent?: string;
}

type Written = Omit<HistoryEntry, "seq" | "decision" | "at">;

type LegacyRow = {
	seq: number;
	at: string;
	kind: string;
	name: string;
	message_id: string | null;
	causation_id: string | null;
	trace_id: string | null;
	detail: string | null;
};

/**
 * A MessagingObject that journals what it decides: the entries a commit records are written as
 * one row when it commits, with the state change; the row also holds the messages the decision
 * staged until they have left (JOURNAL_OUTBOX). Objects that kept one row per entry (a `history`
 * table) before keep it: it is read first; an `outbox` row written before is relayed first.
 */
export abstract class JournalingObject<E> extends MessagingObject<E> {
	private journal: Written[] | null = null;
	/** The messages the decision being committed applied that answer nothing (its journal row records them). */
	private causes: string[] = [];

	/** `current`: see MessagingObject; the journal is added. */
	constructor(ctx: DurableObjectState, env: E, migrations: readonly string[], current?: string) {
		super(ctx, env, migrations, current && JOURNAL_TABLE_CURRENT + current);
	}

	private readonly stores: readonly OutboxStore[] = [tableOutbox(this.sql), journalOutbox(this.sql)];

	protected override outboxes(): readonly OutboxStore[] {
		return this.stores;
	}

	private legacy: boolean | undefined;

	/** A saga object created before the journal keeps its one-row-per-entry `history` table; one created since has none. */
	private get legacyHistory(): boolean {
		this.legacy ??= this.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'history'").toArray().length > 0;
		return this.legacy;
	}

	protected override commit<T>(change: () => T): T {
		return super.commit(() => {
			this.journal = [];
			this.causes = [];
			try {
				const decided = change();
				if (this.journal.length > 0 || this.causes.length > 0) {
					const staged = this.takeStaged();
					this.sql.exec(
						"INSERT INTO journal (at, entries, cause, outbox) VALUES (?, ?, ?, ?)",
						new Date().toISOString(),
						JSON.stringify(this.journal),
						// One id, or the ids of replies applied together as a JSON array.
						this.causes.length === 0 ? null : this.causes.length === 1 ? this.causes[0] : JSON.stringify(this.causes),
						staged.length === 0 ? null : JSON.stringify(staged),
					);
				}
				return decided;
			} finally {
				this.journal = null;
				this.causes = [];
			}
		});
	}

	/** A message that answered nothing is recorded by its decision's journal row, not an inbox row of its own. */
	protected override remember(messageId: string, replies: Staged[]): void {
		if (replies.length > 0) super.remember(messageId, replies);
		else this.causes.push(messageId);
	}

	protected override handledBefore(messageId: string): Staged[] | null {
		const journaled =
			this.causes.includes(messageId) ||
			this.sql
				.exec(
					`SELECT 1 FROM journal WHERE cause = ?1
					 OR (cause LIKE '[%' AND EXISTS (SELECT 1 FROM json_each(journal.cause) WHERE value = ?1)) LIMIT 1`,
					messageId,
				)
				.toArray().length > 0;
		return journaled ? [] : super.handledBefore(messageId);
	}

	/** Records a history entry of the decision being committed; call inside commit(). */
	protected record(entry: { kind: string; name: string; detail?: Record<string, unknown> }, refs: JournalRefs): void {
		if (!this.journal) throw new Error("record() outside commit(): the entry would not commit with its decision");
		this.journal.push({
			kind: entry.kind,
			name: entry.name,
			messageId: refs.messageId ?? null,
			causationId: refs.causationId ?? null,
			traceId: traceIdOf(refs.traceparent) ?? null,
			...(entry.detail ? { detail: entry.detail as HistoryEntry["detail"] } : {}),
		});
	}

	/** A number that grows with every decision, the one being committed included: a revision for readers of this object's news. */
	protected decisionNumber(): number {
		const legacy = this.legacyHistory ? this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM history").one().n : 0;
		const last = this.sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM journal").one().seq ?? 0;
		return legacy + last + 1;
	}

	async history(): Promise<HistoryEntry[]> {
		if (!this.created) return [];
		const legacy = this.legacyHistory
			? this.sql
					.exec<LegacyRow>("SELECT * FROM history ORDER BY seq")
					.toArray()
					.map((h) => ({
						decision: h.seq,
						at: h.at,
						kind: h.kind,
						name: h.name,
						messageId: h.message_id,
						causationId: h.causation_id,
						traceId: h.trace_id,
						...(h.detail ? { detail: JSON.parse(h.detail) } : {}),
					}))
			: [];
		const offset = legacy.length;
		const journaled = this.sql
			.exec<{ seq: number; at: string; entries: string }>("SELECT seq, at, entries FROM journal ORDER BY seq")
			.toArray()
			.flatMap((row) =>
				(JSON.parse(row.entries) as Written[]).map((e) => ({ ...e, decision: offset + row.seq, at: row.at })),
			);
		return [...legacy, ...journaled].map((e, i) => ({ seq: i + 1, ...e }) as HistoryEntry);
	}
}
