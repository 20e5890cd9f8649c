// Replaced by the database harness (one embedded PostgreSQL per test run).
export default async function setup() {}
