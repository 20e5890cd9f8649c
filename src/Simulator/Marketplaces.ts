export interface Marketplace {
  readonly id: string
  readonly name: string
  readonly currency: string
  readonly countryCode: string
  /** Typical unit price scale relative to USD, so totals look native. */
  readonly priceScale: number
}

const list: ReadonlyArray<Marketplace> = [
  { id: "ATVPDKIKX0DER", name: "Amazon.com", currency: "USD", countryCode: "US", priceScale: 1 },
  { id: "A2EUQ1WTGCTBG2", name: "Amazon.ca", currency: "CAD", countryCode: "CA", priceScale: 1.35 },
  { id: "A1AM78C64UM0Y8", name: "Amazon.com.mx", currency: "MXN", countryCode: "MX", priceScale: 17 },
  { id: "A2Q3Y263D00KWC", name: "Amazon.com.br", currency: "BRL", countryCode: "BR", priceScale: 5 },
  { id: "A1F83G8C2ARO7P", name: "Amazon.co.uk", currency: "GBP", countryCode: "GB", priceScale: 0.8 },
  { id: "A1PA6795UKMFR9", name: "Amazon.de", currency: "EUR", countryCode: "DE", priceScale: 0.92 },
  { id: "A13V1IB3VIYZZH", name: "Amazon.fr", currency: "EUR", countryCode: "FR", priceScale: 0.92 },
  { id: "APJ6JRA9NG5V4", name: "Amazon.it", currency: "EUR", countryCode: "IT", priceScale: 0.92 },
  { id: "A1RKKUPIHCS9HS", name: "Amazon.es", currency: "EUR", countryCode: "ES", priceScale: 0.92 },
  { id: "A1805IZSGTT6HS", name: "Amazon.nl", currency: "EUR", countryCode: "NL", priceScale: 0.92 },
  { id: "A2NODRKZP88ZB9", name: "Amazon.se", currency: "SEK", countryCode: "SE", priceScale: 10.5 },
  { id: "A1C3SOZRARQ6R3", name: "Amazon.pl", currency: "PLN", countryCode: "PL", priceScale: 4 },
  { id: "A33AVAJ2PDY3EV", name: "Amazon.com.tr", currency: "TRY", countryCode: "TR", priceScale: 32 },
  { id: "A21TJRUUN4KGV", name: "Amazon.in", currency: "INR", countryCode: "IN", priceScale: 83 },
  { id: "A1VC38T7YXB528", name: "Amazon.co.jp", currency: "JPY", countryCode: "JP", priceScale: 150 },
  { id: "A39IBJ37TRP1C6", name: "Amazon.com.au", currency: "AUD", countryCode: "AU", priceScale: 1.5 },
  { id: "A19VAU5U5O7RUS", name: "Amazon.sg", currency: "SGD", countryCode: "SG", priceScale: 1.35 }
]

const byId = new Map(list.map((m) => [m.id, m]))

export const findMarketplace = (id: string): Marketplace | undefined => byId.get(id)

/** Minor units per major unit; JPY has none. */
export const currencyDigits = (currency: string): number => (currency === "JPY" ? 0 : 2)
