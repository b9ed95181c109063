/**
 * The invariant checker: reads every context's state through the admin API and judges it.
 * Used by `npm run verify` (against a running system), the soak, and the end-to-end suite.
 */
import { type Api, pool } from "./api.ts";

// biome-ignore lint/suspicious/noExplicitAny: state read from the API, checked field by field
type Json = Record<string, any>;

export interface Verdict {
	invariant: string;
	ok: boolean;
	checked: number;
	violations: string[];
	note?: string;
}

export interface OrderState {
	order: Json;
	history: Json[];
	payment: Json | null;
	shipment: Json | null;
	pending: { order: Json; payment: Json | null; shipment: Json | null };
}

export interface CheckOptions {
	/** The orders to check; all orders of the read model when absent. */
	orderIds?: string[];
	/** How long an order may take from placement to a terminal state. */
	terminalWithinMs?: number;
	concurrency?: number;
}

const TERMINAL = new Set(["confirmed", "shipped", "delivered", "cancelled"]);
const PAST_PIVOT = new Set(["confirmed", "shipped", "delivered"]);

export async function allOrderIds(api: Api): Promise<string[]> {
	const ids: string[] = [];
	let cursor: string | null = null;
	do {
		const page: { items: { id: string }[]; nextCursor: string | null } = await api.get(
			`/orders?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
		);
		ids.push(...page.items.map((o) => o.id));
		cursor = page.nextCursor;
	} while (cursor);
	return ids;
}

/** Milliseconds from placement to the first terminal status, from the order's history. */
export function timeToTerminal(state: OrderState): number | null {
	const start = state.history[0]?.at;
	const end = state.history.find((h) => h.kind === "transition" && /^status:(confirmed|cancelled)$/.test(h.name))?.at;
	return start && end ? Date.parse(end) - Date.parse(start) : null;
}

export async function readStates(api: Api, ids: string[], concurrency = 8): Promise<OrderState[]> {
	return pool(ids, concurrency, (id) => api.get<OrderState>(`/admin/orders/${id}/state`));
}

export async function checkInvariants(api: Api, options: CheckOptions = {}) {
	const ids = options.orderIds ?? (await allOrderIds(api));
	const states = await readStates(api, ids, options.concurrency);
	const { items: ledger } = await api.get<{ items: Json[] }>("/admin/ledger");
	const { items: deadLetters } = await api.get<{ items: Json[] }>("/admin/dead-letters");
	const within = options.terminalWithinMs ?? 120_000;

	const verdict = (invariant: string, checked: number, violations: string[], note?: string): Verdict => ({
		invariant,
		ok: violations.length === 0,
		checked,
		violations,
		...(note ? { note } : {}),
	});

	const stuck: string[] = [];
	const attention: string[] = [];
	for (const s of states) {
		const o = s.order;
		const idle = o.saga.phase === "completed" || o.saga.phase === "compensated";
		if (!TERMINAL.has(o.status) || !idle) stuck.push(`${o.id} is ${o.status}/${o.saga.phase}`);
		const took = timeToTerminal(s);
		if (took !== null && took > within) stuck.push(`${o.id} took ${took} ms to a terminal state (limit ${within})`);
		if (o.saga.needsAttention && !s.history.some((h) => h.kind === "attention"))
			attention.push(`${o.id} needs attention without a reason in its history`);
	}

	const stock: string[] = [];
	const committedBySku = new Map<string, number>();
	for (const s of states) {
		if (!PAST_PIVOT.has(s.order.status)) continue;
		for (const i of s.order.items) committedBySku.set(i.sku, (committedBySku.get(i.sku) ?? 0) + i.quantity);
	}
	for (const row of ledger) {
		if (row.on_hand + row.committed !== row.received) {
			stock.push(`${row.sku}: on hand ${row.on_hand} + committed ${row.committed} ≠ received ${row.received}`);
		}
		if (row.on_hand < 0 || row.reserved < 0 || row.on_hand < row.reserved)
			stock.push(`${row.sku}: negative stock ${JSON.stringify(row)}`);
		if (row.reserved !== 0) stock.push(`${row.sku}: ${row.reserved} still reserved while idle`);
		// Committed stock is what confirmed orders took: exact when every order is checked, per SKU of the checked orders otherwise.
		const expected = committedBySku.get(row.sku);
		if ((expected !== undefined || options.orderIds === undefined) && (expected ?? 0) !== row.committed) {
			stock.push(`${row.sku}: committed ${row.committed}, confirmed orders hold ${expected ?? 0}`);
		}
	}

	const money: string[] = [];
	let doubleCharges = 0;
	for (const s of states) {
		const { order: o, payment: p } = s;
		if (!p) {
			if (PAST_PIVOT.has(o.status)) money.push(`${o.id}: ${o.status} without a payment`);
			continue;
		}
		if (p.authorizations > 1) money.push(`${o.id}: ${p.authorizations} authorizations`);
		if (p.captures > 1) {
			doubleCharges++;
			money.push(`${o.id}: captured ${p.captures} times`);
		}
		if (p.status === "captured" && !PAST_PIVOT.has(o.status)) money.push(`${o.id}: captured but ${o.status}`);
		if (p.status === "captured" && p.amount !== o.total)
			money.push(`${o.id}: captured ${p.amount}, order total ${o.total}`);
		if (PAST_PIVOT.has(o.status) && p.status !== "captured") money.push(`${o.id}: ${o.status} but payment ${p.status}`);
		if (o.status === "cancelled" && !["voided", "declined"].includes(p.status))
			money.push(`${o.id}: cancelled but payment ${p.status}`);
	}

	const compensations: string[] = [];
	let compensationCount = 0;
	for (const s of states) {
		const sent = new Set(s.history.filter((h) => h.kind === "compensation" && h.messageId).map((h) => h.messageId));
		const acked = s.history.filter((h) => h.kind === "reply" && h.detail?.compensation);
		compensationCount += sent.size;
		const ackedSteps = acked.map((h) => h.detail.step);
		if (new Set(ackedSteps).size !== ackedSteps.length)
			compensations.push(`${s.order.id}: a compensation acknowledged twice`);
		if (s.order.status === "cancelled" && acked.length !== sent.size) {
			compensations.push(`${s.order.id}: ${sent.size} compensations sent, ${acked.length} acknowledged`);
		}
		if (s.order.status === "cancelled" && s.shipment && !["cancelled", "rejected"].includes(s.shipment.status)) {
			compensations.push(`${s.order.id}: cancelled but shipment ${s.shipment.status}`);
		}
	}

	const outbox: string[] = [];
	for (const s of states) {
		for (const [where, p] of Object.entries(s.pending)) {
			if (p && p.outbox > 0) outbox.push(`${s.order.id}: ${p.outbox} undelivered in ${where}`);
		}
	}

	const letters = deadLetters.map((l) => `${l.queue} ${l.type ?? "?"} ${l.messageId ?? ""}: ${l.reason}`);
	const unexplained = deadLetters.filter((l) => !l.reason).map((l) => `${l.id} has no reason`);

	return {
		states,
		deadLetters,
		doubleCharges,
		compensationCount,
		verdicts: [
			verdict("every order terminal within its deadline, none stuck", states.length, stuck),
			verdict("needs_attention only with a reason", states.length, attention),
			verdict("stock conserved per SKU, never negative", ledger.length, stock),
			verdict("money: ≤1 authorization, ≤1 capture, captured iff confirmed, cancelled ⇒ voided", states.length, money),
			verdict("each compensation took effect exactly once", states.length, compensations),
			verdict("no outbox rows left once idle", states.length, outbox),
			verdict(
				"dead letters empty or each listed with its reason",
				deadLetters.length,
				unexplained,
				letters.length
					? letters.slice(0, 5).join("; ") + (letters.length > 5 ? ` (+${letters.length - 5})` : "")
					: "none",
			),
		],
	};
}

export function printVerdicts(verdicts: Verdict[]): void {
	const width = Math.max(...verdicts.map((v) => v.invariant.length));
	console.log(`${"invariant".padEnd(width)}  result  checked  detail`);
	for (const v of verdicts) {
		const detail = v.ok
			? (v.note ?? "")
			: `${v.violations.length} violation(s): ${v.violations.slice(0, 3).join("; ")}`;
		console.log(
			`${v.invariant.padEnd(width)}  ${v.ok ? "PASS  " : "FAIL  "}  ${String(v.checked).padStart(7)}  ${detail}`,
		);
	}
}
