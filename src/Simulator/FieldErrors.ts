import { Schema } from "effect"

/**
 * Error answers as Amazon's servers give them, where developers quote them otherwise than the models and docs read
 * (test/FIDELITY.md, "Field says"). Each is on by default, the field's evidence being consistent; `false` restores the
 * documented reading, so that a test can show a client surviving only that one failing against the field.
 */
export const FieldErrors = Schema.Struct({
  /**
   * A `*Before` within two minutes of now is refused with Amazon's generic 400 `InvalidInput` "The input you have
   * submitted is not valid. Please check your input and try again.", `details: ""`, no word of the rule
   * (amzn/selling-partner-api-docs#326, #2004; jlevers/selling-partner-api#473). Off: "… must be at least two minutes
   * before the time of the request."
   */
  genericTwoMinuteRule: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  /**
   * v0 getOrders refuses an expired NextToken with `{"errors":[{"message":null,"code":"InvalidInput"}]}`, a body the
   * model's Error schema does not allow (amzn/selling-partner-api-models#1269, #1148, #2091). Off: a string message.
   */
  nullMessageOnRefusedV0Token: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  /**
   * A page token that cannot be decoded (altered, unencoded, another seller's) and an expired 2026-01-01 one are
   * answered with Amazon's own words, "We could not decode your NextToken. Possible reasons include: a transmission
   * error, improper quoting or a truncation problem.", `details: ""` (amzn/selling-partner-api-models#2382, #2387).
   * No thread shows an "expired" wording. Off: "The NextToken you provided has expired." and explaining details.
   */
  undecodableTokenWording: Schema.optionalWith(Schema.Boolean, { default: () => true })
})
export type FieldErrors = typeof FieldErrors.Type

export const fieldErrorsByDefault: FieldErrors = Schema.decodeUnknownSync(FieldErrors)({})

/** Every field behaviour off: the error answers as the models and docs read. */
export const documentedErrors: FieldErrors = { genericTwoMinuteRule: false, nullMessageOnRefusedV0Token: false, undecodableTokenWording: false }

/** What a seller's authorisation of the application covers: the Orders API, the Reports API. */
export const SellerRole = Schema.Literal("orders", "reports")
export type SellerRole = typeof SellerRole.Type
