import type { MiddlewareHandler } from "hono";
import { ProblemError, problemResponse } from "../../../shared/http/problem";
import { TokenRefused, verifyToken } from "./identity";
import type { Gateway } from "./vars";

export type Scope = "customer" | "admin";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

function unauthorized(path: string, detail: string): Response {
	// Answered here, not thrown: onError builds a fresh response, which would drop the challenge (RFC 9110 §11.6.1).
	const res = problemResponse(401, "unauthorized", "A valid bearer token is required", { detail }, path);
	const error = detail === "No bearer token" ? "" : ', error="invalid_token"';
	res.headers.set("WWW-Authenticate", `Bearer realm="edge-saga"${error}`);
	return res;
}

/**
 * Bearer JWT auth: 401 without a token that verifies, 403 when the route needs the admin scope and
 * the token lacks it. Every verified caller is a customer (its `sub`); an admin can also do what a
 * customer can, on every customer's orders.
 */
export function requireScope(scope: Scope): MiddlewareHandler<Gateway> {
	return async (c, next) => {
		const token = BEARER.exec(c.req.header("authorization") ?? "")?.[1];
		if (!token) return unauthorized(c.req.path, "No bearer token");
		try {
			c.set("caller", await verifyToken(c.env, token));
		} catch (error) {
			if (error instanceof TokenRefused) return unauthorized(c.req.path, error.message);
			throw error;
		}
		if (scope === "admin" && !c.get("caller").admin)
			throw new ProblemError(403, "forbidden", "This needs the admin scope");
		await next();
	};
}
