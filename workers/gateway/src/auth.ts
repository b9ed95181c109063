import type { MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import { ProblemError, problemResponse } from "../../../shared/http/problem";
import type { Gateway } from "./vars";

export type Scope = "customer" | "admin";

/** Which scopes a token grants: the admin token can do what a customer can. */
async function scopesOf(env: GatewayEnv, token: string): Promise<Scope[]> {
	// Constant-time comparisons, both always made, so timing says nothing about either secret.
	const [admin, customer] = await Promise.all([
		timingSafeEqual(token, env.ADMIN_TOKEN ?? ""),
		timingSafeEqual(token, env.CUSTOMER_TOKEN ?? ""),
	]);
	if (admin && env.ADMIN_TOKEN) return ["admin", "customer"];
	if (customer && env.CUSTOMER_TOKEN) return ["customer"];
	return [];
}

/** Bearer-token auth: 401 without a valid token, 403 when the token lacks the scope. */
export function requireScope(scope: Scope): MiddlewareHandler<Gateway> {
	return async (c, next) => {
		const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
		const scopes = match?.[1] ? await scopesOf(c.env, match[1]) : [];
		if (scopes.length === 0) {
			// Answered here, not thrown: onError builds a fresh response, which would drop the challenge (RFC 9110 §11.6.1).
			const res = problemResponse(401, "unauthorized", "A valid bearer token is required", {}, c.req.path);
			res.headers.set("WWW-Authenticate", 'Bearer realm="edge-saga"');
			return res;
		}
		if (!scopes.includes(scope)) throw new ProblemError(403, "forbidden", `This needs the ${scope} scope`);
		c.set("principal", scopes[0] as string);
		await next();
	};
}
