/** Tokens as the identity provider issues them, signed with a local key: plain jose, so it runs in Node and in workerd alike. */
import { importJWK, type JWK, type JWTPayload, SignJWT } from "jose";

export const LOCAL_ISSUER = "urn:edge-saga:local-identity";
export const LOCAL_AUDIENCE = "urn:edge-saga:api";
export const ALG = "ES256";

export interface LocalIdentity {
	/** The private key as a JWK (with its kid): all a process needs to sign tokens. */
	privateJwk: JWK;
	publicJwk: JWK;
}

export interface TokenOptions {
	/** The customer the token is for (its `sub`). */
	customerId: string;
	admin?: boolean;
	/** Seconds until it expires; 12 hours by default, a working day of local development. */
	ttlSeconds?: number;
	/** Claims to set or override (iss, aud, nbf, …): for tests of tokens the gateway must refuse. */
	claims?: JWTPayload;
}

/** A token as the identity provider would issue it, signed with the local key. */
export async function mintToken(identity: LocalIdentity, options: TokenOptions): Promise<string> {
	const now = Math.floor(Date.now() / 1000);
	const claims: JWTPayload = {
		iss: LOCAL_ISSUER,
		aud: LOCAL_AUDIENCE,
		sub: options.customerId,
		iat: now,
		exp: now + (options.ttlSeconds ?? 12 * 3600),
		...(options.admin ? { scope: "admin" } : {}),
		...options.claims,
	};
	return new SignJWT(claims)
		.setProtectedHeader({ alg: ALG, kid: identity.privateJwk.kid, typ: "JWT" })
		.sign(await importJWK(identity.privateJwk, ALG));
}
