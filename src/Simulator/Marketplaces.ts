/** Amazon's three SP-API regions; a marketplace is served by its region's host only. */
export type Region = "na" | "eu" | "fe"

/** The SP-API host of each region (Amazon's "SP-API endpoints" page). */
export const regionEndpoints: Readonly<Record<Region, string>> = {
  na: "https://sellingpartnerapi-na.amazon.com",
  eu: "https://sellingpartnerapi-eu.amazon.com",
  fe: "https://sellingpartnerapi-fe.amazon.com"
}

export interface Marketplace {
  readonly id: string
  /** The site name, as a report's `sales-channel` writes it. */
  readonly name: string
  readonly currency: string
  readonly countryCode: string
  readonly region: Region
  /** Typical unit price scale relative to USD, so totals look native. */
  readonly priceScale: number
}

// Amazon's "Marketplace IDs" page (developer-docs.amazon.com/sp-api/docs/marketplace-ids), in its order per region.
const list: ReadonlyArray<Marketplace> = [
  { id: "A2EUQ1WTGCTBG2", name: "Amazon.ca", currency: "CAD", countryCode: "CA", region: "na", priceScale: 1.35 },
  { id: "ATVPDKIKX0DER", name: "Amazon.com", currency: "USD", countryCode: "US", region: "na", priceScale: 1 },
  { id: "A1AM78C64UM0Y8", name: "Amazon.com.mx", currency: "MXN", countryCode: "MX", region: "na", priceScale: 17 },
  { id: "A2Q3Y263D00KWC", name: "Amazon.com.br", currency: "BRL", countryCode: "BR", region: "na", priceScale: 5 },
  { id: "A28R8C7NBKEWEA", name: "Amazon.ie", currency: "EUR", countryCode: "IE", region: "eu", priceScale: 0.92 },
  { id: "A1RKKUPIHCS9HS", name: "Amazon.es", currency: "EUR", countryCode: "ES", region: "eu", priceScale: 0.92 },
  { id: "A1F83G8C2ARO7P", name: "Amazon.co.uk", currency: "GBP", countryCode: "GB", region: "eu", priceScale: 0.8 },
  { id: "A13V1IB3VIYZZH", name: "Amazon.fr", currency: "EUR", countryCode: "FR", region: "eu", priceScale: 0.92 },
  { id: "AMEN7PMS3EDWL", name: "Amazon.com.be", currency: "EUR", countryCode: "BE", region: "eu", priceScale: 0.92 },
  { id: "A1805IZSGTT6HS", name: "Amazon.nl", currency: "EUR", countryCode: "NL", region: "eu", priceScale: 0.92 },
  { id: "A1PA6795UKMFR9", name: "Amazon.de", currency: "EUR", countryCode: "DE", region: "eu", priceScale: 0.92 },
  { id: "APJ6JRA9NG5V4", name: "Amazon.it", currency: "EUR", countryCode: "IT", region: "eu", priceScale: 0.92 },
  { id: "A2NODRKZP88ZB9", name: "Amazon.se", currency: "SEK", countryCode: "SE", region: "eu", priceScale: 10.5 },
  { id: "AE08WJ6YKNBMC", name: "Amazon.co.za", currency: "ZAR", countryCode: "ZA", region: "eu", priceScale: 18.5 },
  { id: "A1C3SOZRARQ6R3", name: "Amazon.pl", currency: "PLN", countryCode: "PL", region: "eu", priceScale: 4 },
  { id: "ARBP9OOSHTCHU", name: "Amazon.eg", currency: "EGP", countryCode: "EG", region: "eu", priceScale: 48 },
  { id: "A33AVAJ2PDY3EV", name: "Amazon.com.tr", currency: "TRY", countryCode: "TR", region: "eu", priceScale: 32 },
  { id: "A17E79C6D8DWNP", name: "Amazon.sa", currency: "SAR", countryCode: "SA", region: "eu", priceScale: 3.75 },
  { id: "A2VIGQ35RCS4UG", name: "Amazon.ae", currency: "AED", countryCode: "AE", region: "eu", priceScale: 3.67 },
  { id: "A21TJRUUN4KGV", name: "Amazon.in", currency: "INR", countryCode: "IN", region: "eu", priceScale: 83 },
  { id: "A19VAU5U5O7RUS", name: "Amazon.sg", currency: "SGD", countryCode: "SG", region: "fe", priceScale: 1.35 },
  { id: "A39IBJ37TRP1C6", name: "Amazon.com.au", currency: "AUD", countryCode: "AU", region: "fe", priceScale: 1.5 },
  { id: "A1VC38T7YXB528", name: "Amazon.co.jp", currency: "JPY", countryCode: "JP", region: "fe", priceScale: 150 }
]

export const marketplaces: ReadonlyArray<Marketplace> = list

const byId = new Map(list.map((m) => [m.id, m]))

export const findMarketplace = (id: string): Marketplace | undefined => byId.get(id)

/** The region of a marketplace; an unknown id is taken for North America, as the simulator always has. */
export const regionOf = (id: string): Region => byId.get(id)?.region ?? "na"

/** Every marketplace of a region, in the table's order. */
export const marketplacesOf = (region: Region): ReadonlyArray<Marketplace> => list.filter((m) => m.region === region)

/** Minor units per major unit; JPY has none. */
export const currencyDigits = (currency: string): number => (currency === "JPY" ? 0 : 2)
