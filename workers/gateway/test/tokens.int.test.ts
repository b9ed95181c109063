import { generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from "../../../scripts/lib/tokens";
import { bearer, call, identity } from "./gateway";

/**
 * Every token the gateway must refuse, verified against the JWKS the identity-provider Worker
 * serves (vitest.config.ts). A refusal is a 401 problem+json with a Bearer challenge, and says
 * why in `detail` without naming what was expected.
 */
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
	iss: LOCAL_ISSUER,
	aud: LOCAL_AUDIENCE,
	sub: "cust-tokens",
	iat: now(),
	exp: now() + 600,
	...extra,
});

async function expectRefused(authorization: string, detail: RegExp) {
	const res = await call("GET", "/orders", { auth: authorization });
	expect(res.status, JSON.stringify(res.json)).toBe(401);
	expect(res.headers.get("content-type")).toBe("application/problem+json");
	expect(res.headers.get("www-authenticate")).toBe('Bearer realm="edge-saga", error="invalid_token"');
	expect(res.json).toMatchObject({ status: 401, code: "unauthorized", type: "/problems/unauthorized" });
	expect(res.json.detail).toMatch(detail);
	expect(JSON.stringify(res.json)).not.toContain(LOCAL_AUDIENCE);
}

/** A key the identity provider never published. */
const strangerKey = await generateKeyPair("ES256");

const base64url = (value: unknown) =>
	btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

describe("tokens the gateway accepts", () => {
	it("lets a customer's token in, as that customer", async () => {
		const res = await call("GET", "/orders", { auth: await bearer("cust-tokens") });
		expect(res.status).toBe(200);
		expect(res.json).toMatchObject({ items: [] });
	});

	it("takes the admin scope from a space-separated scope claim, and nothing else", async () => {
		const admin = await bearer("ops-2", { claims: { scope: "orders:read admin" } });
		expect((await call("GET", "/admin/usage", { auth: admin })).status).toBe(200);
		for (const scope of ["administrator", "orders:admin", ""]) {
			const res = await call("GET", "/admin/usage", { auth: await bearer("ops-3", { claims: { scope } }) });
			expect(res.status, scope).toBe(403);
			expect(res.json).toMatchObject({ code: "forbidden" });
		}
		// A role elsewhere in the token is not the scope.
		const res = await call("GET", "/admin/usage", { auth: await bearer("ops-4", { claims: { roles: ["admin"] } }) });
		expect(res.status).toBe(403);
	});
});

describe("tokens the gateway refuses with 401", () => {
	it("an expired token", async () => {
		await expectRefused(await bearer("cust-tokens", { claims: { iat: now() - 7200, exp: now() - 60 } }), /expired/);
	});

	it("a token that is not valid yet", async () => {
		await expectRefused(await bearer("cust-tokens", { claims: { nbf: now() + 600 } }), /not valid yet/);
	});

	it("a token for another audience", async () => {
		await expectRefused(await bearer("cust-tokens", { claims: { aud: "urn:someone-else" } }), /audience/);
	});

	it("a token from another issuer", async () => {
		await expectRefused(await bearer("cust-tokens", { claims: { iss: "urn:evil-idp" } }), /issued by someone else/);
	});

	it("an unsigned token (alg none)", async () => {
		await expectRefused(`Bearer ${new UnsecuredJWT(claims()).encode()}`, /algorithm|malformed/);
		// The same, with the kid of the real key and an empty signature.
		const forged = `${base64url({ alg: "none", kid: identity.privateJwk.kid })}.${base64url(claims())}.`;
		await expectRefused(`Bearer ${forged}`, /algorithm|malformed/);
	});

	it("a token signed with a shared secret (HS256), as if the public key were one", async () => {
		const secret = new TextEncoder().encode(JSON.stringify(identity.privateJwk));
		const token = await new SignJWT(claims())
			.setProtectedHeader({ alg: "HS256", kid: identity.privateJwk.kid })
			.sign(secret);
		await expectRefused(`Bearer ${token}`, /algorithm/);
	});

	it("a token signed by another key, under the real key's kid or its own", async () => {
		for (const kid of [identity.privateJwk.kid, "stranger"]) {
			const token = await new SignJWT(claims()).setProtectedHeader({ alg: "ES256", kid }).sign(strangerKey.privateKey);
			await expectRefused(`Bearer ${token}`, /signature does not verify/);
		}
	});

	it("a real token with its claims changed: another customer, or the admin scope added", async () => {
		const [header, , signature] = (await bearer("cust-tokens")).slice("Bearer ".length).split(".");
		for (const payload of [claims({ sub: "cust-other" }), claims({ scope: "admin" })]) {
			await expectRefused(`Bearer ${header}.${base64url(payload)}.${signature}`, /signature does not verify/);
		}
	});

	it("malformed tokens", async () => {
		for (const token of [
			"not-a-jwt",
			"a.b",
			"a.b.c",
			"eyJhbGciOiJFUzI1NiJ9.e30",
			`${base64url({ alg: "ES256" })}.!!.x`,
		]) {
			await expectRefused(`Bearer ${token}`, /malformed|algorithm|signature/);
		}
	});

	it("a token without a subject or without an expiry", async () => {
		await expectRefused(await bearer("cust-tokens", { claims: { sub: undefined } }), /sub|subject/);
		await expectRefused(await bearer("cust-tokens", { claims: { exp: undefined } }), /exp/);
		await expectRefused(await bearer("x".repeat(101)), /subject/);
	});

	it("no token at all: a challenge without an error", async () => {
		const res = await call("GET", "/orders");
		expect(res.status).toBe(401);
		expect(res.headers.get("www-authenticate")).toBe('Bearer realm="edge-saga"');
	});
});

describe("when the identity provider cannot be read", () => {
	it("answers 503, not 401: the caller's token may be fine", async () => {
		const res = await call("GET", "/orders", {
			auth: await bearer("cust-tokens"),
			env: { AUTH_JWKS_URL: "https://identity.test/no-such-key-set.json" },
		});
		expect(res.status).toBe(503);
		expect(res.json).toMatchObject({ code: "identity_unavailable" });
	});
});
