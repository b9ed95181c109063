/**
 * Fault injection for soak and fault tests: transient failures, delays, crashes after the effect,
 * duplicated and shuffled deliveries, per message type. Every decision is a pure function of the
 * seed and the message, so a failing run replays.
 *
 * The settings come only over a service binding `FAULTS` to the local faults Worker
 * (scripts/faults), which the soak adds to its own `wrangler dev` session and which is never
 * deployed: `npm run deploy` refuses a config with that binding. A variable or secret, whatever
 * its name or value, is a string and cannot be that binding, so it can never switch faults on.
 *
 * Rules are "pattern=value" lists: `FAULT_FAIL="billing.*=0.2,inventory.*=0.05"`; a pattern is a
 * type, a context prefix (`billing.*`) or `*`.
 */
import { log } from "./observability/log";

export interface FaultPlan {
	seed: number;
	/** Probability that handling a message throws before it takes effect (redelivered by the queue). */
	fail: Rules;
	/** Milliseconds added before a message is handled. */
	delayMs: Rules;
	/** Probability that a message takes effect, then its handler throws before the ack (redelivered). */
	crashAfterEffect: Rules;
	/** How many times each outgoing message is sent (1 = normal). */
	copies: Rules;
	/** A share of outgoing messages sent `burstCopies` times instead. */
	burst: Rules;
	burstCopies: number;
	shuffle: boolean;
}

type Rules = [pattern: string, value: number][];

/** What the faults Worker answers over RPC: its own `FAULT_*` variables. */
export type FaultSettings = Record<string, string | undefined>;

/** The RPC surface of the faults Worker, as the binding `FAULTS` presents it. */
export interface FaultsService {
	settings(): Promise<FaultSettings>;
}

function parseRules(text: unknown): Rules {
	if (typeof text !== "string" || text.trim() === "") return [];
	return text.split(",").map((rule) => {
		const [pattern, value] = rule.split("=").map((s) => s.trim());
		const n = Number(value);
		if (!pattern || !Number.isFinite(n)) throw new Error(`bad fault rule "${rule}"`);
		return [pattern, n];
	});
}

export function planOf(settings: FaultSettings): FaultPlan {
	return {
		seed: Number(settings.FAULT_SEED ?? 1),
		fail: parseRules(settings.FAULT_FAIL),
		delayMs: parseRules(settings.FAULT_DELAY_MS),
		crashAfterEffect: parseRules(settings.FAULT_CRASH_AFTER_EFFECT),
		copies: parseRules(settings.FAULT_DUPLICATE),
		burst: parseRules(settings.FAULT_DUPLICATE_BURST),
		burstCopies: Number(settings.FAULT_DUPLICATE_BURST_COPIES ?? 5),
		shuffle: settings.FAULT_SHUFFLE === "1",
	};
}

export function ruleFor(rules: Rules, type: string): number | undefined {
	let best: [string, number] | undefined;
	for (const r of rules) {
		const [pattern] = r;
		const matches =
			pattern === type || pattern === "*" || (pattern.endsWith(".*") && type.startsWith(pattern.slice(0, -1)));
		// The most specific rule wins: exact type, then context prefix, then "*".
		if (matches && (!best || pattern.length > best[0].length || best[0] === "*")) best = r;
	}
	return best?.[1];
}

/**
 * A var or secret is a string (or JSON data), never a function: only a service binding answers
 * `settings()`. RPC stubs answer any property with a callable, so `typeof` is the test.
 */
function isFaultsService(binding: unknown): binding is FaultsService {
	return (
		typeof binding === "object" &&
		binding !== null &&
		typeof (binding as { settings?: unknown }).settings === "function"
	);
}

async function load(env: Record<string, unknown>): Promise<FaultPlan | null> {
	const strays = Object.keys(env).filter((k) => k.startsWith("FAULT"));
	if (!isFaultsService(env.FAULTS)) {
		// Settings that look like faults but cannot enable them are worth a warning: someone tried.
		if (strays.length) log.warn("faults", "fault.refused", { outcome: "disabled", ignored: strays.join(",") });
		return null;
	}
	const plan = planOf(await env.FAULTS.settings());
	log.warn("faults", "fault.plan", { outcome: "enabled", plan: JSON.stringify(plan) });
	return plan;
}

const plans = new WeakMap<object, Promise<FaultPlan | null>>();

/** The fault plan of this Worker or object, asked once per env; null (no faults) without the FAULTS binding. */
export function faultPlan(env: object): Promise<FaultPlan | null> {
	let plan = plans.get(env);
	if (!plan) {
		plan = load(env as Record<string, unknown>);
		// A failed call is not remembered: the next message asks again.
		plan.catch(() => plans.delete(env));
		plans.set(env, plan);
	}
	return plan;
}

/** A number in [0, 1) fixed by the seed and the key: the same run makes the same choices. */
export function chance(seed: number, key: string): number {
	let h = (2166136261 ^ seed) >>> 0;
	for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
	h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
	h = Math.imul(h ^ (h >>> 13), 3266489909) >>> 0;
	return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

export const rolls = (plan: FaultPlan, rules: Rules, type: string, key: string) =>
	chance(plan.seed, key) < (ruleFor(rules, type) ?? 0);

/** How many times to send an outgoing message. */
export function copiesOf(plan: FaultPlan | null, type: string, id: string): number {
	if (!plan) return 1;
	if (rolls(plan, plan.burst, type, `burst:${id}`)) return plan.burstCopies;
	return Math.max(1, Math.round(ruleFor(plan.copies, type) ?? 1));
}

/** A deterministic shuffle of a batch, by the ids in it. */
export function shuffled<T>(plan: FaultPlan, items: readonly T[], keyOf: (t: T) => string): T[] {
	return [...items]
		.map((t) => [chance(plan.seed, `shuffle:${keyOf(t)}`), t] as const)
		.sort((a, b) => a[0] - b[0])
		.map(([, t]) => t);
}

export class InjectedFault extends Error {}
