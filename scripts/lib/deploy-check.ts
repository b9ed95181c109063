/**
 * What `npm run deploy` refuses to ship: anything that could switch fault injection on, a span
 * store on every order's path, and a gateway that could not verify tokens. Faults come only from the FAULTS binding to the local
 * faults Worker (shared/faults.ts); FAULT_* variables enable nothing any more, but a config
 * carrying them was meant for a soak, not for production.
 */
import { FAULTS_WORKER } from "./stack.ts";

type Table = Record<string, unknown>;

/**
 * The most of the traces a deployed telemetry Worker may keep in its one SpanStore object. An order
 * makes some 20 Tail invocations; at 10,000 orders/s a share of 0.001 is some 200 writes/s to the
 * store, well under a Durable Object's ~1,000 requests/s.
 */
export const MAX_SPAN_STORE_SAMPLE_RATE = 0.001;

const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null && !Array.isArray(v);

function refusalsIn(config: Table, where: string): string[] {
	const out: string[] = [];
	if (config.name === FAULTS_WORKER) out.push(`${where}: the faults Worker "${FAULTS_WORKER}" is local only`);
	const services = Array.isArray(config.services) ? config.services : [];
	for (const s of services.filter(isTable)) {
		if (s.binding === "FAULTS" || s.service === FAULTS_WORKER)
			out.push(`${where}: service binding ${String(s.binding)} → ${String(s.service)} would enable fault injection`);
	}
	const vars = isTable(config.vars) ? config.vars : {};
	for (const key of Object.keys(vars).filter((k) => k.startsWith("FAULT")))
		out.push(`${where}: variable ${key} is a fault setting`);
	const storeRate = vars.SPAN_STORE_SAMPLE_RATE;
	if (storeRate !== undefined && !(Number(storeRate) <= MAX_SPAN_STORE_SAMPLE_RATE))
		out.push(
			`${where}: SPAN_STORE_SAMPLE_RATE ${String(storeRate)} is above ${MAX_SPAN_STORE_SAMPLE_RATE}: the span store is one object, it must not be on every order's path (send spans to OTLP_ENDPOINT instead)`,
		);
	out.push(...deletedButBound(config, where));
	return out;
}

/**
 * A migration that deletes a Durable Object class deletes every object of it and its data (the
 * Stockroom, when stock moved to one object per SKU): refused while a binding still names the class.
 */
function deletedButBound(config: Table, where: string): string[] {
	const objects = isTable(config.durable_objects) ? config.durable_objects : {};
	const bound = new Set(
		(Array.isArray(objects.bindings) ? objects.bindings : []).filter(isTable).map((b) => String(b.class_name)),
	);
	const deleted = (Array.isArray(config.migrations) ? config.migrations : [])
		.filter(isTable)
		.flatMap((m) => (Array.isArray(m.deleted_classes) ? m.deleted_classes.map(String) : []));
	return deleted
		.filter((c) => bound.has(c))
		.map((c) => `${where}: a migration deletes ${c}, and its data with it, while a binding still uses it`);
}

/** Why a raw Wrangler config (as its file says, every environment included) must not be deployed; empty when it may. */
export function deployRefusals(raw: object, file: string): string[] {
	const config = raw as Table;
	const envs = isTable(config.env) ? Object.entries(config.env).filter((e): e is [string, Table] => isTable(e[1])) : [];
	return [...refusalsIn(config, file), ...envs.flatMap(([name, env]) => refusalsIn(env, `${file} [env.${name}]`))];
}

/** The gateway's identity settings: without all three it cannot verify a token, so it must not ship. */
export const AUTH_SETTINGS = ["AUTH_JWKS_URL", "AUTH_ISSUER", "AUTH_AUDIENCE"] as const;

/** The identity settings a deploy ships: the config's `[vars]`, each overridden by an environment variable of the same name. */
export function authSettings(raw: object, environment: Record<string, string | undefined>): Record<string, string> {
	const vars = isTable((raw as Table).vars) ? ((raw as Table).vars as Table) : {};
	return Object.fromEntries(
		AUTH_SETTINGS.map((name) => [name, String(environment[name] || (vars[name] ?? "")).trim()] as const),
	);
}

const isLocalHost = (host: string) =>
	host === "localhost" || host.endsWith(".localhost") || /^127\./.test(host) || host === "[::1]";

/**
 * Why the gateway must not be deployed with these settings: a missing identity setting, a key set
 * not fetched over HTTPS from a public host, or a rate limit whose Retry-After would not match it.
 */
export function gatewayRefusals(raw: object, file: string, settings: Record<string, string>): string[] {
	const out: string[] = [];
	for (const name of AUTH_SETTINGS)
		if (!settings[name]) out.push(`${file}: ${name} is not set (the gateway could verify no token)`);
	const jwks = settings.AUTH_JWKS_URL;
	if (jwks) {
		const url = URL.parse(jwks);
		if (url?.protocol !== "https:") out.push(`${file}: AUTH_JWKS_URL must be an https URL, not ${jwks}`);
		else if (isLocalHost(url.hostname)) out.push(`${file}: AUTH_JWKS_URL points at this machine (${url.host})`);
	}
	const config = raw as Table;
	const limiter = (Array.isArray(config.ratelimits) ? config.ratelimits : [])
		.filter(isTable)
		.find((r) => r.name === "ORDER_RATE_LIMIT");
	const period = isTable(limiter?.simple) ? limiter.simple.period : undefined;
	const vars = isTable(config.vars) ? config.vars : {};
	if (!limiter) out.push(`${file}: the ORDER_RATE_LIMIT rate limit is missing`);
	else if (String(period) !== String(vars.ORDER_RATE_LIMIT_PERIOD))
		out.push(
			`${file}: ORDER_RATE_LIMIT_PERIOD (${String(vars.ORDER_RATE_LIMIT_PERIOD)}) differs from the rate limit's period (${String(period)})`,
		);
	return out;
}
