#!/usr/bin/env bash
# Fetches the Kafka test broker's jars from Maven Central into test/.kafka/libs once and caches them
# (git-ignored), for `npm test` and `npm run chaos`. The cache is rebuilt when test/kafka/pom.xml
# changes, so a version bump never mixes old and new jars.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
libs=test/.kafka/libs
pom_hash=$(sha256sum test/kafka/pom.xml | cut -d' ' -f1)
if ! compgen -G "$libs/kafka_2.13-*.jar" >/dev/null || [[ "$(cat "$libs/.pom.sha256" 2>/dev/null)" != "$pom_hash" ]]; then
  echo "Fetching the Kafka broker jars into $libs (mvn dependency:copy-dependencies)..."
  rm -rf "$libs"
  mvn -q -B -f test/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory="$PWD/$libs"
  echo "$pom_hash" >"$libs/.pom.sha256"
fi

