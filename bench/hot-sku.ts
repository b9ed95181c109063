/**
 * `npm run bench -- --hot-sku`: stock per SKU under contention. 500 orders placed at once for one
 * SKU holding 100 units (one SKU object takes every reservation), then the same 500 spread over 50
 * SKUs holding 2 units each (50 objects share them). Each run must end exactly right: 100 orders
 * confirmed, 400 cancelled out_of_stock, nothing oversold, nothing left reserved, every invariant
 * of the checker; the process exits non-zero otherwise. Prints the throughput of each: orders per
 * second from the first POST to the last order's terminal status (from the orders' own histories).
 *
 *   npm run bench -- --hot-sku [--orders 500] [--units 100] [--skus 50]
 *
 * `--burst` (with `--hot-sku`): a burst instead, on the default settings (the step deadlines a
 * deployment has): 500 orders at once over 50 SKUs holding enough for every one, so each must end
 * confirmed; none may fail `timeout` because of the system's own backlog. Prints the time from the
 * first POST to the last order's terminal status.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Api } from "../scripts/lib/api.ts";
import { checkInvariants, printVerdicts, type Verdict } from "../scripts/lib/checker.ts";
import { loadOrCreateIdentity, mintToken } from "../scripts/lib/identity.ts";
import { freePort, startStack } from "../scripts/lib/stack.ts";

const { values: args } = parseArgs({
	options: {
		"hot-sku": { type: "boolean" },
		orders: { type: "string", default: "500" },
		units: { type: "string", default: "100" },
		skus: { type: "string", default: "50" },
		burst: { type: "boolean", default: false },
	},
	strict: false,
});
const ORDERS = Number(args.orders);
const UNITS = Number(args.units);
const SPREAD = Number(args.skus);
const BURST = args.burst === true;
if (BURST && ORDERS % SPREAD !== 0)
	throw new Error("--burst: --orders must be a multiple of --skus (every unit is sold)");

const state = mkdtempSync(join(tmpdir(), "edge-saga-hot-sku-"));
const identity = await loadOrCreateIdentity(join(state, "identity"));
const stack = await startStack({
	port: await freePort(),
	persistTo: state,
	identity,
	// Contention: deadlines long enough that a busy machine does not time orders out. A burst keeps the defaults.
	workerVars: BURST ? {} : { SAGA_STEP_TIMEOUT_MS: "20000", SAGA_MAX_ATTEMPTS: "5" },
	output: () => {},
});
const admin = new Api(stack.url, await mintToken(identity, { customerId: "hot-admin", admin: true }));
const address = { name: "Bench", line1: "1 Load St", city: "Paris", postalCode: "75001", country: "FR" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome {
	name: string;
	seconds: number;
	throughput: number;
	confirmed: number;
	outOfStock: number;
	problems: string[];
	verdicts: Verdict[];
}

/** Places one order per entry of `skuOf`, all at once, each by a customer of its own; checks and times the outcome. */
async function scenario(name: string, stock: Map<string, number>, skuOf: string[]): Promise<Outcome> {
	for (const [sku, onHand] of stock) {
		const res = await admin.request("PUT", `/inventory/${sku}`, { onHand, unitPrice: 1000 });
		if (res.status !== 200) throw new Error(`restock ${sku}: ${res.status} ${res.text}`);
	}
	// Signing tokens is the identity provider's work: done before the clock starts.
	const customers = await Promise.all(
		skuOf.map(async (_, i) => new Api(stack.url, await mintToken(identity, { customerId: `${name}-${i}` }))),
	);
	const started = Date.now();
	const ids = await Promise.all(
		skuOf.map(async (sku, i) => {
			const res = await (customers[i] as Api).request(
				"POST",
				"/orders",
				{ items: [{ sku, quantity: 1 }], shippingAddress: address, paymentToken: "tok_visa" },
				{ "idempotency-key": `${name}-${i}` },
			);
			if (res.status !== 202) throw new Error(`POST /orders: ${res.status} ${res.text}`);
			return (res.json as { id: string }).id;
		}),
	);
	// Settled in the read model (a few pages per poll rather than 500 order objects): every saga idle.
	const mine = new Set(ids);
	for (const limit = Date.now() + 600_000; ; ) {
		const idle = (await readAll()).filter(
			(o) => mine.has(o.id) && (o.phase === "completed" || o.phase === "compensated"),
		).length;
		process.stdout.write(`\r  ${name}: ${idle}/${ids.length} settled   `);
		if (idle === ids.length) break;
		if (Date.now() > limit) throw new Error(`${name}: ${ids.length - idle} orders never settled`);
		await sleep(1000);
	}
	console.log("");

	// A confirmed order goes on after its saga (the carrier's legs, the news they publish): the
	// checker is given a minute for that to settle, as the soak gives it, before a verdict counts.
	const check = () => checkInvariants(admin, { orderIds: ids, terminalWithinMs: 600_000 });
	let result = await check();
	for (const settleBy = Date.now() + 60_000; !result.verdicts.every((v) => v.ok) && Date.now() < settleBy; ) {
		await sleep(3000);
		result = await check();
	}
	const orders = result.states.map((s) => s.order);
	const lastTerminal = Math.max(
		...result.states.map((s) =>
			Date.parse(s.history.find((h) => /^status:(confirmed|cancelled)$/.test(h.name) && h.kind === "transition")?.at),
		),
	);
	const seconds = (lastTerminal - started) / 1000;
	const confirmed = orders.filter((o) => o.saga.phase === "completed").length;
	const outOfStock = orders.filter((o) => o.status === "cancelled" && o.failureReason === "out_of_stock").length;
	const units = [...stock.values()].reduce((a, b) => a + b, 0);
	const problems: string[] = [];
	if (confirmed !== units) problems.push(`${confirmed} orders confirmed, ${units} units in stock`);
	if (outOfStock !== ids.length - units) problems.push(`${outOfStock} out_of_stock, expected ${ids.length - units}`);
	const ledger = (
		await admin.get<{ items: { sku: string; on_hand: number; reserved: number; committed: number }[] }>("/admin/ledger")
	).items;
	for (const [sku, onHand] of stock) {
		const row = ledger.find((l) => l.sku === sku);
		if (row?.on_hand !== 0 || row.reserved !== 0 || row.committed !== onHand)
			problems.push(`${sku}: ${JSON.stringify(row)}, expected everything committed and nothing reserved`);
	}
	for (const v of result.verdicts) if (!v.ok) problems.push(`${v.rule}: ${v.violations.slice(0, 3).join("; ")}`);
	return {
		name,
		seconds,
		throughput: ids.length / seconds,
		confirmed,
		outOfStock,
		problems,
		verdicts: result.verdicts,
	};
}

