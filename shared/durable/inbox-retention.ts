import { setting } from "../settings";

/**
 * How long an inbox record is kept: longer than any redelivery (queue retries, a saga's re-sends
 * with backoff, an operator's replay of a dead letter), so a repeat inside it is still a duplicate.
 */
export const DEFAULT_INBOX_RETENTION_MS = 7 * 24 * 3_600_000;
/** Records expire continuously; pruning them in one pass an interval apart keeps the alarm quiet. */
export const PRUNE_INTERVAL_MS = 15 * 60_000;
/** The most records one alarm deletes, so a backlog (a lowered retention, a long outage) never makes one alarm slow. */
export const PRUNE_CHUNK = 1_000;
/** The timer that brings the alarm back to prune; the messaging object fires it itself, not onTimer. */
export const PRUNE_TIMER = "inbox:prune";

export function inboxRetentionMs(env: object): number {
	return setting(env, "INBOX_RETENTION_MS", DEFAULT_INBOX_RETENTION_MS);
}

/** Sets the prune timer when none is set, at the time the record just written expires. Call inside the record's transaction. */
export function schedulePrune(sql: SqlStorage, now: number, retentionMs: number): void {
	sql.exec("INSERT OR IGNORE INTO timers (key, due_at, payload) VALUES (?, ?, 'null')", PRUNE_TIMER, now + retentionMs);
}

/**
 * Deletes up to PRUNE_CHUNK records older than the retention window, oldest first, and sets the
 * timer again: right away while expired records remain, else when the oldest left expires but
 * not before the next interval. Without records no timer is left; the next record sets one.
 *
 * Oldest first is rowid order: SQLite numbers a new row one past the largest rowid, and a record's
 * handled_at is when it was written, so no index on handled_at is needed and a pass reads at most
 * PRUNE_CHUNK rows however large the inbox is.
 */
export function pruneInbox(sql: SqlStorage, now: number, retentionMs: number): void {
	const cutoff = now - retentionMs;
	sql.exec(
		`DELETE FROM inbox WHERE rowid IN
		 (SELECT rowid FROM (SELECT rowid, handled_at FROM inbox ORDER BY rowid LIMIT ?) WHERE handled_at < ?)`,
		PRUNE_CHUNK,
		cutoff,
	);
	const oldest = sql
		.exec<{ handled_at: number }>("SELECT handled_at FROM inbox ORDER BY rowid LIMIT 1")
		.toArray()[0]?.handled_at;
	if (oldest === undefined) return;
	const next = oldest < cutoff ? now : Math.max(oldest + retentionMs, now + PRUNE_INTERVAL_MS);
	sql.exec(
		"INSERT INTO timers (key, due_at, payload) VALUES (?, ?, 'null') ON CONFLICT(key) DO UPDATE SET due_at = excluded.due_at",
		PRUNE_TIMER,
		next,
	);
}
