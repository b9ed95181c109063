import { log } from "./observability/log";

/**
 * A positive number from a Worker's [vars]. Unset means the default; a value that is not a
 * positive number is logged and the default used, so a typo never turns a bound off.
 */
export function setting(env: object, name: string, fallback: number): number {
	const raw = (env as Record<string, unknown>)[name];
	if (raw === undefined || raw === "") return fallback;
	const value = Number(raw);
	if (Number.isFinite(value) && value > 0) return value;
	log.warn("settings", "setting.invalid", { name, value: String(raw), fallback });
	return fallback;
}