async function readAll() {
	const items: { id: string; phase: string }[] = [];
	let cursor: string | null = null;
	do {
		const page: { items: { id: string; phase: string }[]; nextCursor: string | null } = await admin.get(
			`/orders?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
		);
		items.push(...page.items);
		cursor = page.nextCursor;
	} while (cursor);
	return items;
}

const outcomes: Outcome[] = [];
try {
	const spread = Array.from({ length: SPREAD }, (_, i) => `SPREAD-${String(i).padStart(2, "0")}`);
	const spreadOrders = Array.from({ length: ORDERS }, (_, i) => spread[i % SPREAD] as string);
	if (BURST) {
		outcomes.push(await scenario("burst", new Map(spread.map((sku) => [sku, ORDERS / SPREAD])), spreadOrders));
	} else {
		const hot = "HOT-SKU";
		outcomes.push(await scenario("hot", new Map([[hot, UNITS]]), Array(ORDERS).fill(hot)));
		outcomes.push(await scenario("spread", new Map(spread.map((sku) => [sku, UNITS / SPREAD])), spreadOrders));
	}
} finally {
	await stack.stop();
	rmSync(state, { recursive: true, force: true });
}

console.log(
	BURST
		? `\n${ORDERS} orders at once over ${SPREAD} SKUs holding enough for all, default step deadlines`
		: `\n${ORDERS} orders at once, ${UNITS} units: one SKU, then ${SPREAD} SKUs of ${UNITS / SPREAD}`,
);
console.log("scenario  confirmed  out_of_stock  seconds  orders/s (first POST to last terminal)  outcome");
for (const o of outcomes) {
	console.log(
		`${o.name.padEnd(8)}  ${String(o.confirmed).padStart(9)}  ${String(o.outOfStock).padStart(12)}  ${o.seconds.toFixed(1).padStart(7)}  ${o.throughput.toFixed(1).padStart(8)}                                ${o.problems.length ? "WRONG" : "ok"}`,
	);
}
for (const o of outcomes.filter((x) => x.problems.length > 0)) {
	console.log(`\n${o.name}: ${o.problems.join("\n  ")}`);
	printVerdicts(o.verdicts);
}
if (outcomes.length < (BURST ? 1 : 2) || outcomes.some((o) => o.problems.length > 0)) process.exitCode = 1;
