import { currencyDigits, findMarketplace } from "./Marketplaces.js"
import { makeRandom, mixSeed } from "./Random.js"

export interface Product {
  readonly asin: string
  readonly sellerSku: string
  /** The English title; an order item carries the title of its marketplace's language. */
  readonly title: string
  readonly titles: Readonly<Record<string, string>>
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

/** Titles in the marketplace's language, so a file decoded with the wrong charset shows (ä, ß, é, Japanese). */
const localTitles: Record<string, (adjective: number, noun: number) => string> = {
  DE: (a, n) =>
    `${["Edelstahl", "Bio", "Kabellos", "Kompakt", "Premium", "Bambus", "Ergonomisch", "Wasserdicht", "Faltbar", "Vintage"][a]}-${
      ["Trinkflasche", "Handyständer", "Yogamatte", "Schreibtischlampe", "Kaffeemühle", "Rucksack", "Schneidebrett", "Kopfhörer", "Blumentopf", "Notizbücher-Set"][n]
    } Größe M`,
  FR: (a, n) =>
    `${["Gourde", "Support de téléphone", "Tapis de yoga", "Lampe de bureau", "Moulin à café", "Sac à dos", "Planche à découper", "Écouteurs", "Pot de fleurs", "Lot de carnets"][n]} ${
      ["inox", "bio", "sans fil", "compact", "premium", "en bambou", "ergonomique", "étanche", "pliable", "rétro"][a]
    }`,
  JP: (a, n) =>
    `${["ステンレス", "オーガニック", "ワイヤレス", "コンパクト", "プレミアム", "竹製", "エルゴノミック", "防水", "折りたたみ", "ヴィンテージ"][a]}${
      ["水筒", "スマホスタンド", "ヨガマット", "デスクライト", "コーヒーミル", "リュックサック", "まな板", "ヘッドホン", "植木鉢", "ノートセット"][n]
    }`
}
const alphanumerics = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

export const makeCatalog = (seed: number, size = 40): ReadonlyArray<Product> => {
  const random = makeRandom(mixSeed(seed, 0xca7a))
  return Array.from({ length: size }, (_, i) => {
    let asin = "B0"
    for (let c = 0; c < 8; c++) asin += alphanumerics[random.int(alphanumerics.length)]
    const adjective = random.int(adjectives.length)
    const noun = random.int(nouns.length)
    return {
      asin,
      sellerSku: `SKU-${seed % 1000}-${String(i).padStart(3, "0")}`,
      title: `${adjectives[adjective]} ${nouns[noun]}`,
      titles: Object.fromEntries(Object.entries(localTitles).map(([country, title]) => [country, title(adjective, noun)])),
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
  // Some multi-item orders list one SKU twice (as Amazon does, e.g. for different prices or gift options):
  // drawn apart so the other orders keep their items.
  const repeatsFirst = count > 1 && makeRandom(mixSeed(orderSeed, 0x5c0)).chance(0.2)
  const country = marketplace?.countryCode ?? "US"
  let first: Product | undefined
  return Array.from({ length: count }, (_, k): OrderItem => {
    const drawn = catalog[random.int(catalog.length)]!
    const base = repeatsFirst && k === count - 1 ? first! : drawn
    first ??= base
    const title = base.titles[country]
    const product = title === undefined ? base : { ...base, title }
    let orderItemId = ""
    for (let d = 0; d < 14; d++) orderItemId += random.int(10)
    return {
      orderItemId,
      product,
      quantity: random.chance(0.85) ? 1 : 2 + random.int(3),
      unitPriceMinor: Math.max(1, Math.round(base.basePrice * scale * 10 ** digits) - (digits > 0 ? 1 : 0))
    }
  })
}

export const formatMinor = (minor: number, currency: string): string => {
  const digits = currencyDigits(currency)
  return digits === 0 ? String(minor) : (minor / 10 ** digits).toFixed(digits)
}
