// The official SDK ships JavaScript with per-API typings that its package `exports` do not reach: the little of its
// Orders 2026-01-01 client that the tests use, typed here.
declare module "@amazon-sp-api-release/amazon-sp-api-sdk-js" {
  export namespace Orders_v2026SpApi {
    class ApiClient {
      constructor(baseUrl?: string)
      basePath: string
      applyXAmzAccessTokenToRequest(accessOrRdtToken: string): ApiClient
      enableAutoRetrievalAccessToken(clientId: string, clientSecret: string, refreshToken?: string | null, scope?: string | null): ApiClient
      disableRateLimiter(): void
    }
    interface SearchOrdersOptions {
      createdAfter?: Date
      createdBefore?: Date
      lastUpdatedAfter?: Date
      lastUpdatedBefore?: Date
      fulfillmentStatuses?: Array<string>
      marketplaceIds?: Array<string>
      fulfilledBy?: Array<string>
      maxResultsPerPage?: number
      paginationToken?: string
      includedData?: Array<string>
    }
    /** The SDK's model instances, read loosely: the tests compare them with the simulator's ground truth. */
    interface SearchOrdersResponse {
      orders: Array<any>
      pagination?: { nextToken?: string }
      createdBefore?: Date
      lastUpdatedBefore?: Date
    }
    class SearchOrdersApi {
      constructor(apiClient?: ApiClient)
      searchOrders(opts?: SearchOrdersOptions): Promise<SearchOrdersResponse>
    }
  }
}
