/**
 * Fault injection for soak and fault tests: transient failures, delays, crashes after the effect,
 * duplicated and shuffled deliveries, per message type. Off unless FAULT_INJECTION is exactly
 * "local-testing", which no wrangler.toml sets: only `wrangler dev --var` (the soak runner) does.
 * Every decision is a pure function of the seed and the message, so a failing run replays.
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

const ENABLE_VALUE = "local-testing";

function parseRules(text: unknown): Rules {
	if (typeof text !== "string" || text.trim() === "") return [];
	return text.split(",").map((rule) => {
		const [pattern, value] = rule.split("=").map((s) => s.trim());
		const n = Number(value);
		if (!pattern || !Number.isFinite(n)) throw new Error(`bad fault rule "${rule}"`);
		return [pattern, n];
	});
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

const plans = new WeakMap<object, FaultPlan | null>();

export function faultPlan(env: object): FaultPlan | null {
	const cached = plans.get(env);
	if (cached !== undefined) return cached;
	const vars = env as Record<string, unknown>;
	let plan: FaultPlan | null = null;
	if (vars.FAULT_INJECTION === ENABLE_VALUE) {
		plan = {
			seed: Number(vars.FAULT_SEED ?? 1),
			fail: parseRules(vars.FAULT_FAIL),
			delayMs: parseRules(vars.FAULT_DELAY_MS),
			crashAfterEffect: parseRules(vars.FAULT_CRASH_AFTER_EFFECT),
			copies: parseRules(vars.FAULT_DUPLICATE),
			burst: parseRules(vars.FAULT_DUPLICATE_BURST),
			burstCopies: Number(vars.FAULT_DUPLICATE_BURST_COPIES ?? 5),
			shuffle: vars.FAULT_SHUFFLE === "1",
		};
		log.warn("faults", "fault.plan", { outcome: "enabled", plan: JSON.stringify(plan) });
	} else if (vars.FAULT_INJECTION !== undefined) {
		log.warn("faults", "fault.refused", { outcome: "disabled", reason: `FAULT_INJECTION must be "${ENABLE_VALUE}"` });
	}
	plans.set(env, plan);
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
