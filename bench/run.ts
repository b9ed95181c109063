/**
 * `npm run bench`: the OrderSaga against the same saga as a Cloudflare Workflow, side by side, in
 * one local runtime and one run, interleaved level by level so machine drift hits both; plus the
 * ceiling (a bare Worker → Durable Object RPC round trip).
 *
 *   npm run bench -- [--levels 1,8,32,64] [--count 64] [--out bench/results]   full run
 *   npm run bench -- --smoke                                                   a handful per system (CI)
 *   npm run bench -- --memory 10000 [--rate 15]                                RSS growth per 1,000 orders, and the bare-object floor
 *   npm run bench -- --capacity [--count 64]                                   orders/s on Cloudflare, kind by kind
 *   npm run bench -- --hot-sku [--orders 500] [--units 100] [--skus 50]        one hot SKU against spread SKUs (hot-sku.ts)
 *   npm run bench -- --hot-sku --burst [--orders 500] [--skus 50]              500 orders at once on default deadlines
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Api, percentile, pool } from "../scripts/lib/api.ts";
import { loadOrCreateIdentity, mintToken } from "../scripts/lib/identity.ts";
import { exitOnInterrupt, freePort, ROOT, type Stack, startStack, WORKER_CONFIGS } from "../scripts/lib/stack.ts";
import { capacityReport } from "./capacity.ts";
import { chartSvg } from "./chart.ts";
import { costPerMillion, PRICES, PRICES_AS_OF, type Usage } from "./cost.ts";
import { machineBusySeconds, processTree, type Sample, sampleTree } from "./proc.ts";

exitOnInterrupt();

// A mode of its own, with its own stack and options.
if (process.argv.includes("--hot-sku")) {
	await import("./hot-sku.ts");
	process.exit();
}

const { values: args } = parseArgs({
	options: {
		levels: { type: "string", default: "1,8,32,64" },
		count: { type: "string", default: "64" },
		smoke: { type: "boolean", default: false },
		memory: { type: "string" },
		capacity: { type: "boolean", default: false },
		rate: { type: "string", default: "15" },
		out: { type: "string", default: "bench/results" },
	},
});

const SYSTEMS = ["ours", "workflows"] as const;
type System = (typeof SYSTEMS)[number];
/**
 * Measured beside the two systems at each level: the contexts alone (the same six commands called
 * straight from a request, nothing kept: the least any orchestrator of them pays) and the ceiling.
 */
type Measured = System | "contexts" | "ceiling";

const levels = args.smoke ? [2] : (args.levels ?? "1").split(",").map(Number);
const count = args.smoke ? 4 : Number(args.count);
const SKU = "BENCH-SKU";
const PRICE = 1000;

const state = mkdtempSync(join(tmpdir(), "edge-saga-bench-"));
const identity = await loadOrCreateIdentity(join(state, "identity"));
/** The front door, both systems and the contexts in one runtime, its state under `persistTo`. */
const benchStack = async (persistTo: string): Promise<Stack> =>
	startStack({
		port: await freePort(),
		persistTo,
		identity,
		configs: ["bench/front/wrangler.toml", ...WORKER_CONFIGS, "bench/peers/workflow/wrangler.toml"],
		// Deadlines as in the soak, fit for a loaded runtime; the Workflow's steps retry on their own schedule.
		// No news watch, as deployed: the bench never restarts the runtime, and a watch firing 30–40 s
		// after an order would land in a later run's counters, often the other system's.
		workerVars: { SAGA_STEP_TIMEOUT_MS: "5000", SAGA_MAX_ATTEMPTS: "5", NEWS_REPUBLISH_MS: "0" },
		output: () => {},
	});
const stack = await benchStack(state);
const admin = new Api(`${stack.url}/ours`, await mintToken(identity, { customerId: "bench-admin", admin: true }));
let customers = 0;
/** A customer of its own per order: the per-customer rate limit is not what the bench measures. */
const newCustomer = async () => {
	const customerId = `bench-${++customers}`;
	return { customerId, token: await mintToken(identity, { customerId }) };
};
const front = new Api(stack.url, "");
const root = stack.process.pid as number;

await admin.request("PUT", `/inventory/${SKU}`, { onHand: 1_000_000_000, unitPrice: PRICE });

