/**
 * `npm run soak -- --orders N --seed S [--concurrency C] [fault options] [--restarts K]`
 *
 * Starts the stack with the faults asked for, restocks, places N orders (a seeded mix of happy,
 * out-of-stock, declined, unshippable, customer-cancelled, held for review then approved by the
 * soak as an admin, and delivered then partly returned by its customer), optionally kills and restarts the
 * whole local runtime K times on the same persisted state, waits until every order is idle and
 * every return refunded, runs
 * the invariant checker and prints a summary. Exits 1 on any violation, stuck order or unexpected
 * outcome, and on any 5xx or lost connection while no restart is under way (only then are requests retried).
 *
 * Fault options (see shared/faults.ts): --fail "billing.*=0.2,inventory.*=0.05" --crash "*=0.05"
 * --delay "shipping.*=20" --duplicate "*=2" --burst "*=0.1" --burst-copies 5 --shuffle,
 * or --profile issue (the figures of the README).
 */
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Api, HttpError, percentile, pool } from "./lib/api.ts";
import { checkInvariants, type judge, printVerdicts, readModel, timeToTerminal } from "./lib/checker.ts";
import { loadOrCreateIdentity, mintToken } from "./lib/identity.ts";
import { exitOnInterrupt, freePort, type Stack, startStack } from "./lib/stack.ts";

const { values: args } = parseArgs({
	options: {
		orders: { type: "string", default: "100" },
		seed: { type: "string", default: "1" },
		concurrency: { type: "string", default: "8" },
		/** Orders placed per second at most; unlimited by default (a burst). */
		rate: { type: "string" },
		restarts: { type: "string", default: "0" },
		profile: { type: "string" },
		fail: { type: "string" },
		crash: { type: "string" },
		delay: { type: "string" },
		duplicate: { type: "string" },
		burst: { type: "string" },
		"burst-copies": { type: "string", default: "5" },
		shuffle: { type: "boolean", default: false },
		"idle-timeout": { type: "string", default: "600" },
		// Deadlines fit for a loaded local runtime; the dev defaults (1 s, 3 attempts) are tuned for quick demos.
		"step-timeout-ms": { type: "string", default: "5000" },
		"max-attempts": { type: "string", default: "5" },
	},
});

const PROFILES: Record<string, Record<string, string>> = {
	/** The figures in the README: billing fails 20 %, inventory 5 %, every message twice, 10 % five times, shuffled. */
	issue: {
		FAULT_FAIL: "billing.*=0.2,inventory.*=0.05",
		FAULT_DUPLICATE: "*=2",
		FAULT_DUPLICATE_BURST: "*=0.1",
		FAULT_DUPLICATE_BURST_COPIES: "5",
		FAULT_SHUFFLE: "1",
	},
	/** What CI runs: every kind of fault, lighter. */
	ci: {
		FAULT_FAIL: "billing.*=0.1,inventory.*=0.05",
		FAULT_CRASH_AFTER_EFFECT: "*=0.05",
		FAULT_DUPLICATE: "*=2",
		FAULT_DUPLICATE_BURST: "*=0.05",
		FAULT_SHUFFLE: "1",
	},
};

const N = Number(args.orders);
const SEED = Number(args.seed);
const RESTARTS = Number(args.restarts);
const faults: Record<string, string> = {
	...(args.profile ? (PROFILES[args.profile] ?? fail(`unknown profile ${args.profile}`)) : {}),
	...(args.fail ? { FAULT_FAIL: args.fail } : {}),
	...(args.crash ? { FAULT_CRASH_AFTER_EFFECT: args.crash } : {}),
	...(args.delay ? { FAULT_DELAY_MS: args.delay } : {}),
	...(args.duplicate ? { FAULT_DUPLICATE: args.duplicate } : {}),
	...(args.burst
		? { FAULT_DUPLICATE_BURST: args.burst, FAULT_DUPLICATE_BURST_COPIES: args["burst-copies"] ?? "5" }
		: {}),
	...(args.shuffle ? { FAULT_SHUFFLE: "1" } : {}),
};

exitOnInterrupt();

function fail(message: string): never {
	console.error(message);
	process.exit(2);
}

/** A small seeded generator (mulberry32), so the mix of orders replays with the seed. */
function random(seed: number) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

type Kind = "happy" | "out_of_stock" | "declined" | "unshippable" | "cancelled" | "reviewed" | "returned";
const MIX: [Kind, number][] = [
	["happy", 0.5],
	["returned", 0.05],
	["reviewed", 0.05],
	["out_of_stock", 0.1],
	["declined", 0.1],
	["unshippable", 0.1],
	["cancelled", 0.1],
];
function pick(r: number): Kind {
	let left = r;
	for (const [kind, share] of MIX) {
		left -= share;
		if (left < 0) return kind;
	}
	return "happy";
}

