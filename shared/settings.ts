import { log } from "./observability/log";

function read(env: object, name: string, fallback: number, valid: (value: number) => boolean): number {
	const raw = (env as Record<string, unknown>)[name];
	if (raw === undefined || raw === "") return fallback;
	const value = Number(raw);
	if (Number.isFinite(value) && valid(value)) return value;
	log.warn("settings", "setting.invalid", { name, value: String(raw), fallback });
	return fallback;
}

/**
 * A positive number from a Worker's [vars]. Unset means the default; a value that is not a
 * positive number is logged and the default used, so a typo never turns a bound off.
 */
export function setting(env: object, name: string, fallback: number): number {
	return read(env, name, fallback, (value) => value > 0);
}

/** As setting(), for a setting whose 0 turns something off (a cache): 0 is a value, a negative one a typo. */
export function settingOrZero(env: object, name: string, fallback: number): number {
	return read(env, name, fallback, (value) => value >= 0);
}
