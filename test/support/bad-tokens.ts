import { generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { inject } from "vitest";
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from "../../scripts/lib/tokens.ts";
import { tokenFor } from "./client";

/**
 * Every kind of token the gateway must refuse with 401, each made for a customer who otherwise
 * exists: expired, not yet valid, for another audience, from another issuer, unsigned, signed by
 * a key the identity provider never published, a real token with its subject or scope changed,
 * and malformed.
 */
const now = () => Math.floor(Date.now() / 1000);
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const claims = (customerId: string) => ({
	iss: LOCAL_ISSUER,
	aud: LOCAL_AUDIENCE,
	sub: customerId,
	iat: now(),
	exp: now() + 600,
});
const stranger = generateKeyPair("ES256");

/** A real token with its payload replaced and its signature kept. */
async function tampered(customerId: string, change: Record<string, unknown>): Promise<string> {
	const [header, , signature] = (await tokenFor(customerId)).split(".");
	return `${header}.${base64url({ ...claims(customerId), ...change })}.${signature}`;
}

export const BAD_TOKENS = {
	expired: (c: string) => tokenFor(c, { claims: { iat: now() - 7200, exp: now() - 60 } }),
	"not yet valid": (c: string) => tokenFor(c, { claims: { nbf: now() + 3600 } }),
	"another audience": (c: string) => tokenFor(c, { claims: { aud: "urn:another-api" } }),
	"another issuer": (c: string) => tokenFor(c, { claims: { iss: "urn:another-identity-provider" } }),
	"alg none": async (c: string) => new UnsecuredJWT(claims(c)).encode(),
	"another key": async (c: string) =>
		new SignJWT(claims(c))
			.setProtectedHeader({ alg: "ES256", kid: inject("identity").privateJwk.kid })
			.sign((await stranger).privateKey),
	"another customer's subject": (c: string) => tampered(c, { sub: `${c}-other` }),
	"admin scope added": (c: string) => tampered(c, { scope: "admin" }),
	malformed: async (c: string) => `${base64url({ alg: "ES256" })}.${base64url(claims(c))}`,
} satisfies Record<string, (customerId: string) => Promise<string>>;

export type BadToken = keyof typeof BAD_TOKENS;
export const BAD_TOKEN_KINDS = Object.keys(BAD_TOKENS) as BadToken[];