const EXPECTED: Record<Kind, string[]> = {
	happy: ["delivered"],
	out_of_stock: ["cancelled:out_of_stock"],
	declined: ["cancelled:payment_declined"],
	unshippable: ["cancelled:shipping_unavailable"],
	// The cancel is sent right after placement, while the payment is held for review: it must win.
	cancelled: ["cancelled:customer_cancelled"],
	// Held for review and approved by the soak as an admin, as soon as billing holds it: the
	// decision may reach the order before billing's "held" reply does, and is applied when it does.
	reviewed: ["delivered"],
	// Delivered, then its first line returned by its customer: collected, restocked and refunded.
	returned: ["delivered"],
};

const rand = random(SEED);
const run = `s${SEED}-${Date.now().toString(36)}`;
const skus = ["A", "B", "C", "D"].map((s) => `SOAK-${run}-${s}`);
const scarce = `SOAK-${run}-NONE`;
const plan = Array.from({ length: N }, (_, i) => {
	const kind = pick(rand());
	const sku = skus[Math.floor(rand() * skus.length)] as string;
	const quantity = 1 + Math.floor(rand() * 3);
	// Stock is per SKU and each line is reserved in its own SKU's object: every other order has two
	// lines, and an out-of-stock order has a line that can be reserved beside the short one (it is released).
	const other = skus[(skus.indexOf(sku) + 1) % skus.length] as string;
	const items =
		kind === "out_of_stock"
			? [
					{ sku, quantity },
					{ sku: scarce, quantity: 1 },
				]
			: i % 2 === 0
				? [
						{ sku, quantity },
						{ sku: other, quantity: 1 },
					]
				: [{ sku, quantity }];
	return {
		index: i,
		kind,
		key: `soak-${run}-${i}`,
		body: {
			// A customer per order: the per-customer rate limit is not what a soak measures.
			customerId: `soak-${run}-${i}`,
			items,
			shippingAddress: {
				name: "Soak",
				line1: "1 Test St",
				city: "Paris",
				postalCode: "75001",
				country: kind === "unshippable" ? "AQ" : "FR",
			},
			paymentToken:
				kind === "declined" ? "tok_decline" : kind === "cancelled" || kind === "reviewed" ? "tok_review" : "tok_visa",
		},
		id: "",
	};
});
const restartAt = new Set(Array.from({ length: RESTARTS }, (_, k) => Math.floor(((k + 1) / (RESTARTS + 1)) * N)));

const state = mkdtempSync(join(tmpdir(), "edge-saga-soak-"));
const identity = await loadOrCreateIdentity(join(state, "identity"));
const port = await freePort();
const counters = { duplicates: 0, consumerRetries: 0, injected: 0, deadLettered: 0 };
const logFile = process.env.SOAK_LOG;
const count = (chunk: string) => {
	if (logFile) appendFileSync(logFile, chunk);
	counters.duplicates += chunk.split('"event":"message.duplicate"').length - 1;
	counters.consumerRetries += chunk.split('"event":"message.failed"').length - 1;
	counters.injected +=
		chunk.split("injected transient failure").length - 1 + chunk.split("injected crash after").length - 1;
	counters.deadLettered += chunk.split('"event":"message.dead-lettered"').length - 1;
};
const launch = () =>
	startStack({
		port,
		persistTo: state,
		identity,
		workerVars: {
			SAGA_STEP_TIMEOUT_MS: args["step-timeout-ms"] ?? "5000",
			SAGA_MAX_ATTEMPTS: args["max-attempts"] ?? "5",
		},
		faults: Object.keys(faults).length ? { FAULT_SEED: String(SEED), ...faults } : undefined,
		output: count,
	});

const started = Date.now();
console.log(
	`soak ${run}: ${N} orders, seed ${SEED}, concurrency ${args.concurrency}${args.rate ? `, at most ${args.rate}/s` : ""}, restarts ${RESTARTS}, step deadline ${args["step-timeout-ms"]} ms × ${args["max-attempts"]}, faults ${JSON.stringify(faults)}`,
);
let stack: Stack = await launch();
const url = stack.url;
const admin = new Api(url, await mintToken(identity, { customerId: `soak-admin-${run}`, admin: true }));
/** Each order's own customer, as the client that placed it. */
const customerOf = async (o: (typeof plan)[number]) =>
	new Api(url, await mintToken(identity, { customerId: o.body.customerId }));

