/**
 * What `npm run deploy` refuses to ship: anything that could switch fault injection on. Faults come
 * only from the FAULTS binding to the local faults Worker (shared/faults.ts); FAULT_* variables
 * enable nothing any more, but a config carrying them was meant for a soak, not for production.
 */
import { FAULTS_WORKER } from "./stack.ts";

type Table = Record<string, unknown>;

const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null && !Array.isArray(v);

function refusalsIn(config: Table, where: string): string[] {
	const out: string[] = [];
	if (config.name === FAULTS_WORKER) out.push(`${where}: the faults Worker "${FAULTS_WORKER}" is local only`);
	const services = Array.isArray(config.services) ? config.services : [];
	for (const s of services.filter(isTable)) {
		if (s.binding === "FAULTS" || s.service === FAULTS_WORKER)
			out.push(`${where}: service binding ${String(s.binding)} → ${String(s.service)} would enable fault injection`);
	}
	for (const key of Object.keys(isTable(config.vars) ? config.vars : {}).filter((k) => k.startsWith("FAULT")))
		out.push(`${where}: variable ${key} is a fault setting`);
	return out;
}

/** Why a raw Wrangler config (as its file says, every environment included) must not be deployed; empty when it may. */
export function deployRefusals(raw: object, file: string): string[] {
	const config = raw as Table;
	const envs = isTable(config.env) ? Object.entries(config.env).filter((e): e is [string, Table] => isTable(e[1])) : [];
	return [...refusalsIn(config, file), ...envs.flatMap(([name, env]) => refusalsIn(env, `${file} [env.${name}]`))];
}
