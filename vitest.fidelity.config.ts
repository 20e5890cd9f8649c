import { defineConfig } from "vitest/config"

// The simulator against Amazon's official models, which are not in the repository: SPAPI_MODELS_DIR must point at
// them (`npm run test:fidelity`); without them the suite fails, it does not skip.
export default defineConfig({
  test: {
    include: ["test/fidelity/**/*.test.ts"],
    globalSetup: ["test/support/globalSetup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default"]
  }
})