let restarting: Promise<void> | null = null;
/** Requests in flight when the runtime was killed fail a little after it is back; they belong to the restart. */
const RESTART_GRACE_MS = 3_000;
let restartWindowEnds = 0;
async function restart(reason: string) {
	restarting ??= (async () => {
		process.stdout.write(`\n  ↻ killing the runtime (${reason}) and starting it again on the same state\n`);
		restartWindowEnds = Number.POSITIVE_INFINITY;
		await stack.stop("SIGKILL");
		stack = await launch();
	})().finally(() => {
		restarting = null;
		restartWindowEnds = Date.now() + RESTART_GRACE_MS;
	});
	await restarting;
}
const restartUnderWay = () => restarting !== null || Date.now() < restartWindowEnds;

/** 5xx answers and lost connections outside a restart: each one fails the soak. */
const serverFaults: string[] = [];
/** A 5xx, or no answer at all (fetch rejects with a TypeError when the connection fails). */
const serverSide = (error: unknown) => (error instanceof HttpError ? error.status >= 500 : error instanceof TypeError);

/**
 * Calls the API, riding out a runtime that is restarting (the requests are idempotent). Outside
 * a restart, a 5xx or a lost connection is a failure of the system: it is recorded and fails the soak.
 */
async function resilient<T>(what: () => Promise<T>): Promise<T> {
	for (;;) {
		try {
			if (restarting) await restarting;
			return await what();
		} catch (error) {
			if (!serverSide(error) || !restartUnderWay()) {
				if (serverSide(error)) serverFaults.push(String(error));
				throw error;
			}
			await new Promise((r) => setTimeout(r, 250));
		}
	}
}

