import { currencyDigits, findMarketplace } from "./Marketplaces.js"
import { makeRandom, mixSeed } from "./Random.js"

export interface Product {
  readonly asin: string
  readonly sellerSku: string
  readonly title: string
  /** Unit price in USD; converted per marketplace with its price scale. */
  readonly basePrice: number
}

export interface OrderItem {
  readonly orderItemId: string
  readonly product: Product
  readonly quantity: number
  /** Unit price in minor units of the order's currency. */
  readonly unitPriceMinor: number
}

const adjectives = ["Stainless", "Organic", "Wireless", "Compact", "Premium", "Bamboo", "Ergonomic", "Waterproof", "Foldable", "Vintage"]
const nouns = ["Water Bottle", "Phone Stand", "Yoga Mat", "Desk Lamp", "Coffee Grinder", "Backpack", "Cutting Board", "Headphones", "Plant Pot", "Notebook Set"]
const alphanumerics = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

export const makeCatalog = (seed: number, size = 40): ReadonlyArray<Product> => {
  const random = makeRandom(mixSeed(seed, 0xca7a))
  return Array.from({ length: size }, (_, i) => {
    let asin = "B0"
    for (let c = 0; c < 8; c++) asin += alphanumerics[random.int(alphanumerics.length)]
    const title = `${adjectives[random.int(adjectives.length)]} ${nouns[random.int(nouns.length)]}`
    return {
      asin,
      sellerSku: `SKU-${seed % 1000}-${String(i).padStart(3, "0")}`,
      title,
      basePrice: Math.round((4 + random.next() ** 2 * 140) * 100) / 100
    }
  })
}

/** Items of one order, derived from the order's own seed so they never need storing. */
export const orderItems = (
  catalog: ReadonlyArray<Product>,
  orderSeed: number,
  marketplaceId: string
): ReadonlyArray<OrderItem> => {
  const random = makeRandom(orderSeed)
  const marketplace = findMarketplace(marketplaceId)
  const digits = currencyDigits(marketplace?.currency ?? "USD")
  const scale = marketplace?.priceScale ?? 1
  const roll = random.next()
  const count = roll < 0.78 ? 1 : roll < 0.94 ? 2 : 3
  return Array.from({ length: count }, (): OrderItem => {
    const product = catalog[random.int(catalog.length)]!
    let orderItemId = ""
    for (let d = 0; d < 14; d++) orderItemId += random.int(10)
    return {
      orderItemId,
      product,
      quantity: random.chance(0.85) ? 1 : 2 + random.int(3),
      unitPriceMinor: Math.max(1, Math.round(product.basePrice * scale * 10 ** digits) - (digits > 0 ? 1 : 0))
    }
  })
}

export const formatMinor = (minor: number, currency: string): string => {
  const digits = currencyDigits(currency)
  return digits === 0 ? String(minor) : (minor / 10 ** digits).toFixed(digits)
}