const address = { name: "Bench", line1: "1 Load St", city: "Paris", postalCode: "75001", country: "FR" };
let seq = 0;
const orderId = () => `ord_${(Date.now() * 1000 + ++seq).toString(16).padStart(24, "0").slice(-24)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Places one order and, unless its answer already says how it went, polls until it is confirmed (or
 * cancelled); returns the milliseconds it took. Both systems answer the placement with the outcome
 * reached meanwhile (ours its first relay pass's, the Workflow's at its pivot), and a client reads
 * that answer rather than asking again for what it was just told.
 */
async function oneSaga(system: System | "contexts", placed?: (id: string, token: string) => void): Promise<number> {
	// Signing the token is the identity provider's work, not the system's: it is done before the clock starts.
	const customer = await newCustomer();
	const started = performance.now();
	let res: Awaited<ReturnType<typeof front.request>>;
	if (system === "ours") {
		res = await front.request(
			"POST",
			"/ours/orders",
			{ items: [{ sku: SKU, quantity: 1 }], shippingAddress: address, paymentToken: "tok_visa" },
			{ "idempotency-key": `bench-${orderId()}`, authorization: `Bearer ${customer.token}` },
		);
	} else {
		const body = { orderId: orderId(), items: [{ sku: SKU, quantity: 1, unitPrice: PRICE }], shippingAddress: address };
		const path = system === "contexts" ? "/peer/contexts-only/orders" : "/peer/orders";
		res = await front.request("POST", path, { ...body, paymentToken: "tok_visa" });
	}
	if (res.status !== (system === "contexts" ? 200 : 202)) throw new Error(`${system}: ${res.status} ${res.text}`);
	const order = res.json as { id: string; status: string };
	placed?.(order.id, customer.token);
	if (order.status !== "pending") return settledAt(system, order.id, order.status, started);
	const path = system === "ours" ? `/ours/orders/${order.id}` : `/peer/orders/${order.id}`;
	for (;;) {
		const poll = await front.request("GET", path, undefined, { authorization: `Bearer ${customer.token}` });
		const status = (poll.json as { status?: string } | undefined)?.status;
		if (status && status !== "pending") return settledAt(system, order.id, status, started);
		await sleep(20);
	}
}

function settledAt(system: System | "contexts", id: string, status: string, started: number): number {
	if (status === "cancelled") throw new Error(`${system}: order ${id} was cancelled`);
	return performance.now() - started;
}

async function usageOf(system: System | "contexts"): Promise<Usage> {
	// The contexts serve both systems; runs are sequential, so a run's deltas are its own.
	const contexts = await admin.get<Usage>("/admin/usage");
	if (system === "ours") return contexts;
	const peer = await front.get<Usage>("/peer/admin/usage");
	return { ...contexts, workerRequests: peer.workerRequests, workflowSteps: peer.workflowSteps };
}

const QUIET_MS = 6000;
const SETTLE_LIMIT_MS = 60_000;
const activity = (u: Usage) =>
	u.doRequests + u.sqlRowsWritten + u.d1Statements + u.queueReads + u.queueAcks + u.queueWrites + u.workflowSteps;

/**
 * A saga goes on after `confirmed` (capture, commit and pickup confirmation; for shipping, the
 * carrier's legs and the events they publish), so a run's own work is waited out before its CPU
 * and counters are read: otherwise it lands in the next run, which is often the other system's.
 * Quiet means no counter moved for longer than the longest gap inside a saga (a step deadline
 * firing after its reply, a carrier leg); CPU is read at the last movement, so the idle wait and
 * this polling after it are not charged to the sagas.
 */
async function settle(system: System | "contexts"): Promise<{ usage: Usage; sample: Sample }> {
	const limit = performance.now() + SETTLE_LIMIT_MS;
	let usage = await usageOf(system);
	let sample = sampleTree(processTree(root));
	let quietSince = performance.now();
	while (performance.now() - quietSince < QUIET_MS && performance.now() < limit) {
		await sleep(500);
		const next = await usageOf(system);
		if (activity(next) !== activity(usage)) {
			usage = next;
			sample = sampleTree(processTree(root));
			quietSince = performance.now();
		}
	}
	return { usage, sample };
}

type ByService = Record<string, Usage>;
const usageByService = () => front.get<ByService>("/usage-by-service");

/** Per order and per context: where the rows, object requests and queue operations are spent. */
function perServiceDelta(a: ByService, b: ByService, n: number): ByService {
	return Object.fromEntries(
		Object.keys(b).map((name) => [name, perOrderDelta(a[name] ?? ({} as Usage), b[name] as Usage, n)]),
	);
}

/** Per order: what each counter moved by between two readings, divided by the orders of the run. */
function perOrderDelta(a: Usage, b: Usage, n: number): Usage {
	const out = {} as Usage;
	// A Worker's answer also names the Worker (`service`): only the counters are differenced.
	for (const k of Object.keys(b) as (keyof Usage)[])
		if (typeof b[k] === "number") out[k] = ((b[k] ?? 0) - (a[k] ?? 0)) / n;
	return out;
}

interface Result {
	system: Measured;
	level: number;
	completed: number;
	seconds: number;
	throughput: number;
	p50: number;
	p95: number;
	p99: number;
	cpuPerSaga: number;
	/** Share of the CPU spent in workerd (the runtime itself) rather than in wrangler's node process. */
	workerdShare: number;
	peakRssMb: number;
	/**
	 * Cores kept busy by processes outside the bench during the run (tests, builds): on a shared
	 * machine this tells a disturbed run from a clean one.
	 */
	otherCores: number;
	perOrder?: Usage;
	/** The same counters per context (the contexts serve both systems; the peer's own Worker is not among them). */
	byService?: ByService;
	dollarsPerMillion?: number;
}

async function measure(system: Measured, level: number, n: number): Promise<Result> {
	const before = sampleTree(processTree(root));
	const machineBefore = machineBusySeconds();
	const benchBefore = process.cpuUsage();
	const usageBefore = system === "ceiling" ? null : await usageOf(system);
	const servicesBefore = system === "ceiling" ? null : await usageByService();
	let peak = before.rssBytes;
	const sampler = setInterval(() => {
		peak = Math.max(peak, sampleTree(processTree(root)).rssBytes);
	}, 250);
	const started = performance.now();
	const latencies = await pool(Array.from({ length: n }), level, async () => {
		if (system !== "ceiling") return oneSaga(system);
		const t = performance.now();
		const res = await front.request("GET", `/ceiling/${orderId()}`);
		if (res.status !== 200) throw new Error(`ceiling: ${res.status}`);
		return performance.now() - t;
	});
	const seconds = (performance.now() - started) / 1000;
	const settled = system === "ceiling" ? null : await settle(system);
	clearInterval(sampler);
	const after: Sample = settled?.sample ?? sampleTree(processTree(root));
	const machineBusy = machineBusySeconds() - machineBefore;
	const benchCpu = process.cpuUsage(benchBefore);
	const wall = (performance.now() - started) / 1000;
	const ownBusy =
		sampleTree(processTree(root)).cpuSeconds - before.cpuSeconds + (benchCpu.user + benchCpu.system) / 1e6;
	const perOrder = usageBefore && settled ? perOrderDelta(usageBefore, settled.usage, n) : undefined;
	const byService = servicesBefore ? perServiceDelta(servicesBefore, await usageByService(), n) : undefined;
	const cpuPerSaga = (after.cpuSeconds - before.cpuSeconds) / n;
	const workerdCpu = (after.cpuByName.workerd ?? 0) - (before.cpuByName.workerd ?? 0);
	return {
		system,
		level,
		completed: n,
		seconds,
		throughput: n / seconds,
		p50: percentile(latencies, 50),
		p95: percentile(latencies, 95),
		p99: percentile(latencies, 99),
		cpuPerSaga,
		workerdShare: workerdCpu / Math.max(after.cpuSeconds - before.cpuSeconds, 1e-9),
		peakRssMb: peak / 1024 / 1024,
		otherCores: Math.max(0, machineBusy - ownBusy) / wall,
		...(byService ? { byService } : {}),
		...(perOrder
			? { perOrder, dollarsPerMillion: costPerMillion(system as Exclude<Measured, "ceiling">, perOrder, cpuPerSaga) }
			: {}),
	};
}

const fmt = (n: number | undefined, digits = 1) => (n === undefined || Number.isNaN(n) ? "–" : n.toFixed(digits));

async function fullRun() {
	const results: Result[] = [];
	const measured = [...SYSTEMS, "contexts"] as const;
	// A warm-up of each, not reported: first requests compile code and create tables.
	for (const system of measured) await measure(system, 2, 4);
	for (const [i, level] of levels.entries()) {
		// Rotate which goes first, so a slow spell of the machine does not always hit the same one.
		const order = measured.map((_, k) => measured[(i + k) % measured.length] as (typeof measured)[number]);
		for (const system of [...order, "ceiling" as const]) {
			const n = system === "ceiling" ? count * 4 : count;
			process.stdout.write(`  level ${level}: ${system} × ${n} … `);
			const r = await measure(system, level, n);
			results.push(r);
			console.log(
				`${fmt(r.throughput)}/s, p50 ${fmt(r.p50, 0)} ms, p99 ${fmt(r.p99, 0)} ms, CPU ${fmt(r.cpuPerSaga * 1000)} ms/saga, other load ${fmt(r.otherCores, 2)} cores`,
			);
		}
	}
	return results;
}

function report(results: Result[]): string {
	const rows = [
		"| level | system | sagas/s | p50 ms | p95 ms | p99 ms | CPU ms/saga | in workerd | peak RSS MB | other load (cores) | queue ops/order | DO req/order | rows written/order | D1 stmts/order | wf steps/order | $/M orders |",
		"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
	];
	for (const r of results) {
		const u = r.perOrder;
		rows.push(
			`| ${r.level} | ${r.system} | ${fmt(r.throughput)} | ${fmt(r.p50, 0)} | ${fmt(r.p95, 0)} | ${fmt(r.p99, 0)} | ${fmt(r.cpuPerSaga * 1000)} | ${fmt(r.workerdShare * 100, 0)} % | ${fmt(r.peakRssMb, 0)} | ${fmt(r.otherCores, 2)} | ${u ? fmt(u.queueWrites + u.queueReads + u.queueAcks) : "–"} | ${u ? fmt(u.doRequests) : "–"} | ${u ? fmt(u.sqlRowsWritten) : "–"} | ${u ? fmt(u.d1Statements) : "–"} | ${u ? fmt(u.workflowSteps) : "–"} | ${r.dollarsPerMillion !== undefined ? `$${fmt(r.dollarsPerMillion, 2)}` : "–"} |`,
		);
	}
	const ratios = [
		"| level | throughput ours/wf | p50 ours/wf | p99 ours/wf | CPU ours/wf | $ ours/wf | ours p50 / ceiling p50 |",
		"|---|---|---|---|---|---|---|",
	];
	const floors = [
		"| level | CPU contexts/wf | $ contexts/wf | CPU above contexts, ours/wf | $ above contexts, ours/wf |",
		"|---|---|---|---|---|",
	];
	const dollars = (r: Result) => r.dollarsPerMillion ?? Number.NaN;
	for (const level of levels) {
		const at = (system: Measured) => results.find((r) => r.level === level && r.system === system);
		const [o, w, c, x] = [at("ours"), at("workflows"), at("ceiling"), at("contexts")];
		if (!o || !w) continue;
		ratios.push(
			`| ${level} | ${fmt(o.throughput / w.throughput, 2)} | ${fmt(o.p50 / w.p50, 2)} | ${fmt(o.p99 / w.p99, 2)} | ${fmt(o.cpuPerSaga / w.cpuPerSaga, 2)} | ${fmt(dollars(o) / dollars(w), 2)} | ${c ? fmt(o.p50 / c.p50, 1) : "–"} |`,
		);
		if (x)
			floors.push(
				`| ${level} | ${fmt(x.cpuPerSaga / w.cpuPerSaga, 2)} | ${fmt(dollars(x) / dollars(w), 2)} | ${fmt((o.cpuPerSaga - x.cpuPerSaga) / (w.cpuPerSaga - x.cpuPerSaga), 2)} | ${fmt((dollars(o) - dollars(x)) / (dollars(w) - dollars(x)), 2)} |`,
			);
	}
	const split = [
		"| level | system | context | rows written/order | DO req/order | D1 stmts/order | queue reads+acks/order |",
		"|---|---|---|---|---|---|---|",
	];
	for (const r of results)
		for (const [name, u] of Object.entries(r.byService ?? {}))
			split.push(
				`| ${r.level} | ${r.system} | ${name} | ${fmt(u.sqlRowsWritten)} | ${fmt(u.doRequests)} | ${fmt(u.d1Statements)} | ${fmt(u.queueReads + u.queueAcks)} |`,
			);
	const best = (s: System) => Math.max(...results.filter((r) => r.system === s).map((r) => r.throughput));
	return [
		rows.join("\n"),
		"",
		"Ratios (ours / Workflows; below 1 is better for latency, CPU and cost, above 1 for throughput):",
		"",
		ratios.join("\n"),
		"",
		"The contexts alone (the same six commands called straight from a request, nothing kept, answered at the pivot) are the least any orchestrator of them pays: contexts/wf is the lowest ratio to Workflows any system calling these contexts could reach; above contexts, ours/wf compares what each orchestrator adds to them:",
		"",
		floors.join("\n"),
		"",
		"Where the work goes, per context (counted by each context; the peer's PeerOrder object is modelled, not counted):",
		"",
		split.join("\n"),
		"",
		`Best throughput: ours ${fmt(best("ours"))}/s, Workflows ${fmt(best("workflows"))}/s, ratio ${fmt(best("ours") / best("workflows"), 2)}.`,
		"",
		`Prices (USD, Workers Paid, as published by Cloudflare; as of ${PRICES_AS_OF}): ${Object.entries(PRICES)
			.map(([k, v]) => `${k} $${v}/M`)
			.join(", ")}.`,
	].join("\n");
}

/** RSS of the runtime sampled while `count` pieces of work start at `rate` per second; its growth after warm-up. */
async function rssGrowth(
	label: string,
	runtime: number,
	count: number,
	rate: number,
	work: (i: number) => Promise<boolean>,
) {
	const samples: { done: number; rssMb: number }[] = [];
	let done = 0;
	let failed = 0;
	const started = performance.now();
	const sampler = setInterval(() => {
		samples.push({ done, rssMb: sampleTree(processTree(runtime)).rssBytes / 1024 / 1024 });
		process.stdout.write(`\r  memory: ${label} ${done}/${count}, RSS ${fmt(samples.at(-1)?.rssMb, 0)} MB   `);
	}, 2000);
	await pool(Array.from({ length: count }), 16, async (_, i) => {
		const due = started + (i / rate) * 1000;
		if (due > performance.now()) await sleep(due - performance.now());
		if (await work(i)) done++;
		else failed++;
	});
	await sleep(20_000);
	clearInterval(sampler);
	samples.push({ done, rssMb: sampleTree(processTree(runtime)).rssBytes / 1024 / 1024 });
	// Growth after warm-up: a least-squares line through the samples past the first fifth (at most 2,000).
	const warm = samples.filter((s) => s.done >= Math.min(2000, count / 5));
	const n = warm.length;
	const mx = warm.reduce((a, s) => a + s.done, 0) / n;
	const my = warm.reduce((a, s) => a + s.rssMb, 0) / n;
	const slope =
		warm.reduce((a, s) => a + (s.done - mx) * (s.rssMb - my), 0) / warm.reduce((a, s) => a + (s.done - mx) ** 2, 0);
	return {
		count,
		failed,
		rate,
		samples,
		growthMbPer1000: slope * 1000,
		firstMb: samples[0]?.rssMb,
		lastMb: samples.at(-1)?.rssMb,
	};
}

/** The objects with SQLite an order of ours creates: its saga, its payment and its shipment (a SKU's is shared). */
const OBJECTS_PER_ORDER = 3;

/**
 * RSS growth per 1,000 orders, then the floor in the same run: as many bare SQLite objects (one
 * table, one row) as those orders created, so the growth is read against what the runtime needs
 * for the objects alone. The floor runs on a fresh runtime of its own, as the orders did: in the
 * runtime the orders have grown, bare objects reuse the memory their evicted objects freed and
 * would seem to cost a tenth of what they cost from a fresh start.
 */
async function memoryRun(orders: number, rate: number) {
	const started = Date.now();
	const ours = await rssGrowth("orders", root, orders, rate, async (i) => {
		const customer = await newCustomer();
		const res = await front.request(
			"POST",
			"/ours/orders",
			{ items: [{ sku: SKU, quantity: 1 }], shippingAddress: address, paymentToken: "tok_visa" },
			{ "idempotency-key": `memory-${i}-${started}`, authorization: `Bearer ${customer.token}` },
		);
		return res.status === 202;
	});
	const objects = orders * OBJECTS_PER_ORDER;
	// The orders' runtime stops first, so the floor's has the machine to itself.
	await stack.stop();
	const floorState = mkdtempSync(join(tmpdir(), "edge-saga-bench-floor-"));
	const floorStack = await benchStack(floorState);
	const floorFront = new Api(floorStack.url, "");
	const bare = await rssGrowth(
		"bare objects",
		floorStack.process.pid as number,
		objects,
		rate * OBJECTS_PER_ORDER,
		async (i) => (await floorFront.request("GET", `/bare/${started}-${i}`)).status === 200,
	).finally(async () => {
		await floorStack.stop();
		rmSync(floorState, { recursive: true, force: true });
	});
	return {
		orders,
		rate,
		ours,
		bare: {
			...bare,
			objectsPerOrder: OBJECTS_PER_ORDER,
			growthMbPer1000Orders: bare.growthMbPer1000 * OBJECTS_PER_ORDER,
		},
	};
}

const machine = `${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${fmt(totalmem() / 1024 ** 3, 0)} GiB`;
const command = `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim();
try {
	mkdirSync(join(ROOT, args.out ?? "bench/results"), { recursive: true });
	if (args.capacity) {
		console.log(
			`capacity: ${count} orders at level 8 for the counters, then one object of each kind probed, on ${machine}`,
		);
		await measure("ours", 2, 4);
		const run = await measure("ours", 8, count);
		// Local req/s below move with whatever else runs on this machine: this says how much did.
		console.log(`  counted run: ${fmt(run.throughput)} orders/s, other load ${fmt(run.otherCores, 2)} cores`);
		let ids = { orderId: "", sku: SKU, token: "" };
		await oneSaga("ours", (orderId, token) => {
			ids = { ...ids, orderId, token };
		});
		const customer = new Api(`${stack.url}/ours`, ids.token);
		console.log(`\n${await capacityReport(run.perOrder as unknown as Record<string, number>, customer, ids)}`);
	} else if (args.memory) {
		const m = await memoryRun(Number(args.memory), Number(args.rate));
		const floor = m.bare.growthMbPer1000Orders;
		console.log(
			[
				"",
				`  ours: RSS ${fmt(m.ours.firstMb, 0)} → ${fmt(m.ours.lastMb, 0)} MB over ${m.orders} orders at ${m.rate}/s (${m.ours.failed} failed); growth after warm-up ${fmt(m.ours.growthMbPer1000, 2)} MB per 1,000 orders`,
				`  floor: ${m.bare.count} bare SQLite objects (${OBJECTS_PER_ORDER} per order) at ${m.bare.rate}/s on a fresh runtime (${m.bare.failed} failed): ${fmt(floor, 2)} MB per 1,000 orders' worth`,
				`  ours / floor: ${fmt(m.ours.growthMbPer1000 / floor, 2)} (target ≤ 1)`,
			].join("\n"),
		);
		writeFileSync(
			join(ROOT, args.out ?? "bench/results", "memory.json"),
			JSON.stringify({ date: new Date().toISOString(), machine, command, ...m }, null, 2),
		);
	} else {
		console.log(`bench: levels ${levels.join(", ")}, ${count} sagas per system per level, on ${machine}`);
		const results = await fullRun();
		const table = report(results);
		console.log(`\n${table}`);
		if (!args.smoke) {
			const dir = join(ROOT, args.out ?? "bench/results");
			writeFileSync(
				join(dir, "latest.json"),
				JSON.stringify({ date: new Date().toISOString(), machine, command, results }, null, 2),
			);
			writeFileSync(
				join(dir, "latest.md"),
				`Run ${new Date().toISOString()} on ${machine}: \`${command}\`\n\n${table}\n`,
			);
			writeFileSync(join(dir, "latency-throughput.svg"), chartSvg(results));
		}
	}
} finally {
	await stack.stop();
	rmSync(state, { recursive: true, force: true });
}
