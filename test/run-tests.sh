#!/usr/bin/env bash
# What `npm test` runs: every vitest project (unit, then integration/e2e against a real Kafka
# broker that test/setup/global-kafka.ts starts and stops). Extra arguments go to vitest, e.g.
#   npm test -- --project integration test/integration/kafka
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The broker's jars come from Maven Central once and are cached (git-ignored). The cache is
# rebuilt when test/kafka/pom.xml changes, so a version bump never mixes old and new jars.
libs=test/.kafka/libs
pom_hash=$(sha256sum test/kafka/pom.xml | cut -d' ' -f1)
if ! compgen -G "$libs/kafka_2.13-*.jar" >/dev/null || [[ "$(cat "$libs/.pom.sha256" 2>/dev/null)" != "$pom_hash" ]]; then
  echo "Fetching the Kafka broker jars into $libs (mvn dependency:copy-dependencies)..."
  rm -rf "$libs"
  mvn -q -B -f test/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory="$PWD/$libs"
  echo "$pom_hash" >"$libs/.pom.sha256"
fi

export KAFKAJS_NO_PARTITIONER_WARNING=1
mkdir -p .cache
results=.cache/test-results.json
rm -f "$results"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?

# One plain closing line with the counts, whatever reporter output came before it.
if [[ -s "$results" ]]; then
  node -e '
    const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$results" || true
fi
exit "$status"
