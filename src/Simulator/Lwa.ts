import { randomBytes } from "node:crypto"

/** Login with Amazon: refresh tokens of known sellers in, short-lived access tokens out. */
export interface AccessTokenGrant {
  readonly accessToken: string
  readonly expiresInSeconds: number
}

export type TokenRequestResult =
  | { readonly _tag: "Granted"; readonly sellerId: string; readonly grant: AccessTokenGrant; readonly refreshToken: string }
  | { readonly _tag: "InvalidClient" }
  | { readonly _tag: "InvalidGrant"; readonly description: string }
  | { readonly _tag: "InvalidRequest"; readonly description: string }
  | { readonly _tag: "UnsupportedGrantType" }

export type AccessCheck =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Invalid" }
  | { readonly _tag: "Expired"; readonly sellerId: string }
  | { readonly _tag: "Valid"; readonly sellerId: string }

interface IssuedToken {
  readonly sellerId: string
  readonly refreshToken: string
  readonly expiresAt: number
}

export interface Lwa {
  readonly registerSeller: (sellerId: string, refreshToken: string) => void
  readonly requestToken: (
    form: Readonly<Record<string, string | undefined>>,
    now: number,
    lifetime: (sellerId: string) => { readonly advertisedSeconds: number; readonly realMs: number }
  ) => TokenRequestResult
  readonly checkAccessToken: (token: string | undefined, now: number) => AccessCheck
  readonly revokeRefreshToken: (refreshToken: string) => boolean
}

export const makeLwa = (clientId: string, clientSecret: string): Lwa => {
  const sellersByRefreshToken = new Map<string, string>()
  const revoked = new Set<string>()
  const issued = new Map<string, IssuedToken>()
  return {
    registerSeller: (sellerId, refreshToken) => {
      sellersByRefreshToken.set(refreshToken, sellerId)
      revoked.delete(refreshToken)
    },
    requestToken: (form, now, lifetimeOf) => {
      if (form.grant_type !== "refresh_token") {
        return form.grant_type === undefined
          ? { _tag: "InvalidRequest", description: "The request is missing a required parameter : grant_type" }
          : { _tag: "UnsupportedGrantType" }
      }
      if (form.client_id !== clientId || form.client_secret !== clientSecret) return { _tag: "InvalidClient" }
      const refreshToken = form.refresh_token
      if (refreshToken === undefined) {
        return { _tag: "InvalidRequest", description: "The request is missing a required parameter : refresh_token" }
      }
      const sellerId = sellersByRefreshToken.get(refreshToken)
      if (sellerId === undefined || revoked.has(refreshToken)) {
        return { _tag: "InvalidGrant", description: "The request has an invalid grant parameter : refresh_token" }
      }
      const lifetime = lifetimeOf(sellerId)
      const accessToken = `Atza|${randomBytes(48).toString("base64url")}`
      issued.set(accessToken, { sellerId, refreshToken, expiresAt: now + lifetime.realMs })
      return { _tag: "Granted", sellerId, refreshToken, grant: { accessToken, expiresInSeconds: lifetime.advertisedSeconds } }
    },
    checkAccessToken: (token, now) => {
      if (token === undefined || token === "") return { _tag: "Missing" }
      const entry = issued.get(token)
      if (entry === undefined || revoked.has(entry.refreshToken)) return { _tag: "Invalid" }
      return entry.expiresAt <= now ? { _tag: "Expired", sellerId: entry.sellerId } : { _tag: "Valid", sellerId: entry.sellerId }
    },
    revokeRefreshToken: (refreshToken) => {
      if (!sellersByRefreshToken.has(refreshToken)) return false
      revoked.add(refreshToken)
      return true
    }
  }
}
