import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";

export interface Skip {
	/** How far to skip; by default, up to the object's next timer. */
	ms?: number;
	/** SQL that moves the other times the object keeps (a saga's deadline) back by `?` ms, as it moves its timers. */
	alsoShift?: string;
}

/**
 * Skips an object's time forward: its timers (and the times named by `alsoShift`) are rewritten
 * that much sooner, as if the time had passed, and then its alarm runs. The object still fires
 * only what is due by Date.now(), so production code has no way of being told the time.
 * Returns whether an alarm ran.
 */
export async function skipTime(stub: DurableObjectStub, skip: Skip = {}): Promise<boolean> {
	await runInDurableObject(stub, (instance: unknown, state: DurableObjectState) => {
		const sql = state.storage.sql;
		const next = scheduled(instance, sql)[0]?.dueAt ?? null;
		const by = skip.ms ?? (next === null ? 0 : next - Date.now());
		if (by <= 0) return;
		state.storage.transactionSync(() => {
			sql.exec("UPDATE timers SET due_at = due_at - ?", by);
			if (skip.alsoShift) sql.exec(skip.alsoShift, by);
		});
	});
	return runDurableObjectAlarm(stub);
}

type Scheduled = { key: string; dueAt: number };

/**
 * An object's pending timers, soonest first: its timers table's, and those it keeps in its own
 * state (a saga's deadline), which only the object can read (its stateTimers).
 */
function scheduled(instance: unknown, sql: SqlStorage): Scheduled[] {
	const table = sql
		.exec<{ key: string; due_at: number }>("SELECT key, due_at FROM timers")
		.toArray()
		.map((t) => ({ key: t.key, dueAt: t.due_at }));
	const inState = (instance as { stateTimers?: () => Scheduled[] }).stateTimers?.() ?? [];
	return [...table, ...inState].sort((a, b) => a.dueAt - b.dueAt);
}

/** The timers an object has pending, by key. */
export function timers(stub: DurableObjectStub): Promise<Record<string, number>> {
	return runInDurableObject(stub, (instance: unknown, state: DurableObjectState) =>
		Object.fromEntries(scheduled(instance, state.storage.sql).map((t) => [t.key, t.dueAt])),
	);
}

/** The keys of an object's timers table alone: what it writes a row for, not the timers it keeps in its state. */
export function timerRows(stub: DurableObjectStub): Promise<string[]> {
	return runInDurableObject(stub, (_: unknown, state: DurableObjectState) =>
		state.storage.sql
			.exec<{ key: string }>("SELECT key FROM timers")
			.toArray()
			.map((t) => t.key),
	);
}
