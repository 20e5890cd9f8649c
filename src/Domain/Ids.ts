import { Schema } from "effect"

/** A tenant of the SaaS: any non-empty string such as `ecomlg-001`. */
export const TenantId = Schema.Trim.pipe(
  Schema.minLength(1, { message: () => "tenantId must be a non-empty string" }),
  Schema.maxLength(200, { message: () => "tenantId must be at most 200 characters" }),
  Schema.pattern(/^[^\u0000-\u001f\u007f]*$/, { message: () => "tenantId must not contain control characters" }),
  Schema.brand("TenantId")
)
export type TenantId = typeof TenantId.Type

export const MarketplaceId = Schema.String.pipe(
  Schema.pattern(/^[A-Z0-9]{8,20}$/, { message: () => "a marketplace id looks like ATVPDKIKX0DER" }),
  Schema.brand("MarketplaceId")
)
export type MarketplaceId = typeof MarketplaceId.Type

export const Region = Schema.Literal("na", "eu", "fe")
export type Region = typeof Region.Type

/** 1–730 days of history, 365 unless asked otherwise. */
export const BackfillDays = Schema.Int.pipe(
  Schema.between(1, 730, { message: () => "days must be an integer between 1 and 730" })
)
export const DEFAULT_BACKFILL_DAYS = 365