/** Throws an HttpError for an answer other than `expected`, so that resilient() can judge it. */
function answered<R extends { status: number; text: string }>(what: string, res: R, ...expected: number[]): R {
	if (!expected.includes(res.status))
		throw new HttpError(res.status, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
	return res;
}

/** Approves a held payment as an admin; billing answers 404 until the authorization has reached it. */
async function approve(orderId: string) {
	for (const until = Date.now() + 120_000; ; ) {
		const res = await resilient(async () =>
			answered(
				"review",
				await admin.request("POST", `/admin/payments/${orderId}/review`, { decision: "approve" }),
				200,
				404,
			),
		);
		if (res.status === 200) return;
		if (Date.now() > until) throw new Error(`review of ${orderId}: the payment never reached billing`);
		await new Promise((r) => setTimeout(r, 250));
	}
}

/** Restocks, places the plan (cancelling what it must) and waits until every order is idle in the read model. */
async function drive(): Promise<number> {
	for (const sku of [...skus, scarce]) {
		await resilient(async () =>
			answered(
				`restock ${sku}`,
				await admin.request("PUT", `/inventory/${sku}`, { onHand: sku === scarce ? 0 : 100_000, unitPrice: 995 }),
				200,
			),
		);
	}

	let placed = 0;
	const progress = setInterval(() => process.stdout.write(`\r  placing: ${placed}/${N}   `), 1000);
	const placingFrom = Date.now();
	try {
		await pool(plan, Number(args.concurrency), async (o) => {
			if (args.rate) {
				const due = placingFrom + (o.index / Number(args.rate)) * 1000;
				if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
			}
			if (restartAt.has(o.index)) {
				restartAt.delete(o.index);
				void restart(`after ${placed} orders`);
			}
			const customer = await customerOf(o);
			o.id = await resilient(async () => {
				const res = await customer.request("POST", "/orders", o.body, { "idempotency-key": o.key });
				return (answered("POST /orders", res, 202).json as { id: string }).id;
			});
			if (o.kind === "cancelled") {
				await resilient(async () =>
					answered("cancel", await customer.request("POST", `/orders/${o.id}/cancel`), 202, 409),
				);
			}
			if (o.kind === "reviewed") await approve(o.id);
			placed++;
		});
	} finally {
		clearInterval(progress);
	}
	console.log(`\r  placed ${N} orders in ${((Date.now() - started) / 1000).toFixed(1)} s`);

	const idleBy = Date.now() + Number(args["idle-timeout"]) * 1000;
	let idle = 0;
	// Progress comes from the read model (a few pages), not from every order: polling 1000 order objects would load the system it measures.
	while (Date.now() < idleBy) {
		const listed = await resilient(() => readModel(admin));
		const byStatus: Record<string, number> = {};
		idle = 0;
		for (const o of listed) {
			byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
			if ((o.status === "delivered" || o.status === "cancelled") && ["completed", "compensated"].includes(o.phase))
				idle++;
		}
		process.stdout.write(`\r  settling: ${idle}/${N} idle ${JSON.stringify(byStatus)}   `);
		if (idle === N) break;
		await new Promise((r) => setTimeout(r, 2000));
	}
	console.log("");
	return idle;
}

/** The return made of each `returned` order, by order id, and how many reached `refunded`. */
const returns = new Map<string, string>();
let refunded = 0;

/** Once the orders are idle, returns each `returned` order's first line and waits until every return is refunded. */
async function returnSome(): Promise<void> {
	const returning = plan.filter((o) => o.kind === "returned");
	await pool(returning, Number(args.concurrency), async (o) => {
		const customer = await customerOf(o);
		const body = { lines: [o.body.items[0]], reason: "soak" };
		const id = await resilient(async () => {
			const res = await customer.request("POST", `/orders/${o.id}/returns`, body, {
				"idempotency-key": `${o.key}-return`,
			});
			return (answered("POST /orders/{id}/returns", res, 202).json as { id: string }).id;
		});
		returns.set(o.id, id);
	});
	const doneBy = Date.now() + Number(args["idle-timeout"]) * 1000;
	while (Date.now() < doneBy) {
		const statuses = await pool([...returns.values()], 8, (id) =>
			resilient(async () => (await admin.get<{ status: string }>(`/returns/${id}`)).status),
		);
		refunded = statuses.filter((st) => st === "refunded").length;
		process.stdout.write(`\r  returns: ${refunded}/${returns.size} refunded   `);
		if (refunded === returns.size) break;
		await new Promise((r) => setTimeout(r, 2000));
	}
	console.log("");
}

let idle = 0;
let result: ReturnType<typeof judge> | null = null;
try {
	idle = await drive();
	await returnSome();
	const check = () =>
		resilient(() => checkInvariants(admin, { orderIds: plan.map((o) => o.id), terminalWithinMs: 120_000 }));
	result = await check();
	// Events a restart lost are told again once an order has been quiet for a while (NEWS_REPUBLISH_MS,
	// 30 s): the checker is given that long, and a little more, to see them arrive.
	const settleBy = Date.now() + 60_000;
	while (!result.verdicts.every((v) => v.ok) && Date.now() < settleBy) {
		await new Promise((r) => setTimeout(r, 3000));
		result = await check();
	}
} catch (error) {
	console.error(`\nsoak aborted: ${error instanceof Error ? error.message : String(error)}`);
} finally {
	await stack.stop();
	rmSync(state, { recursive: true, force: true });
}
if (!result) {
	console.log(
		`server faults outside a restart: ${serverFaults.length ? serverFaults.join("; ") : "none"}\nsoak FAILED`,
	);
	process.exit(1);
}

const kindOf = new Map(plan.map((o) => [o.id, o.kind]));
const outcomes: Record<string, number> = {};
const unexpected: string[] = [];
const durations: number[] = [];
let sagaRetries = 0;
for (const s of result.states) {
	const o = s.order;
	const outcome = o.status === "cancelled" ? `cancelled:${o.failureReason}` : o.status;
	outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
	const kind = kindOf.get(o.id) as Kind;
	if (!EXPECTED[kind].includes(outcome)) unexpected.push(`${o.id} (${kind}) → ${outcome}`);
	const took = timeToTerminal(s);
	if (took !== null) durations.push(took);
	sagaRetries += s.history.filter((h) => h.kind === "retry").length;
}

console.log("\nverdicts");
printVerdicts(result.verdicts);
console.log(`
summary
  orders               ${N} (${idle} idle), placed with concurrency ${args.concurrency}, ${RESTARTS} restart(s)
  outcomes             ${JSON.stringify(outcomes)}
  unexpected outcomes  ${unexpected.length}${unexpected.length ? ` (${unexpected.slice(0, 5).join("; ")})` : ""}
  server faults        ${serverFaults.length} outside a restart${serverFaults.length ? ` (${serverFaults.slice(0, 3).join("; ")})` : ""}
  saga re-sends        ${sagaRetries}
  consumer retries     ${counters.consumerRetries}
  duplicates dropped   ${counters.duplicates}
  injected faults      ${counters.injected}
  dead-lettered        ${counters.deadLettered} (kept: ${result.deadLetters.length})
  returns              ${returns.size} (${refunded} refunded)
  compensations        ${result.compensationCount}
  double charges       ${result.doubleCharges}
  time to terminal     p50 ${percentile(durations, 50)} ms, p99 ${percentile(durations, 99)} ms
  wall time            ${((Date.now() - started) / 1000).toFixed(1)} s`);

const ok =
	result.verdicts.every((v) => v.ok) &&
	idle === N &&
	refunded === returns.size &&
	unexpected.length === 0 &&
	serverFaults.length === 0;
console.log(ok ? "\nsoak passed" : "\nsoak FAILED");
process.exit(ok ? 0 : 1);
