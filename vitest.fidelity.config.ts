import { defineConfig } from "vitest/config"

// `npm run test:fidelity`: checks against the official SP-API models in SPAPI_MODELS_DIR.
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
